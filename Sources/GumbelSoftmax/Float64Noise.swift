// Gumbel noise in float64 (SPEC section 5): the same words and uniforms as the Float noise, with
// `g = -ln(-ln U)` in Double, within 1e-12 * max(1, |g|) of the exact value for every word and
// tail word. The fill is GumbelNoise.swift's, the tile noise `Double.noiseTile` (Float64Kernel.swift)
// over Noise/DoubleNoise.swift.

extension GumbelNoise {
    /// The float64 Gumbel noise that a word maps to, for generators of `mapping`.
    ///
    /// - Parameters:
    ///   - word: The word at some position.
    ///   - tailWord: For `.centered`, the tail word of that position, read only when `word` is in
    ///     an outer band; ignored by `.jaxTiny`.
    ///   - mapping: The generator's `uniformMapping`.
    /// - Returns: The noise the float64 kernels use for that element, bit for bit.
    public static func float64Gumbel(word: UInt32, tailWord: UInt32, mapping: UniformMapping = .centered) -> Double {
        DoubleNoise.gumbel(word: word, tailWord: tailWord, mapping: mapping)
    }

    /// Fills `buffer` with float64 noise from the generator's current position on, and advances
    /// the generator by `buffer.count` words.
    ///
    /// - Parameters:
    ///   - buffer: Where to write the noise.
    ///   - generator: The generator; element `i` uses word `position + i`.
    ///   - threads: Worker threads; defaults to all cores. The result does not depend on it.
    /// - Throws: `GumbelSoftmaxError.invalidThreadCount` for `threads < 1`.
    /// - Complexity: O(`buffer.count`).
    public static func fill<G: CounterBasedRandomGenerator>(
        _ buffer: UnsafeMutableBufferPointer<Double>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: 1, columns: buffer.count) { (words) throws(GumbelSoftmaxError) in
            try fillNoise(buffer, words: words, threads: threads)
        }
    }

    /// Returns `count` float64 noise values from the generator's position on, and advances it by
    /// `count`.
    ///
    /// - Complexity: O(`count`).
    public static func sample<G: CounterBasedRandomGenerator>(
        count: Int, as: Double.Type, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        try generator.advancing(rows: 1, columns: count) { (words) throws(GumbelSoftmaxError) in
            try noise(count: count, words: words, threads: threads)
        }
    }

    /// Returns `count` float64 noise values of the Philox stream `(seed, stream)` from `position` on.
    ///
    /// - Complexity: O(`count`).
    public static func sample(
        count: Int, as: Double.Type, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(count: count, as: Double.self, using: &generator, threads: threads)
    }
}
