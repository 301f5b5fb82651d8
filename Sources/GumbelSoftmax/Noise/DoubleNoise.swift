#if canImport(Glibc)
    import Glibc
#endif

// Words -> uniforms -> Gumbel noise in float64 (SPEC section 5): the same words and the same
// uniforms `U` as section 2, then `g = -ln(-ln U)` in Double.
//
// Outside the tail bands `U = (x + 1/2) 2^-32` has 33 significant bits, so it is exact in a Double,
// and so is `1 - U`: the log's reduction then forms `f = U - 1` exactly near `U = 1`, which is the
// `C = 1 - U` from the integers that section 2 asks for. Each element is two vector logs
// (`DoubleMath.log`), below 1 ulp each: `E = -ln U` is within a few ulps (relative) and `g = -ln E`
// within a few ulps plus 1e-16 absolute, far inside the contract's 1e-12. The rare words in a
// tail band (one in 32768) are recomputed one by one from their 64-bit uniform, which is exact
// in a Double too (at most 49 significant bits), with the C library's `log` and `log1p`
// (`NoiseMath.bandExponential`).
//
// `ThreefryJAXGenerator` keeps JAX's own float64 uniform (from 64 bits per element,
// `fillFloat64Uniforms`), as `jax.random.gumbel(key, shape, jnp.float64)` draws it; `uniforms(...,
// mapping: .jaxTiny)` widens JAX's float32 uniform of a word, for `float64Gumbel(word:...)`.

enum DoubleNoise {
    /// The uniforms of 16 words (`count` of them; the other lanes hold a valid filler), per `mapping`.
    @inline(__always)
    static func uniforms(_ words: UnsafePointer<UInt32>, count: Int = 16, mapping: UniformMapping) -> DoubleLanes {
        switch mapping {
        case .centered:
            // (x + 1/2) 2^-32, exact.
            return DoubleLanes.multiplyAdd(DoubleLanes.words(words, count: count), 0x1p-32, 0x1p-33)
        case .jaxTiny:
            var s = SIMD16<Double>(repeating: 0.5)
            for half in 0..<2 where half * 8 < count {
                let n = Swift.min(8, count - half * 8)
                let u = NoiseMath.jaxUniform(loadPartial(words + half * 8, count: n), as: FloatLanes.self)
                for lane in 0..<n { s[half * 8 + lane] = Double(u[lane]) }
            }
            return DoubleLanes(s)
        }
    }

    /// `g = -ln(-ln U)`.
    @inline(__always)
    static func gumbel(uniforms u: DoubleLanes) -> DoubleLanes {
        -DoubleMath.log(-DoubleMath.log(u))
    }

    /// Replaces the `count` float64 uniforms at `values` by `value(u, i, n)`, sixteen at a time
    /// (for a generator with float64 uniforms of its own, which have no tail bands).
    @inline(__always)
    static func mapUniforms(
        _ values: UnsafeMutablePointer<Double>, count: Int,
        _ value: (_ u: DoubleLanes, _ i: Int, _ n: Int) -> DoubleLanes
    ) {
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let u = DoubleLanes.load(values + i, count: n, padding: 0.5)
            value(u, i, n).store(to: values + i, count: n)
            i += n
        }
    }

    /// How far a word's uniform lies from the two outer bands: `min(x, 2^32 - 1 - x)` as a Double,
    /// below `2^16` exactly for a word in a band (`.centered`).
    @inline(__always)
    static func bandDistance(uniforms u: DoubleLanes) -> DoubleLanes {
        let x = DoubleLanes.multiplyAdd(u, 0x1p32, -0.5)  // exact
        return DoubleLanes.minimum(x, DoubleLanes(repeating: 0xFFFF_FFFF) - x)
    }

    /// Writes `value(u, i, n)` for the uniforms `u` of words `i ..< i + n` to `output + i`, sixteen
    /// at a time, over `count` words. Returns false when some word lies in an outer band
    /// (`.centered` only): the caller must then fix those elements.
    @inline(__always)
    static func map(
        _ words: UnsafePointer<UInt32>, into output: UnsafeMutablePointer<Double>, count: Int,
        mapping: UniformMapping, _ value: (_ u: DoubleLanes, _ i: Int, _ n: Int) -> DoubleLanes
    ) -> Bool {
        var nearest = DoubleLanes(repeating: 0x1p32)
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let u = uniforms(words + i, count: n, mapping: mapping)
            nearest = DoubleLanes.minimum(nearest, bandDistance(uniforms: u))
            value(u, i, n).store(to: output + i, count: n)
            i += n
        }
        return mapping != .centered || nearest.minOfLanes >= Double(NoiseMath.bandWidth)
    }

    /// `d = logits + g` over `count` elements (`d = g` when `logits` is nil); false when some word
    /// lies in an outer band (`fixBands` must then run).
    @inline(__always)
    static func perturb(
        _ logits: UnsafePointer<Double>?, words: UnsafePointer<UInt32>, into d: UnsafeMutablePointer<Double>,
        count: Int, mapping: UniformMapping
    ) -> Bool {
        map(words, into: d, count: count, mapping: mapping) { u, i, n in
            let g = gumbel(uniforms: u)
            guard let logits else { return g }
            return g + DoubleLanes.load(logits + i, count: n, padding: 0)
        }
    }

    /// `r = 1 / E` with `E = -ln U` (so `exp(g) = r`): one logarithm where the noise takes two.
    /// False when some word lies in an outer band (`fixBands(..., exact: bandReciprocal)` must
    /// then run).
    @inline(__always)
    static func reciprocals(
        _ words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Double>, count: Int, mapping: UniformMapping
    ) -> Bool {
        map(words, into: r, count: count, mapping: mapping) { u, _, _ in
            DoubleLanes(repeating: 1) / -DoubleMath.log(u)
        }
    }

    /// The exact `1 / E` of a word in an outer band.
    @inline(__always)
    static func bandReciprocal(word x: UInt32, tailWord t: UInt32) -> Double {
        1 / NoiseMath.bandExponential(word: x, tailWord: t)
    }

    /// The exact float64 noise of a word in an outer band, from its tail word.
    @inline(__always)
    static func bandGumbel(word x: UInt32, tailWord t: UInt32) -> Double {
        -log(NoiseMath.bandExponential(word: x, tailWord: t))
    }

    /// Calls `body(i, value)` for every band word among `count` words, with its exact noise `g` (or
    /// another exact value, `exact`).
    @inline(__always)
    static func fixBands(
        _ words: UnsafePointer<UInt32>, count: Int, tailWord: (Int) -> UInt32,
        exact: (_ word: UInt32, _ tailWord: UInt32) -> Double = bandGumbel(word:tailWord:),
        _ body: (Int, Double) -> Void
    ) {
        NoiseMath.forEachBandWord(words, count: count) { i in body(i, exact(words[i], tailWord(i))) }
    }

    /// The float64 noise of one word, bit for bit what the kernels use.
    static func gumbel(word x: UInt32, tailWord t: UInt32, mapping: UniformMapping) -> Double {
        if mapping == .centered && NoiseMath.isInBand(x) { return bandGumbel(word: x, tailWord: t) }
        return withUnsafePointer(to: x) { gumbel(uniforms: uniforms($0, count: 1, mapping: mapping)).simd[0] }
    }
}
