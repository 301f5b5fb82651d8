// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
import GumbelSoftmax

// The per-row-stream functions of include/gumbel_softmax.h (contract 2, SPEC section 3): each row
// b has its own Philox stream (seeds[b], streams[b], positions[b]), and element (b, k) uses word
// positions[b] + k of it. The arguments are checked like every other export's
// (`Batch`), and top-k's scratch memory is probed first (`MemoryProbe.topK`).

/// The rows' streams from three parallel arrays of `streams_count` values each (the library checks
/// that it is the batch's row count).
func rowStreams(
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    count: Int64
) throws(CallError) -> [RowStream] {
    let n = try Arguments.count(count, name: "streams")
    for (pointer, name) in [(seeds, "seeds"), (streams, "streams"), (positions, "positions")] {
        guard n == 0 || pointer != nil else {
            throw CallError(GS_NULL_POINTER, "\(name) is NULL but streams_count is \(n)")
        }
    }
    guard let seeds, let streams, let positions else { return [] }
    return (0..<n).map { RowStream(seed: seeds[$0], stream: streams[$0], position: positions[$0]) }
}

/// Samples a batch, one Philox stream per row: soft, log-space or hard. The C function is
/// `gs_sample_rows`.
@c @implementation
func gs_swift_sample_rows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let output = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        // One temperature for every row (temperatures_count 1), or one per row.
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                if temps.count == 1 && batch.rows != 1 {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temps[0],
                        output: output, streams: streamBuffer, into: batch.result, threads: batch.threads)
                } else {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                        output: output, streams: streamBuffer, into: batch.result, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-max categorical indices, one Philox stream per row. The C function is `gs_categorical_rows`.
@c @implementation
func gs_swift_categorical_rows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try callLibrary { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.categorical(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-top-k indices, `k` per row, one Philox stream per row. The C function is `gs_top_k_rows`.
@c @implementation
func gs_swift_top_k_rows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try MemoryProbe.topK(rows: batch.rows, columns: batch.columns, k: k)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try callLibrary { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.topK(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}
