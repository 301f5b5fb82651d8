// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
@_spi(Exports) import GumbelSoftmax

// The per-row-stream functions of include/gumbel_softmax.h (contract 2, SPEC section 3): each row
// b has its own Philox stream (seeds[b], streams[b], positions[b]), and element (b, k) uses word
// positions[b] + k of it, in float32 and float64 (one generic body per function). The arguments
// are checked like every other export's (`Batch`), and top-k's scratch memory is probed first
// (`MemoryProbe.topK`).

/// The rows' streams from three parallel arrays of `count` values each, checked like every input
/// of `batch` (none may overlap its result); the library checks that `count` is the row count.
func rowStreams<Logit, Result>(
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    count: Int64, of batch: Batch<Logit, Result>
) throws(CallError) -> [RowStream] {
    let s = try batch.input(seeds, count: count, name: "seeds", countName: "streams_count")
    let t = try batch.input(streams, count: count, name: "streams", countName: "streams_count")
    let p = try batch.input(positions, count: count, name: "positions", countName: "streams_count")
    return (0..<s.count).map { RowStream(seed: s[$0], stream: t[$0], position: p[$0]) }
}

/// The body of `gs_sample_rows` and `gs_sample_rows_f64`.
private func sampleRows<Scalar: ExportScalar>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Scalar>?, _ temperaturesCount: Int64, _ output: gs_output,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ result: UnsafeMutablePointer<Scalar>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let output = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        // One temperature for every row (temperatures_count 1), or one per row.
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount, of: batch)
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

/// The body of `gs_categorical_rows`, `gs_top_k_rows` and their float64 forms: top-`k` indices,
/// or with `k` nil one categorical index per row.
private func indicesRows<Scalar: ExportScalar>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64?,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        let k = try k.map { (k) throws(CallError) in try Arguments.k(k, columns: batch.columns) }
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount, of: batch)
        if let k { try MemoryProbe.topK(of: Scalar.self, rows: batch.rows, columns: batch.columns, k: k) }
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try callLibrary { () throws(GumbelSoftmaxError) in
                    if let k {
                        try GumbelSoftmax.topK(
                            logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streamBuffer,
                            into: ints,
                            threads: batch.threads)
                    } else {
                        try GumbelSoftmax.categorical(
                            logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streamBuffer,
                            into: ints,
                            threads: batch.threads)
                    }
                }
            }
        }
    }
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
    sampleRows(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, output, seeds, streams, positions,
        streamsCount, threads, result, resultCount)
}

/// Gumbel-max categorical indices, one Philox stream per row. The C function is `gs_categorical_rows`.
@c @implementation
func gs_swift_categorical_rows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    indicesRows(
        logits, logitsCount, rows, columns, nil, seeds, streams, positions, streamsCount, threads, indices,
        indicesCount)
}

/// Gumbel-top-k indices, `k` per row, one Philox stream per row. The C function is `gs_top_k_rows`.
@c @implementation
func gs_swift_top_k_rows(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    indicesRows(
        logits, logitsCount, rows, columns, k, seeds, streams, positions, streamsCount, threads, indices, indicesCount)
}

/// Samples a float64 batch, one Philox stream per row. The C function is `gs_sample_rows_f64`.
@c @implementation
func gs_swift_sample_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperaturesCount: Int64, _ output: gs_output,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    sampleRows(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, output, seeds, streams, positions,
        streamsCount, threads, result, resultCount)
}

/// Gumbel-max categorical indices of float64 logits, one Philox stream per row. The C function is
/// `gs_categorical_rows_f64`.
@c @implementation
func gs_swift_categorical_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    indicesRows(
        logits, logitsCount, rows, columns, nil, seeds, streams, positions, streamsCount, threads, indices,
        indicesCount)
}

/// Gumbel-top-k indices of float64 logits, one Philox stream per row. The C function is
/// `gs_top_k_rows_f64`.
@c @implementation
func gs_swift_top_k_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    indicesRows(
        logits, logitsCount, rows, columns, k, seeds, streams, positions, streamsCount, threads, indices, indicesCount)
}
