import Foundation
import Testing

@testable import GumbelSoftmax

@Suite("Accuracy of the vectorised noise, log and exp")
struct NoiseAccuracyTests {
    /// Every word maps to one of 2^23 uniforms (`x >> 9`); check all of them against Double.
    @Test func everyUniformGivesAccurateFiniteNoise() {
        var worst = 0.0
        var worstMantissa: UInt32 = 0
        var nonFinite = 0
        var mantissa: UInt32 = 0
        // The bulk width the sampling kernels use (32 or 64 lanes).
        let width = WideFloatLanes.count
        var words = [UInt32](repeating: 0, count: width)
        var g = [Float](repeating: 0, count: width)
        while mantissa < 1 << 23 {
            for lane in 0..<width { words[lane] = (mantissa + UInt32(lane)) << 9 }
            words.withUnsafeBufferPointer { w in
                g.withUnsafeMutableBufferPointer { out in
                    NoiseMath.gumbel(WideFloatLanes.load(w.baseAddress!), mapping: .centered, as: WideFloatLanes.self)
                        .store(to: out.baseAddress!)
                }
            }
            for lane in 0..<width {
                let m = mantissa + UInt32(lane)
                let exact = Reference.gumbel(m << 9)
                let value = g[lane]
                if !value.isFinite { nonFinite += 1 }
                let error = Swift.abs(Double(value) - exact) / Swift.max(1, Swift.abs(exact))
                if error > worst {
                    worst = error
                    worstMantissa = m
                }
            }
            mantissa += UInt32(width)
        }
        #expect(nonFinite == 0)
        #expect(worst <= 2e-6, "worst scaled error \(worst) at mantissa \(worstMantissa)")
        // The bound is met with room to spare; a regression in the log would show here first.
        #expect(worst <= 5e-7, "worst scaled error \(worst) at mantissa \(worstMantissa)")
    }

    /// The eight-lane code (tails, scalar noise) and the bulk-width code give the same bits: the
    /// kernels mix them within one row.
    @Test func widthsAgreeBitForBit() {
        let width = WideFloatLanes.count
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var mismatches = 0
        var words = [UInt32](repeating: 0, count: width)
        var x = [Float](repeating: 0, count: width)
        var wide = [Float](repeating: 0, count: width)
        for _ in 0..<(640_000 / width) {
            for lane in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                words[lane] = UInt32(truncatingIfNeeded: state >> 32)
                x[lane] = -Float(words[lane] >> 8) * 0x1p-17
            }
            for mapping in [UniformMapping.centered, .jaxTiny] {
                words.withUnsafeBufferPointer { w in
                    wide.withUnsafeMutableBufferPointer { out in
                        NoiseMath.gumbel(WideFloatLanes.load(w.baseAddress!), mapping: mapping, as: WideFloatLanes.self)
                            .store(to: out.baseAddress!)
                    }
                }
                for part in 0..<(width / 8) {
                    var narrowWords = WordLanes()
                    for lane in 0..<8 { narrowWords[lane] = words[8 * part + lane] }
                    let narrow = NoiseMath.gumbel(narrowWords, mapping: mapping)
                    for lane in 0..<8 where narrow[lane].bitPattern != wide[8 * part + lane].bitPattern { mismatches += 1 }
                }
            }
            x.withUnsafeBufferPointer { input in
                wide.withUnsafeMutableBufferPointer { out in
                    FastMath.expNonPositive(WideFloatLanes.load(input.baseAddress!)).store(to: out.baseAddress!)
                }
            }
            for part in 0..<(width / 8) {
                var narrow = FloatLanes()
                for lane in 0..<8 { narrow[lane] = x[8 * part + lane] }
                let n = FastMath.expNonPositive(narrow)
                for lane in 0..<8 where n[lane].bitPattern != wide[8 * part + lane].bitPattern { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    /// The low 9 bits of a word never matter, and the extremes are the ones SPEC 2 names.
    @Test func extremesOfTheUniform() {
        #expect(GumbelNoise.uniform(word: 0) == 0x1p-24)
        #expect(GumbelNoise.uniform(word: .max) == 1 - 0x1p-24)
        #expect(GumbelNoise.gumbel(word: 0x1234_5000) == GumbelNoise.gumbel(word: 0x1234_51FF))
        #expect(GumbelNoise.gumbel(word: 0).isFinite)
        #expect(GumbelNoise.gumbel(word: .max).isFinite)
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
