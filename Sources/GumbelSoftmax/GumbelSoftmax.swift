/// Gumbel-Softmax (Concrete) sampling over a row-major `[B, K]` batch of logits
/// (Jang et al. 2017; Maddison et al. 2017).
///
/// Per row, `z = (logits + g) / temperature` with Gumbel noise `g`, and the sample is
/// `softmax(z)`. Element `(b, k)` uses word `position + b*K + k` of the generator's stream, so a
/// sample is a pure function of (seed, stream, position, logits, temperature): a batch is the
/// concatenation of its rows, and any thread count gives the same bits.
///
/// Every function comes in a generic form taking `using generator: inout G` (which advances the
/// generator by `B * K` words) and a seed-only convenience. `-inf` logits mask a category: its
/// output is exactly 0 (log-space: `-inf`) and it still consumes its word.
public enum GumbelSoftmax {
    /// The form of a Gumbel-Softmax sample.
    public enum Output: Sendable, Hashable, CaseIterable {
        /// `softmax(z)` per row: a point on the simplex.
        case soft
        /// `log_softmax(z)` per row: accurate far into the tails where `soft` underflows.
        case log
        /// The one-hot of `argmax(z)` per row, ties to the lowest index (the forward value of
        /// the straight-through estimator).
        case hard

        var kind: SampleKind {
            switch self {
            case .soft: return .soft
            case .log: return .log
            case .hard: return .hard
            }
        }
    }

    /// The temperature of a batch: one scalar, or one per row.
    @_spi(Exports)
    public enum Temperatures<Scalar: GumbelScalar> {
        case scalar(Scalar)
        case perRow(UnsafeBufferPointer<Scalar>)
    }

    // MARK: Soft, log-space and hard samples

    /// Samples one logit vector.
    ///
    /// - Parameters:
    ///   - logits: `K` unnormalised log-probabilities; `-inf` masks a category.
    ///   - temperature: Finite and > 0. Low values give nearly one-hot samples.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: A counter-based generator, advanced by `K` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `K` floats.
    /// - Throws: `GumbelSoftmaxError` for the inputs SPEC section 4 refuses.
    /// - Complexity: O(K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Float], temperature: Float, output: Output = .soft, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try sample(
            logits: logits, rows: 1, columns: logits.count, temperature: temperature, output: output,
            using: &generator, threads: threads)
    }

    /// Samples one logit vector from the Philox stream `(seed, stream)` at `position`.
    ///
    /// - Complexity: O(K).
    public static func sample(
        logits: [Float], temperature: Float, output: Output = .soft, seed: UInt64, stream: UInt64 = 0,
        position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(logits: logits, temperature: temperature, output: output, using: &generator, threads: threads)
    }

    /// Samples a row-major `[rows, columns]` batch.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows * columns` floats, row-major.
    /// - Throws: `GumbelSoftmaxError` naming the refused input and where it is.
    /// - Complexity: O(B * K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Float], rows: Int, columns: Int, temperature: Float, output: Output = .soft,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try sampleArray(
                logits, rows: rows, columns: columns, temperatures: .scalar(temperature), output: output,
                words: words, threads: threads)
        }
    }

    /// Samples a row-major `[rows, columns]` batch from the Philox stream `(seed, stream)`.
    ///
    /// - Complexity: O(B * K).
    public static func sample(
        logits: [Float], rows: Int, columns: Int, temperature: Float, output: Output = .soft, seed: UInt64,
        stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output,
            using: &generator, threads: threads)
    }

    /// Samples a row-major `[rows, columns]` batch into a caller's buffer, allocating nothing
    /// per row.
    ///
    /// On a throw the generator is not advanced. A refused argument (a size, shape, temperature or
    /// thread count) leaves `result` untouched; a refused logit found during the pass (NaN, `+inf`,
    /// an all-masked row) sets every element of `result` to 0.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperature: Finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - result: `rows * columns` floats to overwrite.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `GumbelSoftmaxError`, including `.bufferSizeMismatch` for a wrong-sized `result`.
    /// - Complexity: O(B * K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float, output: Output = .soft,
        into result: UnsafeMutableBufferPointer<Float>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads)
        }
    }

    /// `sample(logits:rows:columns:temperature:output:into:using:threads:)` with the kernel's knobs
    /// set for this call (benchmarks and tests compare paths with it). Not API.
    @_spi(Benchmarks)
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float, output: Output = .soft,
        into result: UnsafeMutableBufferPointer<Float>, using generator: inout G, threads: Int? = nil,
        configuration: KernelConfiguration
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads, configuration: configuration)
        }
    }

    // MARK: Per-row temperatures

    /// Samples a `[rows, columns]` batch with one temperature per row.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperatures: `rows` values, each finite and > 0.
    ///   - output: `.soft` (default), `.log` or `.hard`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature` and the other refusals.
    /// - Complexity: O(B * K).
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: [Float], rows: Int, columns: Int, temperatures: [Float], output: Output = .soft,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try sampleArray(
                logits, rows: rows, columns: columns, temperatures: temperatures, output: output, words: words,
                threads: threads)
        }
    }

    /// Samples a `[rows, columns]` batch with one temperature per row, from the Philox stream
    /// `(seed, stream)`.
    public static func sample(
        logits: [Float], rows: Int, columns: Int, temperatures: [Float], output: Output = .soft, seed: UInt64,
        stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
            using: &generator, threads: threads)
    }

    /// Samples into a caller's buffer with one temperature per row.
    public static func sample<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperatures: UnsafeBufferPointer<Float>,
        output: Output = .soft, into result: UnsafeMutableBufferPointer<Float>, using generator: inout G,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
                output: result, indices: nil, words: words, threads: threads)
        }
    }

    // MARK: Gumbel-max categorical sampling

    /// Draws one category per row by the Gumbel-max trick: `argmax(logits + g)`, ties to the
    /// lowest index. The result follows `softmax(logits)` exactly and does not depend on a
    /// temperature.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - generator: Advanced by `rows * columns` words (the same words a soft sample uses).
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows` indices in `0 ..< columns`.
    /// - Complexity: O(B * K).
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: [Float], rows: Int, columns: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try categoricalArray(logits, rows: rows, columns: columns, words: words, threads: threads)
        }
    }

    /// Gumbel-max categorical indices from the Philox stream `(seed, stream)`.
    public static func categorical(
        logits: [Float], rows: Int, columns: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try categorical(logits: logits, rows: rows, columns: columns, using: &generator, threads: threads)
    }

    /// Gumbel-max categorical indices of one logit vector.
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: [Float], using generator: inout G
    ) throws(GumbelSoftmaxError) -> Int {
        try categorical(logits: logits, rows: 1, columns: logits.count, using: &generator)[0]
    }

    /// Gumbel-max categorical indices into a caller's buffer of `rows` indices.
    public static func categorical<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical,
                output: nil, indices: result, words: words, threads: threads)
        }
    }

    // MARK: The one entry into the kernel, for Float and Double

    /// An array of `count` elements filled by `body`; nothing is returned on a throw.
    static func allocating<Scalar: GumbelScalar>(
        count: Int, _ body: (UnsafeMutableBufferPointer<Scalar>) throws(GumbelSoftmaxError) -> Void
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        var failure: GumbelSoftmaxError?
        let result = [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(GumbelSoftmaxError) {
                try body(buffer)
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return result
    }

    /// A sample of `logits` (soft, log or hard) over `words`, as a new array.
    static func sampleArray<Scalar: GumbelScalar>(
        _ logits: [Scalar], rows: Int, columns: Int, temperatures: Temperatures<Scalar>, output: Output,
        words: BatchWords, threads: Int?
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try allocating(count: buffer.count) { (out) throws(GumbelSoftmaxError) in
                try run(
                    logits: buffer, rows: rows, columns: columns, temperatures: temperatures, kind: output.kind,
                    output: out, indices: nil, words: words, threads: threads)
            }
        }
    }

    /// `sampleArray` with one temperature per row.
    static func sampleArray<Scalar: GumbelScalar>(
        _ logits: [Scalar], rows: Int, columns: Int, temperatures: [Scalar], output: Output, words: BatchWords,
        threads: Int?
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
            try sampleArray(
                logits, rows: rows, columns: columns, temperatures: .perRow(temps), output: output, words: words,
                threads: threads)
        }
    }

    /// The Gumbel-max categories of `logits` over `words`, as a new array of `rows` indices.
    static func categoricalArray<Scalar: GumbelScalar>(
        _ logits: [Scalar], rows: Int, columns: Int, words: BatchWords, threads: Int?
    ) throws(GumbelSoftmaxError) -> [Int] {
        // The shape first: the result is sized from `rows`, which a hostile file can make huge.
        _ = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        var result = [Int](repeating: 0, count: rows)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                try run(
                    logits: buffer, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical,
                    output: nil, indices: out, words: words, threads: threads)
            }
        }
        return result
    }

    /// Validates, then runs the kernel over `words`. A refused argument throws before any output
    /// is written. A refused logit is found before the kernel runs in float64
    /// (`Double.checkLogits`), leaving the outputs untouched, and during the kernel's pass in
    /// float32, which then sets every element of `output` and `indices` to 0 (they were checked
    /// to hold exactly the batch's results).
    static func run<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, temperatures: Temperatures<Scalar>,
        kind: SampleKind, output: UnsafeMutableBufferPointer<Scalar>?, indices: UnsafeMutableBufferPointer<Int>?,
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
        try Scalar.checkLogits(logits.baseAddress!, rows: rows, columns: columns, unmasked: 1, threads: threads)
        try inverses.withUnsafeBufferPointer { (inverseBuffer) throws(GumbelSoftmaxError) in
            let bad = Scalar.sample(
                JobArguments(
                    logits: logits.baseAddress!, rows: rows, columns: columns, inverseTemperature: scalarInverse,
                    rowInverseTemperatures: inverseBuffer.isEmpty ? nil : inverseBuffer.baseAddress, words: words,
                    kind: kind, output: output?.baseAddress, indices: indices?.baseAddress,
                    configuration: configuration),
                threads: threads)
            if let bad {
                output?.update(repeating: 0)
                indices?.update(repeating: 0)
                throw Validate.diagnose(row: bad, logits: logits.baseAddress!, columns: columns)
            }
        }
    }
}
