/// Gumbel(0, 1) noise from a counter-based generator (SPEC section 2).
///
/// For `PhiloxGenerator` (`UniformMapping.centered`), word `x` becomes the uniform
/// `u = (Float(x >> 9) + 0.5) * 2^-23` (never 0 or 1) and then `g = -log(-log(u))`, computed with a
/// vectorised logarithm whose error is within `2e-6 * max(1, |g|)` for every possible word.
/// `ThreefryJAXGenerator` uses JAX's uniform instead (`UniformMapping.jaxTiny`); the noise is
/// `-log(-log(u))` the same way.
public enum GumbelNoise {
    /// The uniform in (0, 1) that a Philox word maps to; exact.
    public static func uniform(word: UInt32) -> Float {
        NoiseMath.uniform(WordLanes(repeating: word), mapping: .centered, as: FloatLanes.self)[0]
    }

    /// The Gumbel noise that a word maps to, for generators of `mapping`.
    public static func gumbel(word: UInt32, mapping: UniformMapping = .centered) -> Float {
        NoiseMath.gumbel(WordLanes(repeating: word), mapping: mapping, as: FloatLanes.self)[0]
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
        try Validate.threads(threads)
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let count = buffer.count
        let start = generator.position
        let source = generator
        let mapping = G.uniformMapping
        let tile = SamplingKernel.tile
        let units = (count + tile - 1) / tile
        let workers = SamplingKernel.workerCount(requested: threads, elements: count, units: units)
        nonisolated(unsafe) let output = base
        SamplingKernel.parallelFor(units: units, workers: workers) { range in
            let words = UnsafeMutablePointer<UInt32>.allocate(capacity: tile)
            defer { words.deallocate() }
            for unit in range {
                let offset = unit * tile
                let n = Swift.min(tile, count - offset)
                source.fillWords(
                    startingAt: start &+ UInt64(offset), into: UnsafeMutableBufferPointer(start: words, count: n))
                switch mapping {
                case .centered: SamplingKernel.noise(words, into: output + offset, count: n, mapping: .centered)
                case .jaxTiny: SamplingKernel.noise(words, into: output + offset, count: n, mapping: .jaxTiny)
                }
            }
        }
        generator.position = start &+ UInt64(count)
    }

    /// Returns `count` noise values from the generator's position on, and advances it by `count`.
    ///
    /// - Complexity: O(`count`).
    public static func sample<G: CounterBasedRandomGenerator>(
        count: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        guard count >= 0 else { throw .invalidShape(rows: 1, columns: count) }
        var result = [Float](repeating: 0, count: count)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try fill(buffer, using: &generator, threads: threads)
        }
        return result
    }

    /// Returns `count` noise values of the Philox stream `(seed, stream)` from `position` on.
    public static func sample(
        count: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try sample(count: count, using: &generator, threads: threads)
    }
}
