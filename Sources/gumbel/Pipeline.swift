import GumbelSoftmax
import NumpyFormat

/// Reads, samples and writes a block of rows at a time, so that memory holds a few blocks and
/// never the whole input.
///
/// Element `(b, k)` uses word `position + b*K + k` (SPEC section 3), so rows `[a, c)` sampled alone
/// at `position + a*K` equal those rows of the whole batch: the output is the same bytes for any
/// block size and thread count.
struct Pipeline {
    /// What is computed per row.
    enum Operation {
        case sample(GumbelSoftmax.Output, temperature: Float)
        case categorical
        case topK(Int)
    }

    var operation: Operation
    var threads: Int?
    /// Rows per block; nil picks about `defaultBlockElements` logits a block (at least one row).
    var blockRows: Int?
    /// Per-row streams (`--row-streams`), read a block at a time alongside the logits; when set, the
    /// generator's stream is not used.
    var rowStreams: (any RowStreamSource)?

    /// 4 Mi logits: 16 MiB of float32 in, as much out for `sample`.
    static let defaultBlockElements = 1 << 22

    /// Runs on the files the user named: `-` is standard input or output (CSV).
    func run<G: CounterBasedRandomGenerator>(input: String, output: String, using generator: inout G) throws {
        let source = try openLogits(path: input)
        switch FileKind(path: output) {
        case .npy, .csv:
            try AtomicFile.replace(path: output) { sink in
                try run(source: source, sink: sink, format: FileKind(path: output) == .npy, using: &generator)
            }
        case .standardStream:
            let sink = ByteSink(descriptor: .standardOutput, name: "standard output")
            try run(source: source, sink: sink, format: false, using: &generator)
        case nil:
            throw CommandFailure("output '\(output)' must end in .npy or .csv, or be '-' for CSV on standard output")
        }
    }

    /// Streams `source` through the sampler into `sink`, as .npy (`npy`) or CSV.
    func run<G: CounterBasedRandomGenerator>(
        source: any LogitSource, sink: ByteSink, format npy: Bool, using generator: inout G
    ) throws {
        let shape = try source.begin()
        let columns = shape.columns
        try validate(columns: columns, using: generator)
        if let rowStreams {
            try rowStreams.begin()
            if let logitRows = shape.rows, let streamRows = rowStreams.declaredRows, logitRows != streamRows {
                throw rowCountMismatch(rowStreams.name, streams: streamRows, logits: logitRows)
            }
        }
        let writer: ResultWriter
        switch operation {
        case .sample:
            writer = ResultWriter(
                sink: sink, format: npy ? .npy(.float32) : .csv,
                shape: { shape.isVector ? [columns] : [$0, columns] }, valuesPerLine: columns)
        case .categorical:
            writer = ResultWriter(sink: sink, format: npy ? .npy(.int64) : .csv, shape: { [$0] }, valuesPerLine: 1)
        case .topK(let k):
            writer = ResultWriter(sink: sink, format: npy ? .npy(.int64) : .csv, shape: { [$0, k] }, valuesPerLine: k)
        }
        try writer.begin(rows: shape.rows)
        // An input that says it has no rows needs no block (its K may be huge).
        var rowsPerBlock = max(1, blockRows ?? Self.defaultBlockElements / columns)
        if let rows = shape.rows { rowsPerBlock = min(rowsPerBlock, rows) }
        let (elements, overflow) = rowsPerBlock.multipliedReportingOverflow(by: columns)
        guard !overflow else { throw CommandFailure.outOfMemory("for a block of \(rowsPerBlock) rows") }
        let logits = try ScratchBuffer<Float>(count: elements, for: "a block of logits")
        let samples = try ScratchBuffer<Float>(
            count: outputCount(rows: rowsPerBlock, columns: columns), for: "a block of results")
        let indices = try ScratchBuffer<Int>(count: indexCount(rows: rowsPerBlock), for: "a block of results")
        // RowStream is three UInt64s (a trivial type): raw memory bound to it, filled before use.
        let streamBytes = try ScratchBuffer<UInt8>(
            count: rowStreams == nil ? 0 : rowsPerBlock * MemoryLayout<RowStream>.stride, for: "a block of row streams")
        let streamBuffer = UnsafeMutableRawBufferPointer(streamBytes.buffer).bindMemory(to: RowStream.self)
        let start = generator.position
        var done = 0
        while rowsPerBlock > 0 {
            let rows = try source.nextRows(into: logits.buffer, maxRows: rowsPerBlock)
            if rows == 0 { break }
            generator.position = start &+ UInt64(done) &* UInt64(columns)
            let block = UnsafeBufferPointer(rebasing: logits.buffer[0..<(rows * columns)])
            if let rowStreams {
                let got = try rowStreams.nextRows(into: streamBuffer, maxRows: rows)
                if got < rows {
                    // Count the rest of the logits (a block at a time) to name both counts.
                    var total = done + rows
                    while true {
                        let more = try source.nextRows(into: logits.buffer, maxRows: rowsPerBlock)
                        if more == 0 { break }
                        total += more
                    }
                    throw rowCountMismatch(rowStreams.name, streams: done + got, logits: total)
                }
                let blockStreams = UnsafeBufferPointer(rebasing: streamBuffer[0..<rows])
                try sampleBlock(
                    block, rows: rows, columns: columns, streams: blockStreams, samples: samples.buffer,
                    indices: indices.buffer, done: done)
            } else {
                do throws(GumbelSoftmaxError) {
                    switch operation {
                    case .sample(let output, let temperature):
                        let result = UnsafeMutableBufferPointer(rebasing: samples.buffer[0..<(rows * columns)])
                        try GumbelSoftmax.sample(
                            logits: block, rows: rows, columns: columns, temperature: temperature, output: output,
                            into: result, using: &generator, threads: threads)
                    case .categorical:
                        let result = UnsafeMutableBufferPointer(rebasing: indices.buffer[0..<rows])
                        try GumbelSoftmax.categorical(
                            logits: block, rows: rows, columns: columns, into: result, using: &generator,
                            threads: threads)
                    case .topK(let k):
                        let result = UnsafeMutableBufferPointer(rebasing: indices.buffer[0..<(rows * k)])
                        try GumbelSoftmax.topK(
                            logits: block, rows: rows, columns: columns, k: k, into: result, using: &generator,
                            threads: threads)
                    }
                } catch {
                    throw error.shiftingRows(by: done)
                }
            }
            switch operation {
            case .sample: try writer.append(UnsafeBufferPointer(rebasing: samples.buffer[0..<(rows * columns)]))
            case .categorical: try writer.append(UnsafeBufferPointer(rebasing: indices.buffer[0..<rows]))
            case .topK(let k): try writer.append(UnsafeBufferPointer(rebasing: indices.buffer[0..<(rows * k)]))
            }
            done += rows
        }
        try source.finish()
        if let rowStreams {
            let extra = try rowStreams.countRemaining()
            if extra > 0 { throw rowCountMismatch(rowStreams.name, streams: done + extra, logits: done) }
        }
        try writer.end(rows: done)
        generator.position = start &+ UInt64(done) &* UInt64(columns)
    }

    /// Samples one block with its per-row streams into `samples` or `indices`.
    private func sampleBlock(
        _ block: UnsafeBufferPointer<Float>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        samples: UnsafeMutableBufferPointer<Float>, indices: UnsafeMutableBufferPointer<Int>, done: Int
    ) throws(GumbelSoftmaxError) {
        do throws(GumbelSoftmaxError) {
            switch operation {
            case .sample(let output, let temperature):
                try GumbelSoftmax.sample(
                    logits: block, rows: rows, columns: columns, temperature: temperature, output: output,
                    streams: streams, into: UnsafeMutableBufferPointer(rebasing: samples[0..<(rows * columns)]),
                    threads: threads)
            case .categorical:
                try GumbelSoftmax.categorical(
                    logits: block, rows: rows, columns: columns, streams: streams,
                    into: UnsafeMutableBufferPointer(rebasing: indices[0..<rows]), threads: threads)
            case .topK(let k):
                try GumbelSoftmax.topK(
                    logits: block, rows: rows, columns: columns, k: k, streams: streams,
                    into: UnsafeMutableBufferPointer(rebasing: indices[0..<(rows * k)]), threads: threads)
            }
        } catch {
            throw error.shiftingRows(by: done)
        }
    }

    /// Refuses the options and `K` before anything is read or written: the library's own checks
    /// on an empty batch (thread count, `K > 0`, temperature, `k`).
    private func validate<G: CounterBasedRandomGenerator>(columns: Int, using generator: G) throws(GumbelSoftmaxError) {
        var probe = generator
        let empty = UnsafeBufferPointer<Float>(start: nil, count: 0)
        switch operation {
        case .sample(let output, let temperature):
            try GumbelSoftmax.sample(
                logits: empty, rows: 0, columns: columns, temperature: temperature, output: output,
                into: UnsafeMutableBufferPointer(start: nil, count: 0), using: &probe, threads: threads)
        case .categorical:
            try GumbelSoftmax.categorical(
                logits: empty, rows: 0, columns: columns, into: UnsafeMutableBufferPointer(start: nil, count: 0),
                using: &probe, threads: threads)
        case .topK(let k):
            try GumbelSoftmax.topK(
                logits: empty, rows: 0, columns: columns, k: k, into: UnsafeMutableBufferPointer(start: nil, count: 0),
                using: &probe, threads: threads)
        }
    }

    private func outputCount(rows: Int, columns: Int) -> Int {
        if case .sample = operation { return rows * columns }
        return 0
    }

    private func indexCount(rows: Int) -> Int {
        switch operation {
        case .sample: return 0
        case .categorical: return rows
        case .topK(let k): return rows * k
        }
    }
}

extension GumbelSoftmaxError {
    /// The same refusal with its row counted from the start of the input instead of the block.
    func shiftingRows(by offset: Int) -> GumbelSoftmaxError {
        switch self {
        case .nanLogit(let row, let column): return .nanLogit(row: row + offset, column: column)
        case .infiniteLogit(let row, let column): return .infiniteLogit(row: row + offset, column: column)
        case .allMaskedRow(let row): return .allMaskedRow(row: row + offset)
        case .insufficientCategories(let row, let available, let k):
            return .insufficientCategories(row: row + offset, available: available, k: k)
        case .invalidRowTemperature(let row, let value): return .invalidRowTemperature(row: row + offset, value: value)
        default: return self
        }
    }
}
