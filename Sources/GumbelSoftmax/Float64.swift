// Float64 sampling, categorical and top-k (SPEC section 5, contract 2.1): the Double forms of the
// Float API, with the same shapes. The words and uniforms are those of the Float path; the noise,
// the scaling, the softmax and the argmax are computed in Double (Kernel/Float64Kernel.swift).
// Every input, the logits' values included, is validated before anything is written: on a throw
// the caller's output buffer is left as it was and the generator is not advanced.

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
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try allocatingFloat64(count: buffer.count) { (out) throws(GumbelSoftmaxError) in
                try sample(
                    logits: buffer, rows: rows, columns: columns, temperature: temperature, output: output, into: out,
                    using: &generator, threads: threads)
            }
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
        try runFloat64(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
            output: result, indices: nil, using: &generator, threads: threads)
    }

    /// `sample(logits:rows:columns:temperature:output:into:using:threads:)` in float64 with the
    /// kernel's knobs set for this call. Not API.
    @_spi(Benchmarks)
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        into result: UnsafeMutableBufferPointer<Double>, using generator: inout G, threads: Int? = nil,
        configuration: KernelConfiguration
    ) throws(GumbelSoftmaxError) {
        try runFloat64(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
            output: result, indices: nil, using: &generator, threads: threads, configuration: configuration)
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
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
                try allocatingFloat64(count: buffer.count) { (out) throws(GumbelSoftmaxError) in
                    try sample(
                        logits: buffer, rows: rows, columns: columns, temperatures: temps, output: output, into: out,
                        using: &generator, threads: threads)
                }
            }
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
        try runFloat64(
            logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
            output: result, indices: nil, using: &generator, threads: threads)
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
        _ = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        var result = [Int](repeating: 0, count: rows)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                try categorical(
                    logits: buffer, rows: rows, columns: columns, into: out, using: &generator, threads: threads)
            }
        }
        return result
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
        try runFloat64(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical, output: nil,
            indices: result, using: &generator, threads: threads)
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
        let (product, overflow) = rows.multipliedReportingOverflow(by: k)
        let count = rows >= 0 && k >= 1 && k <= columns && !overflow ? product : 0
        var result = [Int](repeating: 0, count: count)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                try topK(
                    logits: buffer, rows: rows, columns: columns, k: k, into: out, using: &generator, threads: threads)
            }
        }
        return result
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
        let source = generator
        try runTopKFloat64(
            logits: logits, rows: rows, columns: columns, k: k, into: result, words: BatchWords(source),
            threads: threads)
        generator.position = source.position &+ UInt64(rows * columns)
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
        try sampleRowsFloat64(
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
        try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
            try sampleRowsFloat64(
                logits: logits, rows: rows, columns: columns, temperatures: .perRow(temps), output: output,
                streams: streams, threads: threads)
        }
    }

    /// Samples a float64 batch with one Philox stream per row into a caller's buffer. On a throw
    /// `result` is left as it was.
    ///
    /// - Complexity: O(B * K).
    public static func sample(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double, output: Output = .soft,
        streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Double>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runFloat64(
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
        try runFloat64(
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
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        var result = [Int](repeating: 0, count: rows)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
                try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                    try categorical(
                        logits: buffer, rows: rows, columns: columns, streams: streamBuffer, into: out,
                        threads: threads)
                }
            }
        }
        return result
    }

    /// Gumbel-max categorical indices of float64 logits, one Philox stream per row, into a
    /// caller's buffer.
    ///
    /// - Complexity: O(B * K).
    public static func categorical(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runFloat64(
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
        let (product, overflow) = rows.multipliedReportingOverflow(by: k)
        let count = rows >= 0 && k >= 1 && k <= columns && !overflow ? product : 0
        var result = [Int](repeating: 0, count: count)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
                try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                    try topK(
                        logits: buffer, rows: rows, columns: columns, k: k, streams: streamBuffer, into: out,
                        threads: threads)
                }
            }
        }
        return result
    }

    /// Float64 Gumbel-top-k indices, one Philox stream per row, into a caller's buffer.
    ///
    /// - Complexity: O(B * K * log k).
    public static func topK(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runTopKFloat64(
            logits: logits, rows: rows, columns: columns, k: k, into: result,
            words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    // MARK: Implementation

    /// A `[Double]` of `count` elements filled by `body`; nothing is returned on a throw.
    static func allocatingFloat64(
        count: Int, _ body: (UnsafeMutableBufferPointer<Double>) throws(GumbelSoftmaxError) -> Void
    ) throws(GumbelSoftmaxError) -> [Double] {
        var result = [Double](repeating: 0, count: count)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(GumbelSoftmaxError) in try body(buffer) }
        return result
    }

    static func sampleRowsFloat64(
        logits: [Double], rows: Int, columns: Int, temperatures: Float64Temperatures, output: Output,
        streams: [RowStream], threads: Int?
    ) throws(GumbelSoftmaxError) -> [Double] {
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try streams.withUnsafeBufferPointer { (streamBuffer) throws(GumbelSoftmaxError) in
                try allocatingFloat64(count: buffer.count) { (out) throws(GumbelSoftmaxError) in
                    try runFloat64(
                        logits: buffer, rows: rows, columns: columns, temperatures: temperatures, kind: output.kind,
                        output: out, indices: nil, words: try rowWords(streamBuffer, rows: rows, columns: columns),
                        threads: threads)
                }
            }
        }
    }

    static func runFloat64<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperatures: Float64Temperatures,
        kind: SampleKind, output: UnsafeMutableBufferPointer<Double>?, indices: UnsafeMutableBufferPointer<Int>?,
        using generator: inout G, threads: Int?, configuration: KernelConfiguration = KernelConfiguration()
    ) throws(GumbelSoftmaxError) {
        let source = generator
        try runFloat64(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, kind: kind, output: output,
            indices: indices, words: BatchWords(source), threads: threads, configuration: configuration)
        generator.position = source.position &+ UInt64(rows * columns)
    }

    /// Validates everything (the logits' values included), then runs the float64 kernel over
    /// `words`. Nothing is written on a throw.
    static func runFloat64(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperatures: Float64Temperatures,
        kind: SampleKind, output: UnsafeMutableBufferPointer<Double>?, indices: UnsafeMutableBufferPointer<Int>?,
        words: @autoclosure () throws(GumbelSoftmaxError) -> BatchWords, threads: Int?,
        configuration: KernelConfiguration = KernelConfiguration()
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        let count = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        if let output { try Validate.output(name: "output", expected: count, actual: output.count) }
        if let indices { try Validate.output(name: "index output", expected: rows, actual: indices.count) }
        let (scalarInverse, inverses) = try Validate.inverseTemperatures(temperatures, rows: rows)
        let words = try words()
        if rows == 0 { return }
        try Validate.logits(logits.baseAddress!, rows: rows, columns: columns, unmasked: 1, threads: threads)
        inverses.withUnsafeBufferPointer { inverseBuffer in
            let job = Float64Job(
                logits: logits.baseAddress!, rows: rows, columns: columns, inverseTemperature: scalarInverse,
                rowInverseTemperatures: inverseBuffer.isEmpty ? nil : inverseBuffer.baseAddress, words: words,
                kind: kind, output: output?.baseAddress, indices: indices?.baseAddress, configuration: configuration)
            Float64Kernel.run(job, threads: threads)
        }
    }

    /// Validates everything, then runs the float64 top-k selection over `words`. Nothing is
    /// written on a throw.
    static func runTopKFloat64(
        logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>,
        words: @autoclosure () throws(GumbelSoftmaxError) -> BatchWords, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        _ = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        guard k >= 1, k <= columns else { throw .invalidTopK(k: k, categories: columns) }
        try Validate.output(name: "index output", expected: rows * k, actual: result.count)
        let words = try words()
        if rows == 0 { return }
        try Validate.logits(logits.baseAddress!, rows: rows, columns: columns, unmasked: k, threads: threads)
        let job = Float64Job(
            logits: logits.baseAddress!, rows: rows, columns: columns, inverseTemperature: 1,
            rowInverseTemperatures: nil, words: words, kind: .categorical, output: nil, indices: nil)
        Float64TopK(job: job, k: k, result: result.baseAddress!).run(threads: threads)
    }
}
