import GumbelSoftmax

// The per-row-stream functions of include/gumbel_softmax.h (contract 2, SPEC section 3): each row
// b has its own Philox stream (seeds[b], streams[b], positions[b]), and element (b, k) uses word
// positions[b] + k of it. The arguments are checked like every other export's
// (`Batch`), and top-k's scratch memory is probed first (`Scratch.topK`).

/// The rows' streams from three parallel arrays of `count` values each (the library checks that
/// `count` is the batch's row count).
func rowStreams(
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    count: Int64
) throws(CallError) -> [RowStream] {
    let s = try Arguments.input(seeds, count: count, name: "seeds")
    let t = try Arguments.input(streams, count: count, name: "streams")
    let p = try Arguments.input(positions, count: count, name: "positions")
    return (0..<s.count).map { RowStream(seed: s[$0], stream: t[$0], position: p[$0]) }
}

/// Samples a batch, one Philox stream per row: soft, log-space or hard.
///
/// The corresponding C function is `gs_sample_rows` (include/gumbel_softmax.h).
@_cdecl("gs_swift_sample_rows")
public func gsSampleRows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: Int32,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        // One temperature for every row (temperatures_count 1), or one per row.
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try library { () throws(GumbelSoftmaxError) in
                if temps.count == 1 && batch.rows != 1 {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temps[0],
                        output: kind.output, streams: streamBuffer, into: batch.result, threads: batch.threads)
                } else {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                        output: kind.output, streams: streamBuffer, into: batch.result, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-max categorical indices, one Philox stream per row.
///
/// The corresponding C function is `gs_categorical_rows` (include/gumbel_softmax.h).
@_cdecl("gs_swift_categorical_rows")
public func gsCategoricalRows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try library { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.categorical(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-top-k indices, `k` per row, one Philox stream per row.
///
/// The corresponding C function is `gs_top_k_rows` (include/gumbel_softmax.h).
@_cdecl("gs_swift_top_k_rows")
public func gsTopKRows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount)
        try Scratch.topK(rows: batch.rows, columns: batch.columns, k: k)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try library { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.topK(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}
