import GumbelSoftmax
import NumpyFormat

/// Reads, samples and writes a block of rows at a time, so that memory holds a few blocks and
/// never the whole input.
///
/// Element `(b, k)` uses word `position + b*K + k` (SPEC section 3), so rows `[a, c)` sampled alone
/// at `position + a*K` equal those rows of the whole batch: the output is the same bytes for any
/// block size and thread count. The library moves the generator past each block it samples.
struct Pipeline<Operation: BlockOperation> {
    /// What is computed per row.
    var operation: Operation
    var threads: Int?
    /// Rows per block; nil picks about `defaultBlockElements` logits a block (at least one row).
    var blockRows: Int?
    /// Per-row streams (`--row-streams`), read a block at a time alongside the logits; when set, the
    /// generator's stream is not used.
    var rowStreams: (any RowStreamSource)?

    /// Runs on an opened input into the file the user named: `-` is standard output (CSV).
    func run<G: CounterBasedRandomGenerator>(
        source: any LogitSource, output: DataFile, using generator: inout G
    ) throws {
        switch output.kind {
        case .npy, .csv:
            try AtomicFile.replace(path: output.path) { sink in
                try run(source: source, sink: sink, format: output.kind == .npy, using: &generator)
            }
        case .standardStream:
            let sink = ByteSink(descriptor: .standardOutput, name: "standard output")
            try run(source: source, sink: sink, format: false, using: &generator)
        case nil:
            throw CommandFailure(
                "output '\(output.path)' must end in .npy or .csv, or be '-' for CSV on standard output")
        }
    }

    /// Streams `source` through the operation into `sink`, as .npy (`npy`) or CSV.
    func run<G: CounterBasedRandomGenerator>(
        source: any LogitSource, sink: ByteSink, format npy: Bool, using generator: inout G
    ) throws {
        let shape = try source.begin()
        let columns = shape.columns
        try operation.check(columns: columns)
        try beginRowStreams(logitRows: shape.rows)
        let resultsPerRow = operation.resultsPerRow(columns: columns)
        let writer = ResultWriter(
            sink: sink, format: npy ? .npy(Operation.Result.npyDType) : .csv,
            shape: { operation.resultShape(batch: shape.batch ?? [$0], columns: columns) },
            valuesPerLine: resultsPerRow)
        try writer.begin(rows: shape.rows)
        let (rowsPerBlock, elements) = try blockSize(shape)
        let logits = try ScratchBuffer<Operation.Scalar>(count: elements, for: "a block of logits")
        // resultsPerRow <= columns (k <= K), so this product is at most `elements`.
        let results = try ScratchBuffer<Operation.Result>(
            count: rowsPerBlock * resultsPerRow, for: "a block of results")
        let streams = try RowStreamBlocks(rowStreams, rowsPerBlock: rowsPerBlock)
        let calls = operation.calls(using: G.self)
        var done = 0
        while rowsPerBlock > 0 {
            let rows = try source.nextRows(into: logits.buffer, maxRows: rowsPerBlock)
            if rows == 0 { break }
            let block = UnsafeBufferPointer(rebasing: logits.buffer[0..<(rows * columns)])
            let result = UnsafeMutableBufferPointer(rebasing: results.buffer[0..<(rows * resultsPerRow)])
            let blockStreams = try streams.next(rows: rows, logits: source, done: done, buffer: logits.buffer)
            do throws(GumbelSoftmaxError) {
                if let blockStreams {
                    try calls.withStreams(block, rows, columns, blockStreams, result, threads)
                } else {
                    try calls.withGenerator(block, rows, columns, result, &generator, threads)
                }
            } catch {
                throw error.shiftingRows(by: done)
            }
            try writer.append(UnsafeBufferPointer(result))
            done += rows
        }
        try source.finish()
        try streams.finish(logitRows: done)
        try writer.end(rows: done)
    }

    /// Opens the per-row streams, if any, and refuses a file that declares another row count than
    /// the logits.
    private func beginRowStreams(logitRows: Int?) throws {
        guard let rowStreams else { return }
        try rowStreams.begin()
        if let logitRows, let streamRows = rowStreams.declaredRows, logitRows != streamRows {
            throw rowCountMismatch(rowStreams.name, streams: streamRows, logits: logitRows)
        }
    }

    /// The rows of a block and the logits they hold: `blockRows`, or about `defaultBlockElements`
    /// logits (at least one row), and never more rows than the input says it has, so an input that
    /// says it has none needs no block (its K may be huge).
    private func blockSize(_ shape: LogitShape) throws(CommandFailure) -> (rows: Int, elements: Int) {
        var rows = max(1, blockRows ?? Self.defaultBlockElements / shape.columns)
        if let total = shape.rows { rows = min(rows, total) }
        let (elements, overflow) = rows.multipliedReportingOverflow(by: shape.columns)
        guard !overflow else { throw CommandFailure.outOfMemory("for a block of \(rows) rows") }
        return (rows, elements)
    }

    /// 4 Mi logits: 16 MiB of float32 (32 MiB of float64) in, as much out for `sample`.
    static var defaultBlockElements: Int { 1 << 22 }
}

/// The per-row streams of each block, read alongside the logits; none without `--row-streams`.
private struct RowStreamBlocks: ~Copyable {
    let source: (any RowStreamSource)?
    /// RowStream is three UInt64s (a trivial type): raw memory bound to it, filled before use.
    let bytes: ScratchBuffer<UInt8>
    let buffer: UnsafeMutableBufferPointer<RowStream>

    init(_ source: (any RowStreamSource)?, rowsPerBlock: Int) throws(CommandFailure) {
        self.source = source
        bytes = try ScratchBuffer<UInt8>(
            count: source == nil ? 0 : rowsPerBlock * MemoryLayout<RowStream>.stride, for: "a block of row streams")
        buffer = UnsafeMutableRawBufferPointer(bytes.buffer).bindMemory(to: RowStream.self)
    }

    /// The streams of the next `rows` rows, or nil without a row-stream file. A file with fewer
    /// rows is refused after the rest of `logits` is counted (a block at a time, into `buffer`), to
    /// name both counts.
    func next<Scalar: LogitScalar>(
        rows: Int, logits: any LogitSource, done: Int, buffer logitBuffer: UnsafeMutableBufferPointer<Scalar>
    ) throws(CommandFailure) -> UnsafeBufferPointer<RowStream>? {
        guard let source else { return nil }
        let got = try source.nextRows(into: buffer, maxRows: rows)
        guard got == rows else {
            var total = done + rows
            while true {
                let more = try logits.nextRows(into: logitBuffer, maxRows: rows)
                if more == 0 { break }
                total += more
            }
            throw rowCountMismatch(source.name, streams: done + got, logits: total)
        }
        return UnsafeBufferPointer(rebasing: buffer[0..<rows])
    }

    /// Refuses a row-stream file with more rows than the logits.
    func finish(logitRows: Int) throws(CommandFailure) {
        guard let source else { return }
        let extra = try source.countRemaining()
        if extra > 0 { throw rowCountMismatch(source.name, streams: logitRows + extra, logits: logitRows) }
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
