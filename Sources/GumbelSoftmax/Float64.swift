// Float64 sampling, categorical and top-k (SPEC section 5, contract 2.1): the Double forms of the
// Float API, with the same shapes, each calling the generics the float32 API calls
// (GumbelSoftmax.swift, RowStreams.swift, TopK.swift). The words and uniforms are those of the
// Float path; the noise, the scaling, the softmax and the argmax are computed in Double
// (Kernel/Float64Kernel.swift). Every input, the logits' values included, is validated before
// anything is written: on a throw the caller's output buffer is left as it was and the generator
// is not advanced.

extension GumbelSoftmax {
    // MARK: Soft, log-space and hard samples in float64

    /// Samples one float64 logit vector, in float64 end to end.
    ///
    /// - Parameters:
    ///   - logits: `K` unnormalised log-probabilities; `-inf` masks a category.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: A counter-based generator, advanced by `K` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `K` doubles.
    /// - Throws: `GumbelSoftmaxError` for the inputs SPEC section 4 refuses.
    /// - Complexity: O(K).
    @_disfavoredOverload
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Double], temperature: Double, output: Output = .soft, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try sample(
            logits: logits, rows: 1, columns: logits.count, temperature: temperature, output: output,
            using: &generator, threads: threads)
    }

    /// Samples one float64 logit vector from the Philox stream `(seed, stream)` at `position`.
    ///
    /// - Complexity: O(K).
    @_disfavoredOverload
    public static func sample(
        logits: [Double], temperature: Double, output: Output = .soft, seed: UInt64, stream: UInt64 = 0,
        position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(logits: logits, temperature: temperature, output: output, using: &generator, threads: threads)
    }

    /// Samples a row-major `[rows, columns]` float64 batch.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` doubles, row-major.
    ///   - rows: `B`; 0 gives an empty result.
    ///   - columns: `K`; at least 1.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows * columns` doubles, row-major.
    /// - Throws: `GumbelSoftmaxError` naming the refused input and where it is.
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Double], rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try sampleArray(
                logits, rows: rows, columns: columns, temperatures: .scalar(temperature), output: output,
                words: words, threads: threads)
        }
    }

    /// Samples a row-major `[rows, columns]` float64 batch from the Philox stream `(seed, stream)`.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample(
        logits: [Double], rows: Int, columns: Int, temperature: Double, output: Output = .soft, seed: UInt64,
        stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output,
            using: &generator, threads: threads)
    }

    /// Samples a row-major `[rows, columns]` float64 batch into a caller's buffer.
    ///
    /// On a throw neither `result` nor the generator changes.
    ///
    /// - Throws: `GumbelSoftmaxError`, including `.bufferSizeMismatch` for a wrong-sized `result`.
    /// - Complexity: O(B * K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        into result: UnsafeMutableBufferPointer<Double>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads)
        }
    }

    /// `sample(logits:rows:columns:temperature:output:into:using:threads:)` in float64 with the
    /// kernel's knobs set for this call. Not API.
    @_spi(Benchmarks)
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        into result: UnsafeMutableBufferPointer<Double>, using generator: inout G, threads: Int? = nil,
        configuration: KernelConfiguration
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads, configuration: configuration)
        }
    }

    // MARK: Per-row temperatures

    /// Samples a `[rows, columns]` float64 batch with one temperature per row.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` doubles, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperatures: `rows` values, each finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature` and the other refusals.
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Double], rows: Int, columns: Int, temperatures: [Double], output: Output = .soft,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try sampleArray(
                logits, rows: rows, columns: columns, temperatures: temperatures, output: output, words: words,
                threads: threads)
        }
    }

    /// Samples a `[rows, columns]` float64 batch with one temperature per row, from the Philox
    /// stream `(seed, stream)`.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample(
        logits: [Double], rows: Int, columns: Int, temperatures: [Double], output: Output = .soft, seed: UInt64,
        stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
            using: &generator, threads: threads)
    }

    /// Samples a float64 batch into a caller's buffer with one temperature per row.
    ///
    /// - Complexity: O(B * K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperatures: UnsafeBufferPointer<Double>,
        output: Output = .soft, into result: UnsafeMutableBufferPointer<Double>, using generator: inout G,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads)
        }
    }

    // MARK: Gumbel-max categorical sampling in float64

    /// Draws one category per row by the Gumbel-max trick on float64 logits: `argmax(logits + g)`
    /// in Double, ties to the lowest index.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` doubles, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - generator: Advanced by `rows * columns` words (the same words a sample uses).
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows` indices in `0 ..< columns`.
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: [Double], rows: Int, columns: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try categoricalArray(logits, rows: rows, columns: columns, words: words, threads: threads)
        }
    }

    /// Gumbel-max categorical indices of float64 logits from the Philox stream `(seed, stream)`.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func categorical(
        logits: [Double], rows: Int, columns: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try categorical(logits: logits, rows: rows, columns: columns, using: &generator, threads: threads)
    }

    /// The Gumbel-max category of one float64 logit vector.
    ///
    /// - Complexity: O(K).
    @_disfavoredOverload
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: [Double], using generator: inout G
    ) throws(GumbelSoftmaxError) -> Int {
        try categorical(logits: logits, rows: 1, columns: logits.count, using: &generator)[0]
    }

    /// Gumbel-max categorical indices of float64 logits into a caller's buffer of `rows` indices.
    ///
    /// - Complexity: O(B * K).
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical, output: nil,
                indices: result, words: words, threads: threads)
        }
    }

    // MARK: Gumbel-top-k in float64

    /// Draws `k` distinct categories per row of float64 logits by the Gumbel-top-k trick
    /// (Kool et al. 2019): the indices of the `k` largest `logits + g` in Double, in descending
    /// order, ties to the lowest index. See `topK(logits:rows:columns:k:using:threads:)`.
    ///
    /// - Returns: `rows * k` indices, row-major.
    /// - Throws: `.invalidTopK`, `.insufficientCategories` and the refusals of sampling.
    /// - Complexity: O(B * K * log k).
    @_disfavoredOverload
    public static func topK<G: CounterBasedRandomGenerator>(
        logits: [Double], rows: Int, columns: Int, k: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try topKArray(logits, rows: rows, columns: columns, k: k) { (buffer, out) throws(GumbelSoftmaxError) in
            try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
                try runTopK(
                    logits: buffer, rows: rows, columns: columns, k: k, into: out, words: words, threads: threads)
            }
        }
    }

    /// Float64 Gumbel-top-k indices from the Philox stream `(seed, stream)` at `position`.
    ///
    /// - Complexity: O(B * K * log k).
    @_disfavoredOverload
    public static func topK(
        logits: [Double], rows: Int, columns: Int, k: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try topK(logits: logits, rows: rows, columns: columns, k: k, using: &generator, threads: threads)
    }

    /// Float64 Gumbel-top-k indices into a caller's buffer of `rows * k` indices. On a throw
    /// neither `result` nor the generator changes.
    ///
    /// - Complexity: O(B * K * log k).
    public static func topK<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try runTopK(
                logits: logits, rows: rows, columns: columns, k: k, into: result, words: words, threads: threads)
        }
    }

    // MARK: Per-row streams in float64

    /// Samples a float64 batch in which every row has its own Philox stream; see
    /// `sample(logits:rows:columns:temperature:output:streams:threads:)`.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample(
        logits: [Double], rows: Int, columns: Int, temperature: Double, output: Output = .soft, streams: [RowStream],
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try sampleRows(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), output: output,
            streams: streams, threads: threads)
    }

    /// Samples a float64 batch with one temperature and one Philox stream per row.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func sample(
        logits: [Double], rows: Int, columns: Int, temperatures: [Double], output: Output = .soft,
        streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try sampleRows(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output, streams: streams,
            threads: threads)
    }

    /// Samples a float64 batch with one Philox stream per row into a caller's buffer. On a throw
    /// `result` is left as it was.
    ///
    /// - Complexity: O(B * K).
    public static func sample(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Double>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// Samples a float64 batch with one temperature and one Philox stream per row into a caller's
    /// buffer. On a throw `result` is left as it was.
    ///
    /// - Complexity: O(B * K).
    public static func sample(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperatures: UnsafeBufferPointer<Double>,
        output: Output = .soft, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Double>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// Gumbel-max categorical indices of float64 logits, one Philox stream per row.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func categorical(
        logits: [Double], rows: Int, columns: Int, streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try categoricalRows(logits: logits, rows: rows, columns: columns, streams: streams, threads: threads)
    }

    /// Gumbel-max categorical indices of float64 logits, one Philox stream per row, into a
    /// caller's buffer.
    ///
    /// - Complexity: O(B * K).
    public static func categorical(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical, output: nil,
            indices: result, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// Float64 Gumbel-top-k indices, one Philox stream per row.
    ///
    /// - Complexity: O(B * K * log k).
    @_disfavoredOverload
    public static func topK(
        logits: [Double], rows: Int, columns: Int, k: Int, streams: [RowStream], threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try topKRows(logits: logits, rows: rows, columns: columns, k: k, streams: streams, threads: threads)
    }

    /// Float64 Gumbel-top-k indices, one Philox stream per row, into a caller's buffer.
    ///
    /// - Complexity: O(B * K * log k).
    public static func topK(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runTopK(
            logits: logits, rows: rows, columns: columns, k: k, into: result,
            words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }
}
