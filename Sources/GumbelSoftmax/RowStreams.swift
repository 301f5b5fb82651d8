/// One row's own Philox stream: a `(seed, stream, position)` triple (SPEC section 3).
///
/// With per-row streams, element `(b, k)` of a batch uses word `position + k` of the Philox stream
/// `(seed, stream)` of row `b`'s `RowStream` (and, in the tail bands of SPEC section 2, that
/// position's tail word). A row's sample then depends only on its own logits, temperature and
/// stream: never on which rows share its batch, how many there are, or their order (what LLM
/// serving calls batch invariance). Rows may share a stream or overlap; each reads its own words.
public struct RowStream: Sendable, Hashable {
    /// The Philox key.
    public var seed: UInt64
    /// The Philox stream number.
    public var stream: UInt64
    /// The position of the row's first word; column `k` uses `position + k` (mod 2^64).
    public var position: UInt64

    /// Creates a row's stream.
    ///
    /// - Parameters:
    ///   - seed: The Philox key.
    ///   - stream: The stream number.
    ///   - position: The position of the row's first word.
    public init(seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.position = position
    }

    /// The generator of this stream, at `position`: sampling the row alone with it gives the same
    /// bits as sampling it in a batch with `streams:`.
    public var generator: PhiloxGenerator { PhiloxGenerator(seed: seed, stream: stream, position: position) }
}

extension GumbelSoftmax {
    // MARK: Per-row streams

    /// Samples a row-major `[rows, columns]` batch in which every row has its own Philox stream.
    ///
    /// Element `(b, k)` uses word `streams[b].position + k` of `(streams[b].seed,
    /// streams[b].stream)`, so row `b` equals `sample(logits: row, temperature: temperature,
    /// output: output, using: &generator)` with `generator = streams[b].generator`, whatever the
    /// other rows, their number, their order or the thread count.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major; `-inf` masks a category.
    ///   - rows: `B`; 0 gives an empty result.
    ///   - columns: `K`; at least 1.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - streams: `rows` streams, one per row.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows * columns` floats, row-major.
    /// - Throws: `.bufferSizeMismatch` (named "row streams") when `streams.count != rows`, and the
    ///   refusals of `sample(logits:rows:columns:temperature:output:using:threads:)`.
    /// - Complexity: O(B * K).
    public static func sample(
        logits: [Float], rows: Int, columns: Int, temperature: Float, output: Output = .soft, streams: [RowStream],
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try sampleRows(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), output: output,
            streams: streams, threads: threads)
    }

    /// Samples a `[rows, columns]` batch with one temperature and one Philox stream per row; see
    /// `sample(logits:rows:columns:temperature:output:streams:threads:)`.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperatures: `rows` values, each finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - streams: `rows` streams, one per row.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature`, `.bufferSizeMismatch` for
    ///   the streams, and the other refusals.
    /// - Complexity: O(B * K).
    public static func sample(
        logits: [Float], rows: Int, columns: Int, temperatures: [Float], output: Output = .soft,
        streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try sampleRows(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output, streams: streams,
            threads: threads)
    }

    /// Samples a `[rows, columns]` batch with one Philox stream per row into a caller's buffer,
    /// allocating nothing per row; see `sample(logits:rows:columns:temperature:output:streams:threads:)`.
    ///
    /// A refused argument leaves `result` untouched; a refused logit found during the pass (NaN,
    /// `+inf`, an all-masked row) sets every element of `result` to 0.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - streams: `rows` streams, one per row.
    ///   - result: `rows * columns` floats to overwrite.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `.bufferSizeMismatch` for a wrong-sized `streams` or `result`, and the other
    ///   refusals of sampling.
    /// - Complexity: O(B * K).
    public static func sample(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float, output: Output = .soft,
        streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Float>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns),
            threads: threads)
    }

    /// Samples a `[rows, columns]` batch with one temperature and one Philox stream per row into
    /// a caller's buffer. A refused argument leaves `result` untouched; a refused logit sets it to
    /// zeros.
    ///
    /// - Complexity: O(B * K).
    public static func sample(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperatures: UnsafeBufferPointer<Float>,
        output: Output = .soft, streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Float>,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns),
            threads: threads)
    }

    /// Gumbel-max categorical indices, one per row, each row with its own Philox stream: row `b`
    /// equals `categorical(logits: row, using: &generator)` with `generator = streams[b].generator`.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - streams: `rows` streams, one per row.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows` indices in `0 ..< columns`.
    /// - Throws: `.bufferSizeMismatch` for the streams, and the refusals of sampling.
    /// - Complexity: O(B * K).
    public static func categorical(
        logits: [Float], rows: Int, columns: Int, streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try categoricalRows(logits: logits, rows: rows, columns: columns, streams: streams, threads: threads)
    }

    /// Gumbel-max categorical indices with one Philox stream per row, into a caller's buffer of
    /// `rows` indices.
    ///
    /// - Complexity: O(B * K).
    public static func categorical(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical, output: nil,
            indices: result, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// Gumbel-top-k indices (Kool et al. 2019), `k` per row, each row with its own Philox stream:
    /// row `b` equals `topK(logits: row, rows: 1, columns: columns, k: k, using: &generator)` with
    /// `generator = streams[b].generator`.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major; `-inf` masks a category.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - k: How many categories per row, in `1 ... K`.
    ///   - streams: `rows` streams, one per row.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows * k` indices, row-major, each row in descending order of perturbed logit.
    /// - Throws: `.bufferSizeMismatch` for the streams, and the refusals of
    ///   `topK(logits:rows:columns:k:using:threads:)`.
    /// - Complexity: O(B * K * log k).
    public static func topK(
        logits: [Float], rows: Int, columns: Int, k: Int, streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try topKRows(logits: logits, rows: rows, columns: columns, k: k, streams: streams, threads: threads)
    }

    /// Gumbel-top-k indices with one Philox stream per row, into a caller's buffer of `rows * k`
    /// indices. A refused argument leaves `result` untouched; a refused row sets it to zeros.
    ///
    /// - Complexity: O(B * K * log k).
    public static func topK(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runTopK(
            logits: logits, rows: rows, columns: columns, k: k, into: result,
            words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    // MARK: Implementation, for Float and Double

    static func sampleRows<Scalar: GumbelScalar>(
        logits: [Scalar], rows: Int, columns: Int, temperatures: Temperatures<Scalar>, output: Output,
        streams: [RowStream], threads: Int?
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
                try allocating(count: buffer.count) { (out) throws(GumbelSoftmaxError) in
                    try run(
                        logits: buffer, rows: rows, columns: columns, temperatures: temperatures, kind: output.kind,
                        output: out, indices: nil, words: try rowWords(streamBuffer, rows: rows, columns: columns),
                        threads: threads)
                }
            }
        }
    }

    /// `sampleRows` with one temperature per row.
    static func sampleRows<Scalar: GumbelScalar>(
        logits: [Scalar], rows: Int, columns: Int, temperatures: [Scalar], output: Output, streams: [RowStream],
        threads: Int?
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
            try sampleRows(
                logits: logits, rows: rows, columns: columns, temperatures: .perRow(temps), output: output,
                streams: streams, threads: threads)
        }
    }

    static func categoricalRows<Scalar: GumbelScalar>(
        logits: [Scalar], rows: Int, columns: Int, streams: [RowStream], threads: Int?
    ) throws(GumbelSoftmaxError) -> [Int] {
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        var result = [Int](repeating: 0, count: rows)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
                try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                    try run(
                        logits: buffer, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical,
                        output: nil, indices: out, words: try rowWords(streamBuffer, rows: rows, columns: columns),
                        threads: threads)
                }
            }
        }
        return result
    }

    static func topKRows<Scalar: GumbelScalar>(
        logits: [Scalar], rows: Int, columns: Int, k: Int, streams: [RowStream], threads: Int?
    ) throws(GumbelSoftmaxError) -> [Int] {
        try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
            try topKArray(logits, rows: rows, columns: columns, k: k) { (buffer, out) throws(GumbelSoftmaxError) in
                try runTopK(
                    logits: buffer, rows: rows, columns: columns, k: k, into: out,
                    words: try rowWords(streamBuffer, rows: rows, columns: columns), threads: threads)
            }
        }
    }

    /// The words of a batch with one stream per row, once `streams` holds one per row.
    static func rowWords(
        _ streams: UnsafeBufferPointer<RowStream>, rows: Int, columns: Int
    ) throws(GumbelSoftmaxError) -> BatchWords {
        try Validate.output(name: "row streams", expected: rows, actual: streams.count)
        return BatchWords(rowStreams: streams, columns: columns)
    }
}
