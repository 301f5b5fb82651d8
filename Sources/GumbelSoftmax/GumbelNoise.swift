/// Gumbel(0, 1) noise from a counter-based generator (SPEC section 2, contract version 2).
///
/// For `PhiloxGenerator` (`UniformMapping.centered`), the word `x` at position `p` becomes the
/// uniform `U = (x + 1/2) * 2^-32`, or, for `x` in the lowest or highest `2^16` words (one
/// position in 32768), `U = (x * 2^32 + t + 1/2) * 2^-64` with `t` the tail word of `p`. So `U`
/// lies in `[2^-65, 1 - 2^-65]`, and `g = -log(-log(U))`, within `2e-6 * max(1, |g|)` for every
/// word and tail word, ranges over `[-3.81, 45.06]`: `P(g > t)` is the exact Gumbel tail to within
/// 1e-5 (relative) for every `t <= 35`, so Gumbel-max sampling is exact to float rounding for
/// category probabilities down to about 1e-15. `ThreefryJAXGenerator` uses JAX's uniform instead
/// (`UniformMapping.jaxTiny`); the noise is `-log(-log(u))` the same way.
///
/// Version 1 of the contract used `u = (Float(x >> 9) + 0.5) * 2^-23`, whose noise stopped at
/// 16.6: results differ from version 1.
public enum GumbelNoise {
    /// The uniform in (0, 1) of a Philox word `word` whose tail word is `tailWord`, rounded to the
    /// nearest Double (exact below 1/2).
    ///
    /// - Parameters:
    ///   - word: The word at some position.
    ///   - tailWord: The tail word of that position (`PhiloxGenerator.tailWord(at:)`); read only
    ///     when `word` is in an outer band (below `2^16` or at least `2^32 - 2^16`).
    /// - Returns: `U` of SPEC section 2.
    public static func uniform(word: UInt32, tailWord: UInt32) -> Double {
        NoiseMath.uniform(word: word, tailWord: tailWord)
    }

    /// The Gumbel noise that a word maps to, for generators of `mapping`.
    ///
    /// - Parameters:
    ///   - word: The word at some position.
    ///   - tailWord: For `.centered`, the tail word of that position, read only when `word` is in
    ///     an outer band; ignored by `.jaxTiny`.
    ///   - mapping: The generator's `uniformMapping`.
    /// - Returns: The noise the sampling kernels use for that element, bit for bit.
    public static func gumbel(word: UInt32, tailWord: UInt32, mapping: UniformMapping = .centered) -> Float {
        switch mapping {
        case .centered: return NoiseMath.gumbel(word: word, tailWord: tailWord)
        case .jaxTiny: return NoiseMath.gumbel(WordLanes(repeating: word), mapping: .jaxTiny, as: FloatLanes.self)[0]
        }
    }

    /// The Gumbel noise of the word at `position` of `generator`, reading its tail word when needed.
    ///
    /// - Parameters:
    ///   - position: The position.
    ///   - generator: The generator; it is not advanced.
    /// - Returns: The noise the sampling kernels use for that position, bit for bit.
    public static func gumbel<G: CounterBasedRandomGenerator>(at position: UInt64, of generator: G) -> Float {
        let word = generator.word(at: position)
        let needsTail = G.uniformMapping == .centered && NoiseMath.isInBand(word)
        return gumbel(word: word, tailWord: needsTail ? generator.tailWord(at: position) : 0, mapping: G.uniformMapping)
    }

    /// Fills `buffer` with noise from the generator's current position on, and advances the
    /// generator by `buffer.count` words.
    ///
    /// - Parameters:
    ///   - buffer: Where to write the noise.
    ///   - generator: The generator; element `i` uses word `position + i`.
    ///   - threads: Worker threads; defaults to all cores. The result does not depend on it.
    /// - Throws: `GumbelSoftmaxError.invalidThreadCount` for `threads < 1`.
    /// - Complexity: O(`buffer.count`).
    public static func fill<G: CounterBasedRandomGenerator>(
        _ buffer: UnsafeMutableBufferPointer<Float>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try fill(buffer, using: &generator, threads: threads, configuration: KernelConfiguration())
    }

    /// `fill(_:using:threads:)` with the kernel's knobs set for this call. Not API.
    @_spi(Benchmarks)
    public static func fill<G: CounterBasedRandomGenerator>(
        _ buffer: UnsafeMutableBufferPointer<Float>, using generator: inout G, threads: Int? = nil,
        configuration: KernelConfiguration
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: 1, columns: buffer.count) { (words) throws(GumbelSoftmaxError) in
            try fillNoise(buffer, words: words, threads: threads, configuration: configuration)
        }
    }

    /// Returns `count` noise values from the generator's position on, and advances it by `count`.
    ///
    /// - Complexity: O(`count`).
    public static func sample<G: CounterBasedRandomGenerator>(
        count: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try generator.advancing(rows: 1, columns: count) { (words) throws(GumbelSoftmaxError) in
            try noise(count: count, words: words, threads: threads)
        }
    }

    /// Returns `count` noise values of the Philox stream `(seed, stream)` from `position` on.
    public static func sample(
        count: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(count: count, using: &generator, threads: threads)
    }

    // MARK: Implementation, for Float and Double

    /// Fills `buffer` with the noise of `words` from element 0 on.
    static func fillNoise<Scalar: GumbelScalar>(
        _ buffer: UnsafeMutableBufferPointer<Scalar>, words: BatchWords, threads: Int?,
        configuration: KernelConfiguration = KernelConfiguration()
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        NoiseFill(words: words, output: base, count: buffer.count).run(threads: threads, configuration: configuration)
    }

    /// `count` noise values of `words` from element 0 on, as a new array.
    static func noise<Scalar: GumbelScalar>(
        count: Int, words: BatchWords, threads: Int?
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        guard count >= 0 else { throw .invalidShape(rows: 1, columns: count) }
        var result = [Scalar](repeating: 0, count: count)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try fillNoise(buffer, words: words, threads: threads)
        }
        return result
    }
}
