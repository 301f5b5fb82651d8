import Foundation
import Testing

@testable import GumbelSoftmax

@Suite("Accuracy of the vectorised noise, log and exp")
struct NoiseAccuracyTests {
    /// A tail word for word `x` (a fixed mix, so that band words meet varied tails).
    static func mixedTail(_ x: UInt32) -> UInt32 {
        var h = UInt64(x) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return UInt32(truncatingIfNeeded: h &* 0xBF58_476D_1CE4_E5B9 >> 32)
    }

    /// The noise of `words` through the kernels' bulk path (the widest vectors, then eight lanes,
    /// then the band fix-up), with tail word `tails(i)` for word `i`.
    static func kernelNoise(_ words: [UInt32], tails: (Int) -> UInt32) -> [Float] {
        var g = [Float](repeating: .nan, count: words.count)
        words.withUnsafeBufferPointer { w in
            g.withUnsafeMutableBufferPointer { out in
                let banded = NoiseMath.noise(w.baseAddress!, into: out.baseAddress!, count: w.count, mapping: .centered)
                if banded {
                    NoiseMath.fixBands(w.baseAddress!, count: w.count, tailWord: tails) { out[$0] = $1 }
                }
            }
        }
        return g
    }

    /// The worst scaled error `|g - exact| / max(1, |exact|)` over `words`, against the Double reference.
    static func worstError(_ words: [UInt32], tails: (Int) -> UInt32) -> (error: Double, word: UInt32, nonFinite: Int) {
        let g = kernelNoise(words, tails: tails)
        var worst = (error: 0.0, word: UInt32(0), nonFinite: 0)
        for i in words.indices {
            if !g[i].isFinite { worst.nonFinite += 1 }
            let exact = Reference.gumbel(words[i], tail: tails(i))
            let error = Swift.abs(Double(g[i]) - exact) / Swift.max(1, Swift.abs(exact))
            if !(error <= worst.error) { worst = (error, words[i], worst.nonFinite) }
        }
        return worst
    }

    /// Every word in both bands and within 8192 of both band edges, each with the tail words 0,
    /// 2^32 - 1 and a mixed one; and every word near the other switches of the bulk path (U = 1/2,
    /// where it changes from log U to log1p(-(1 - U)), and U = sqrt(1/2), where the log's
    /// reduction changes).
    @Test func everyWordNearTheBandsAndInThem() {
        var words: [UInt32] = []
        words += (0..<UInt32((1 << 16) + 8192)).map { $0 }
        words += (UInt32(0) &- (1 << 16) &- 8192...UInt32.max).map { $0 }
        words += ((1 << 31) - 8192..<(1 << 31) + 8192).map { UInt32($0) }
        words += (0xB504_F333 - 8192..<0xB504_F333 + 8192).map { UInt32($0) }
        #expect(words.filter(NoiseMath.isInBand).count == 1 << 17)
        let tailChoices: [(UInt32) -> UInt32] = [{ _ in 0 }, { _ in .max }, Self.mixedTail]
        for tail in tailChoices {
            let worst = Self.worstError(words) { tail(words[$0]) }
            #expect(worst.nonFinite == 0)
            #expect(worst.error <= 2e-6, "worst scaled error \(worst.error) at word \(worst.word)")
        }
    }

    /// A dense stride over all 2^32 words (every 251st, about 17 million, which meets every
    /// residue of the low bits), against Double.
    @Test func denseStrideOverAllWords() {
        let stride: UInt64 = 251
        var worst = (error: 0.0, word: UInt32(0), nonFinite: 0)
        var start: UInt64 = 0
        let chunk = 1 << 16
        while start < 1 << 32 {
            let words = (0..<chunk).compactMap { i -> UInt32? in
                let x = start + UInt64(i) * stride
                return x < 1 << 32 ? UInt32(x) : nil
            }
            let w = Self.worstError(words) { Self.mixedTail(words[$0]) }
            worst.nonFinite += w.nonFinite
            if w.error > worst.error { worst = (w.error, w.word, worst.nonFinite) }
            start += UInt64(chunk) * stride
        }
        #expect(worst.nonFinite == 0)
        #expect(worst.error <= 2e-6, "worst scaled error \(worst.error) at word \(worst.word)")
    }

    /// The power form's noise `r = 1 / E` (`E = -ln U`, `g = -ln E`; PowerForm.swift):
    /// within 1e-6 relative of Double for every word in and near both bands and a stride over all
    /// words (bulk and eight-lane loops, then the band fix-up), and the same pass's largest logit
    /// and its NaN and `+inf` check, in either loop.
    @Test func reciprocalExponentials() {
        var words: [UInt32] = []
        words += (0..<UInt32((1 << 16) + 8192)).map { $0 }
        words += (UInt32(0) &- (1 << 16) &- 8192...UInt32.max).map { $0 }
        words += stride(from: UInt64(0), to: 1 << 32, by: 4099).map { UInt32($0) }
        words.append(12345)  // an odd count: the eight-lane loop runs too
        let n = words.count
        var logits = (0..<n).map { Float($0 % 1000) - 500 }
        var r = [Float](repeating: .nan, count: n)
        func run() -> (maximum: Float, invalid: Bool) {
            words.withUnsafeBufferPointer { w in
                logits.withUnsafeBufferPointer { l in
                    r.withUnsafeMutableBufferPointer { out in
                        let result = NoiseMath.reciprocalExponentials(
                            w.baseAddress!, into: out.baseAddress!, count: n, mapping: .centered, logits: l.baseAddress!
                        )
                        #expect(result.banded)
                        NoiseMath.fixBands(
                            w.baseAddress!, count: n, tailWord: { Self.mixedTail(w[$0]) },
                            exact: NoiseMath.bandReciprocalExponential
                        ) { out[$0] = $1 }
                        return (result.maximum, result.invalid)
                    }
                }
            }
        }
        let clean = run()
        #expect(clean.maximum == 499 && !clean.invalid)
        var worst = 0.0
        for i in 0..<n {
            let exact = 1 / Reference.exponential(words[i], tail: Self.mixedTail(words[i]))
            worst = Swift.max(worst, Swift.abs(Double(r[i]) - exact) / exact)
        }
        #expect(worst <= 1e-6, "worst relative error of 1 / E: \(worst)")
        logits[n - 1] = 1000
        #expect(run().maximum == 1000)
        logits[n - 1] = .nan
        #expect(run().invalid)
        logits[n - 1] = 0
        logits[7] = .infinity
        #expect(run().invalid)
        logits[7] = .nan
        #expect(run().invalid)
    }

    /// The noise in eight, thirty-two and sixty-four lanes gives the same bits (every build has
    /// all three types; the build picks the bulk width), and so does the exponential.
    @Test func widthsAgreeBitForBit() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var mismatches = 0
        var words = [UInt32](repeating: 0, count: 64)
        var x = [Float](repeating: 0, count: 64)
        var g32 = [Float](repeating: 0, count: 64)
        var g64 = [Float](repeating: 0, count: 64)
        for round in 0..<10_000 {
            for lane in 0..<64 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                words[lane] = UInt32(truncatingIfNeeded: state >> 32)
                // Every fourth round, words in and near the bands.
                if round % 4 == 0 { words[lane] = words[lane] >> 14 &- (1 << 17) }
                x[lane] = -Float(words[lane] >> 8) * 0x1p-17
            }
            for mapping in [UniformMapping.centered, .jaxTiny] {
                words.withUnsafeBufferPointer { w in
                    g32.withUnsafeMutableBufferPointer { out in
                        for half in 0..<2 {
                            NoiseMath.gumbel(
                                FloatLanes32.load(w.baseAddress! + 32 * half), mapping: mapping, as: FloatLanes32.self
                            ).store(to: out.baseAddress! + 32 * half)
                        }
                    }
                    g64.withUnsafeMutableBufferPointer { out in
                        NoiseMath.gumbel(
                            Pair<FloatLanes32>.load(w.baseAddress!), mapping: mapping, as: Pair<FloatLanes32>.self
                        ).store(to: out.baseAddress!)
                    }
                }
                for part in 0..<8 {
                    var narrowWords = WordLanes()
                    for lane in 0..<8 { narrowWords[lane] = words[8 * part + lane] }
                    let narrow = NoiseMath.gumbel(narrowWords, mapping: mapping, as: FloatLanes.self)
                    for lane in 0..<8 {
                        let i = 8 * part + lane
                        if narrow[lane].bitPattern != g32[i].bitPattern { mismatches += 1 }
                        if narrow[lane].bitPattern != g64[i].bitPattern { mismatches += 1 }
                    }
                }
            }
            x.withUnsafeBufferPointer { input in
                g32.withUnsafeMutableBufferPointer { out in
                    FastMath.expNonPositive(FloatLanes32.load(input.baseAddress!)).store(to: out.baseAddress!)
                    FastMath.expNonPositive(FloatLanes32.load(input.baseAddress! + 32)).store(to: out.baseAddress! + 32)
                }
                g64.withUnsafeMutableBufferPointer { out in
                    FastMath.expNonPositive(Pair<FloatLanes32>.load(input.baseAddress!)).store(to: out.baseAddress!)
                }
            }
            for part in 0..<8 {
                var narrow = FloatLanes()
                for lane in 0..<8 { narrow[lane] = x[8 * part + lane] }
                let n = FastMath.expNonPositive(narrow)
                for lane in 0..<8 {
                    if n[lane].bitPattern != g32[8 * part + lane].bitPattern { mismatches += 1 }
                    if n[lane].bitPattern != g64[8 * part + lane].bitPattern { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// The extremes SPEC 2 names: U in [2^-65, 1 - 2^-65], g in [-3.81, 45.06]; the tail word
    /// matters in the bands and nowhere else.
    @Test func extremesAndTheTailWord() {
        #expect(GumbelNoise.uniform(word: 0, tailWord: 0) == 0x1p-65)
        #expect(GumbelNoise.uniform(word: 1 << 16, tailWord: 12345) == 65536.5 * 0x1p-32)
        let lowest = GumbelNoise.gumbel(word: 0, tailWord: 0)
        let highest = GumbelNoise.gumbel(word: .max, tailWord: .max)
        #expect(Swift.abs(Double(lowest) - -3.807_874_349_313_973) <= 2e-6 * 3.81)
        #expect(Swift.abs(Double(highest) - 45.054_566_736_396_445) <= 2e-6 * 45.06)
        #expect(lowest >= -3.81 && highest <= 45.06)
        // Inside the bulk the tail word is never read; in a band it is.
        #expect(GumbelNoise.gumbel(word: 1 << 16, tailWord: 0) == GumbelNoise.gumbel(word: 1 << 16, tailWord: .max))
        #expect(GumbelNoise.gumbel(word: .max, tailWord: 0) != GumbelNoise.gumbel(word: .max, tailWord: 1 << 31))
        #expect(GumbelNoise.gumbel(word: 0, tailWord: 0) != GumbelNoise.gumbel(word: 0, tailWord: 1 << 31))
        // 32-bit resolution in the bulk: neighbouring words give different noise (v1 ignored 9 bits).
        #expect(
            GumbelNoise.gumbel(word: 0x1234_5000, tailWord: 0) != GumbelNoise.gumbel(word: 0x1234_51FF, tailWord: 0))
    }

    /// `log` over a dense sweep of positive floats: relative error within a few ulps.
    @Test func logIsAccurate() {
        var worst = 0.0
        var x: Float = 1e-37
        while x < 1e37 {
            let lanes = FloatLanes(x, x.nextUp, x * 1.1, x * 1.3, x * 1.5, x * 1.7, x * 1.9, x * 0.999)
            let y = FastMath.log(lanes)
            for lane in 0..<8 {
                let exact = Foundation.log(Double(lanes[lane]))
                let error = Swift.abs(Double(y[lane]) - exact) / Swift.max(Swift.abs(exact), 1e-30)
                if exact != 0 { worst = Swift.max(worst, Swift.min(error, Swift.abs(Double(y[lane]) - exact) / 1e-7)) }
            }
            x *= 1.0001
        }
        #expect(worst <= 3e-7, "worst log error \(worst)")
        // Near 1 the error stays relative to log(x), not absolute.
        var nearOne: Float = 1
        for _ in 0..<100_000 {
            nearOne = nearOne.nextDown
            let y = FastMath.log(FloatLanes(repeating: nearOne))[0]
            let exact = Foundation.log(Double(nearOne))
            #expect(Swift.abs(Double(y) - exact) <= 3e-7 * Swift.abs(exact))
        }
    }

    /// `exp` over a dense sweep of [-87.3, 0], plus its exact cases.
    @Test func expIsAccurate() {
        var worst = 0.0
        var x: Float = -87.3
        while x <= 0 {
            let lanes = FloatLanes(x, x + 1e-3, x + 2e-3, x + 3e-3, x + 4e-3, x + 5e-3, x + 6e-3, x + 7e-3)
            let y = FastMath.expNonPositive(lanes)
            for lane in 0..<8 where lanes[lane] <= 0 {
                let exact = Foundation.exp(Double(lanes[lane]))
                worst = Swift.max(worst, Swift.abs(Double(y[lane]) - exact) / exact)
            }
            x += 8e-3
        }
        #expect(worst <= 3e-7, "worst exp error \(worst)")
        let special = FastMath.expNonPositive(FloatLanes(0, -.infinity, -88, -1e30, -0.0, -87.34, -1e-30, -100))
        #expect(special[0] == 1)
        #expect(special[1] == 0)
        #expect(special[2] == 0)
        #expect(special[3] == 0)
        #expect(special[4] == 1)
        #expect(special[5] == 0)
        #expect(special[6] == 1)
        #expect(special[7] == 0)
    }
}
