#if canImport(Glibc)
    import Glibc
#endif

// Words -> uniforms -> Gumbel noise (SPEC section 2, contract version 2), in any lane width.
//
// For `UniformMapping.centered` the uniform of word `x` is `U = (x + 1/2) 2^-32`, except in the
// two outer bands of 2^16 words where it takes 64 bits, `(x 2^32 + t + 1/2) 2^-64` with `t` the
// position's tail word. The bulk loops compute every element from its 32-bit uniform, branch-free
// (`gumbel`), and report whether any word was in a band; those rare elements (one in 32768) are
// then recomputed one by one from their tail words (`bandGumbel`), in Double.
//
// The bulk path: `w = x` below 2^31 and `w = ~x = 2^32 - 1 - x` above, so `V = (w + 1/2) 2^-32` is
// `U` or `1 - U`, exactly the smaller of the two up to one rounding (`w < 2^31` converts in one
// instruction). Then `ln U = k ln 2 + log1p(f)` with `1 + f` in `[1/2, 1)`: in the lower half
// `V = U = 2^k (1 + f)`, read from its bits; in the upper half `k = 0` and `f = -V`, which is
// `U - 1` formed from the integers (a Float `U` near 1 has lost it). `E = -ln U` goes through the
// same reduction and the same polynomial, and `g = -ln E`. Neither logarithm cancels: both terms
// of `ln U` are negative, and near `E = 1`, where the second one can, the contract's tolerance is
// absolute.

enum NoiseMath {
    /// Words in `[0, bandWidth)` and `[2^32 - bandWidth, 2^32)` take 64-bit uniforms.
    static let bandWidth: UInt32 = 1 << 16

    /// Whether word `x` lies in one of the two outer bands.
    @inline(__always)
    static func isInBand(_ x: UInt32) -> Bool { x &+ bandWidth < 2 * bandWidth }

    /// Gumbel noise from words, per `mapping`. For `.centered` a word in an outer band gets the
    /// noise of its 32-bit uniform here; `bandGumbel` gives its exact value.
    @inline(__always)
    static func gumbel<V: FloatVector>(_ words: V.Bits, mapping: UniformMapping, as: V.Type) -> V {
        var smallest = V.Bits(repeating: 0xFFFF_FFFF)
        return gumbel(words, mapping: mapping, smallest: &smallest, as: V.self)
    }

    /// Gumbel noise from words, per `mapping`; for `.centered`, lowers `smallest` lane-wise to
    /// `min(x, 2^32 - 1 - x)` of each word, which is below `bandWidth` exactly for a word in an
    /// outer band (whose noise is then only the 32-bit approximation).
    @inline(__always)
    static func gumbel<V: FloatVector>(
        _ words: V.Bits, mapping: UniformMapping, smallest: inout V.Bits, as: V.Type
    ) -> V {
        gumbel(exponential: exponential(words, mapping: mapping, smallest: &smallest, as: V.self), mapping: mapping)
    }

    /// The running minimum of a bulk loop's band test. In the avx512 tier it is one register, and
    /// each step's four registers are folded into it: a 64-lane minimum took four, which the noise
    /// passes spilled and read and wrote through the stack at every step (docs/benchmarks.md,
    /// "Levers measured").
    struct SmallestWord {
        #if GUMBEL_SOFTMAX_AVX512
            var lanes = SIMD16<UInt32>(repeating: 0xFFFF_FFFF)

            /// Whether some word seen lies in an outer band (`.centered`).
            @inline(__always) var banded: Bool { lanes.min() < bandWidth }
        #else
            var lanes = WideFloatLanes.Bits(repeating: 0xFFFF_FFFF)

            /// Whether some word seen lies in an outer band (`.centered`).
            @inline(__always) var banded: Bool { lanes.minOfLanes < bandWidth }
        #endif

        /// `exponential` of one bulk vector of words, their band test folded into these lanes.
        @inline(__always)
        mutating func exponential(_ words: WideFloatLanes.Bits, mapping: UniformMapping) -> WideFloatLanes {
            // From all ones, so that `least` holds this vector's band test alone.
            var least = WideFloatLanes.Bits(repeating: 0xFFFF_FFFF)
            let e = NoiseMath.exponential(words, mapping: mapping, smallest: &least, as: WideFloatLanes.self)
            #if GUMBEL_SOFTMAX_AVX512
                lanes = Lanes16.minimum(lanes, quartersOf: least)
            #else
                lanes = WideFloatLanes.Bits.minimum(lanes, least)
            #endif
            return e
        }
    }

    /// `g = -ln E` of the variates `E = exponential(...)`, per `mapping`.
    @inline(__always)
    static func gumbel<V: FloatVector>(exponential e: V, mapping: UniformMapping) -> V {
        switch mapping {
        case .centered:
            let (kE, fE) = split(e)
            return negativeLog(exponent: kE, fraction: fE)
        case .jaxTiny:
            return -FastMath.log(e)
        }
    }

    /// `E = -ln U`, the Exponential(1) variate of each word (`g = -ln E`), per `mapping`; lowers
    /// `smallest` as `gumbel` does. For `.centered` words outside the bands, `E` lies in
    /// `[2^-16, 11.1]`.
    @inline(__always)
    static func exponential<V: FloatVector>(
        _ words: V.Bits, mapping: UniformMapping, smallest: inout V.Bits, as: V.Type
    ) -> V {
        switch mapping {
        case .centered:
            let upper = words.arithmeticShiftedRight(31)  // all-ones where x >= 2^31, U > 1/2
            let w = words ^ upper  // x, or 2^32 - 1 - x: below 2^31
            // A word is in a band exactly when w < 2^16.
            smallest = V.Bits.minimum(smallest, w)
            // V = (w + 1/2) 2^-32 (one rounding with FMA, two without): U, or 1 - U.
            let v = V.multiplyAdd(V.converting(signed: w), V(repeating: 0x1p-32), V(repeating: 0x1p-33))
            let (kLower, fLower) = split(v)
            let k = kLower & (upper ^ V.Bits(repeating: 0xFFFF_FFFF))  // 0 in the upper half
            return negativeLog(exponent: k, fraction: V.select(upper, -v, fLower))  // -ln U
        case .jaxTiny:
            return -FastMath.log(jaxUniform(words, as: V.self))
        }
    }

    /// `x = 2^k (1 + f)` with `1 + f` in `[1/2, 1)`, for positive normal `x`: `k` (as bits) and
    /// `f`, both exact.
    @inline(__always)
    static func split<V: FloatVector>(_ x: V) -> (k: V.Bits, f: V) {
        let bits = x.bits
        let k = bits.shiftedRight(23) &- V.Bits(repeating: 126)
        let m = V(bits: (bits & V.Bits(repeating: 0x007F_FFFF)) | V.Bits(repeating: 0x3F00_0000))
        return (k, m - 1.0)  // exact: m in [1/2, 1)
    }

    /// `-(k ln 2 + log1p(f))` for `f` in `[-1/2, 0]`, `k` as a 32-bit integer, with relative
    /// error below 3e-7 (a least-squares fit of degree 5 for `(log1p(f) - f + f^2/2) / f^3`,
    /// minimax-weighted, Scripts/derive/noise_polynomial.py; the signs are folded into the
    /// coefficients). Both terms have the same sign unless `k > 0`.
    @inline(__always)
    static func negativeLog<V: FloatVector>(exponent k: V.Bits, fraction f: V) -> V {
        let z = f * f
        let z2 = z * z
        // -P(f) by Estrin's scheme.
        let p01 = V.multiplyAdd(f, 0.260_743_200_778_961_2, -0.332_914_978_265_762_33)
        let p23 = V.multiplyAdd(f, 0.616_464_912_891_387_9, -0.099_103_502_929_210_66)
        let p45 = V.multiplyAdd(f, 1.056_189_060_211_181_6, 0.847_202_360_630_035_4)
        let p = V.multiplyAdd(p45, z2, V.multiplyAdd(p23, z, p01))
        // -(log1p(f) - f) = f^2 / 2 - f^3 P(f).
        let y = V.multiplyAdd(z, 0.5, p * (f * z))
        return V.multiplyAdd(V.converting(signed: k), -0.693_147_182_464_599_6, y - f)
    }

    /// JAX's `uniform(minval: tiny, maxval: 1)`: `max(tiny, f * (1 - tiny) + tiny)` with
    /// `f = bitcast(0x3F800000 | x >> 9) - 1`.
    @inline(__always)
    static func jaxUniform<V: FloatVector>(_ words: V.Bits, as: V.Type) -> V {
        // f = bitcast(0x3F800000 | x >> 9) - 1 = (x >> 9) * 2^-23, exact.
        let f = V(bits: words.shiftedRight(9) | V.Bits(repeating: 0x3F80_0000)) - 1.0
        let tiny = Float.leastNormalMagnitude
        let u = f * V(repeating: 1 - tiny) + V(repeating: tiny)
        return V.atLeast(u, V(repeating: tiny))
    }

    /// The exact `.centered` noise of a word in an outer band, from its tail word `t`: in Double,
    /// where the 64-bit uniform (`U` in the lower band, `1 - U` in the upper) is exact, then
    /// rounded to Float.
    static func bandGumbel(word x: UInt32, tailWord t: UInt32) -> Float {
        Float(-log(bandExponential(word: x, tailWord: t)))
    }

    /// The exact `E = -ln U` of a word in an outer band, in Double (`bandGumbel` is `-ln` of it).
    static func bandExponential(word x: UInt32, tailWord t: UInt32) -> Double {
        if x < bandWidth {
            return -log((Double(x) * 0x1p32 + Double(t) + 0.5) * 0x1p-64)
        }
        return -log1p(-(Double(~x) * 0x1p32 + Double(~t) + 0.5) * 0x1p-64)
    }

    /// The exact `1 / E` of a word in an outer band, rounded to Float: in `[0.022, 2^65]`.
    static func bandReciprocalExponential(word x: UInt32, tailWord t: UInt32) -> Float {
        Float(1 / bandExponential(word: x, tailWord: t))
    }

    /// The `.centered` noise of a word at any position: `bandGumbel` in the bands, else the lane
    /// arithmetic of the bulk loops (so this gives the kernels' bits).
    static func gumbel(word x: UInt32, tailWord t: UInt32) -> Float {
        if isInBand(x) { return bandGumbel(word: x, tailWord: t) }
        return gumbel(WordLanes(repeating: x), mapping: .centered, as: FloatLanes.self)[0]
    }

    /// The `.centered` uniform of a word, rounded to the nearest Double (exact below 1/2).
    static func uniform(word x: UInt32, tailWord t: UInt32) -> Double {
        if x < bandWidth { return (Double(x) * 0x1p32 + Double(t) + 0.5) * 0x1p-64 }
        if x >= 0 &- bandWidth { return 1 - (Double(~x) * 0x1p32 + Double(~t) + 0.5) * 0x1p-64 }
        return (Double(x) + 0.5) * 0x1p-32
    }

    /// The lanes of `jaxNoise`: twice the bulk width in the avx512 tier (eight 512-bit chains),
    /// the bulk width otherwise.
    #if GUMBEL_SOFTMAX_AVX512
        typealias JAXNoiseLanes = Pair<WideFloatLanes>
    #else
        typealias JAXNoiseLanes = WideFloatLanes
    #endif

    /// `.jaxTiny` noise of the longest prefix of `count` words that `JAXNoiseLanes` divides, passed
    /// to `body(i, g)` for each block from word `i`; returns the prefix's length, where the bulk
    /// loop goes on. JAX's noise is two degree-8 logarithms (`FastMath.log`), a longer chain of
    /// dependent operations than `.centered`'s, and at the bulk width (four 512-bit chains) the
    /// core waits on their latencies: eight chains take 0.97 -> 0.90 ns per element off soft
    /// output at T = 0.7 (one thread, [1024, 1024]), though some of their registers spill.
    @inline(__always)
    static func jaxNoise(
        _ words: UnsafePointer<UInt32>, count: Int, _ body: (_ i: Int, _ g: JAXNoiseLanes) -> Void
    ) -> Int {
        let end = count - count % JAXNoiseLanes.count
        for i in stride(from: 0, to: end, by: JAXNoiseLanes.count) {
            body(i, gumbel(JAXNoiseLanes.load(words + i), mapping: .jaxTiny, as: JAXNoiseLanes.self))
        }
        return end
    }

    /// Gumbel noise from `count` words into `g`, in the bulk width then eight lanes at a time.
    /// Returns true when some word lies in an outer band (`.centered` only): `fixBands` must then
    /// run.
    @inline(__always)
    static func noise(
        _ words: UnsafePointer<UInt32>, into g: UnsafeMutablePointer<Float>, count: Int, mapping: UniformMapping
    ) -> Bool {
        let blocks = Blocks(count: count)
        var smallest = SmallestWord()
        let start = mapping == .jaxTiny ? jaxNoise(words, count: count) { i, noise in noise.store(to: g + i) } : 0
        for i in stride(from: start, to: blocks.wideEnd, by: WideFloatLanes.count) {
            let e = smallest.exponential(WideFloatLanes.load(words + i), mapping: mapping)
            gumbel(exponential: e, mapping: mapping).store(to: g + i)
        }
        var banded = smallest.banded
        for (i, n) in blocks.narrow {
            let noise = gumbel(loadPartial(words + i, count: n), mapping: mapping, as: FloatLanes.self)
            storePartial(noise, g + i, count: n)
            for j in i..<(i + n) where isInBand(words[j]) { banded = true }
        }
        return banded && mapping == .centered
    }

    /// `r = 1 / E` (`E = -ln U`, so `exp(g) = r`) from `count` words into `r`, in the bulk width
    /// then eight lanes at a time: one logarithm and one division where the noise takes two
    /// logarithms. In the same pass, the largest of the `count` floats at `logits` and whether any
    /// of them is NaN or `+inf` (reading them here, where the arithmetic hides the wait for
    /// memory, leaves them in L1 for the next pass). `banded` is true when some word lies in an
    /// outer band (`.centered` only): `fixBands(..., exact: bandReciprocalExponential)` must then
    /// run.
    @inline(__always)
    static func reciprocalExponentials(
        _ words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>, count: Int, mapping: UniformMapping,
        logits: UnsafePointer<Float>
    ) -> (maximum: Float, invalid: Bool, banded: Bool) {
        typealias W = WideFloatLanes
        var smallest = SmallestWord()
        var maximum = W(repeating: -.infinity)
        var infinite = W.Bits(repeating: 0)  // all-ones lanes after a +inf
        var ordered = W.Bits(repeating: 0xFFFF_FFFF)  // zero lanes after a NaN
        let blocks = Blocks(count: count)
        for i in blocks.wide {
            let e = smallest.exponential(W.load(words + i), mapping: mapping)
            (1.0 / e).store(to: r + i)
            let l = W.load(logits + i)
            infinite = infinite | W.atLeastMask(l, W(repeating: .infinity))
            ordered = ordered & W.atLeastMask(l, l)
            maximum = W.select(W.atLeastMask(maximum, l), maximum, l)
        }
        var banded = smallest.banded
        let valid = ordered & (infinite ^ W.Bits(repeating: 0xFFFF_FFFF))
        var invalid = valid.minOfLanes == 0
        var best = maximum.maxFolded.maxLanes()[0]
        for (i, n) in blocks.narrow {
            var ignored = WordLanes(repeating: 0xFFFF_FFFF)
            let e = exponential(
                loadPartial(words + i, count: n), mapping: mapping, smallest: &ignored, as: FloatLanes.self)
            storePartial(1.0 / e, r + i, count: n)
            for j in i..<(i + n) {
                if isInBand(words[j]) { banded = true }
                let l = logits[j]
                if !(l < .infinity) { invalid = true }
                if l > best { best = l }
            }
        }
        return (best, invalid, banded && mapping == .centered)
    }

    /// `d = logits + gumbel(words)` over `count` elements; returns true when some word lies in an
    /// outer band (`.centered` only): `fixBands` must then run. In the avx512 and avx2 tiers the
    /// bulk takes two passes, `E` into `d` and then `d = l - ln E`, as `perturbRows` does (general
    /// form, avx512: rows of 16, 10 and 1000 3 to 5% less time; avx2, where every shape takes this
    /// path: 4 to 8%). The baseline tier, bound by its instruction count, keeps one pass (two were
    /// no faster).
    ///
    /// The callers of this function, `noise` and `reciprocalExponentials` switch on the mapping
    /// and pass each case as a literal (`case .centered: perturb(..., mapping: .centered)`): the
    /// duplication is deliberate. Inlined with a constant mapping, the `switch mapping` inside
    /// `gumbel` and `exponential` folds away; passing the variable would keep it in the loop.
    @inline(__always)
    static func perturb(
        _ logits: UnsafePointer<Float>, _ words: UnsafePointer<UInt32>, _ d: UnsafeMutablePointer<Float>,
        count: Int, mapping: UniformMapping
    ) -> Bool {
        let blocks = Blocks(count: count)
        var smallest = SmallestWord()
        let start =
            mapping == .jaxTiny
            ? jaxNoise(words, count: count) { i, g in (JAXNoiseLanes.load(logits + i) + g).store(to: d + i) } : 0
        #if GUMBEL_SOFTMAX_AVX512 || GUMBEL_SOFTMAX_WIDE_VECTORS
            // Two passes, each of one logarithm (see `perturbRows`): the same values.
            for i in stride(from: start, to: blocks.wideEnd, by: WideFloatLanes.count) {
                smallest.exponential(WideFloatLanes.load(words + i), mapping: mapping).store(to: d + i)
            }
            for i in stride(from: start, to: blocks.wideEnd, by: WideFloatLanes.count) {
                let g = gumbel(exponential: WideFloatLanes.load(d + i), mapping: mapping)
                (WideFloatLanes.load(logits + i) + g).store(to: d + i)
            }
        #else
            for i in stride(from: start, to: blocks.wideEnd, by: WideFloatLanes.count) {
                let e = smallest.exponential(WideFloatLanes.load(words + i), mapping: mapping)
                (WideFloatLanes.load(logits + i) + gumbel(exponential: e, mapping: mapping)).store(to: d + i)
            }
        #endif
        var banded = smallest.banded
        for (i, n) in blocks.narrow {
            let g = gumbel(loadPartial(words + i, count: n), mapping: mapping, as: FloatLanes.self)
            let l = loadPartial(logits + i, count: n, padding: 0)
            storePartial(l + g, d + i, count: n)
            for j in i..<(i + n) where isInBand(words[j]) { banded = true }
        }
        return banded && mapping == .centered
    }

    /// Replaces the noise of every band word among `count` words with its exact value: calls
    /// `body(i, value)` for each word `i` in a band, with `value = exact(word, tailWord(i))`
    /// (by default the noise `g`, `bandGumbel`).
    @inline(__always)
    static func fixBands(
        _ words: UnsafePointer<UInt32>, count: Int, tailWord: (Int) -> UInt32,
        exact: (_ word: UInt32, _ tailWord: UInt32) -> Float = bandGumbel(word:tailWord:), _ body: (Int, Float) -> Void
    ) {
        forEachBandWord(words, count: count) { i in body(i, exact(words[i], tailWord(i))) }
    }

    /// Calls `body(i)` for each word `i` of `count` that lies in an outer band, in increasing `i`.
    /// Eight words at a time: a vector compare finds the rare groups that hold a band word (about
    /// one tile in sixteen has one at all), and only those are looked at one by one.
    @inline(__always)
    static func forEachBandWord(_ words: UnsafePointer<UInt32>, count: Int, _ body: (Int) -> Void) {
        let offset = WordLanes(repeating: bandWidth)
        let limit = WordLanes(repeating: 2 * bandWidth)
        var start = 0
        while start + 8 <= count {
            if any(load8(words + start) &+ offset .< limit) {
                for i in start..<(start + 8) where isInBand(words[i]) { body(i) }
            }
            start += 8
        }
        for i in start..<count where isInBand(words[i]) { body(i) }
    }
}
