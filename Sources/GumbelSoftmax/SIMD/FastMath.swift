// Vectorised log and exp for the sampling hot loops: no libm call per element.
//
// Both work on bit patterns and LLVM vector builtins (Swift's generic SIMD int<->float conversion
// is an out-of-line call; `converting(signed:)` is one `cvtdq2ps`) and use + - * and
// `multiplyAdd` (fused where the target has FMA), so one build gives the same bits in every lane
// width. The polynomials are Cephes' `logf`/`expf` (S. L. Moshier), whose relative error is about
// 1e-7; the tests sweep the noise over all words and a dense range of log and exp arguments.

enum FastMath {
    /// Natural logarithm of positive, finite, normal floats; about 1 ulp relative error, including
    /// near 1 (where `log(x)` is computed from `x - 1`, which is exact there).
    @inline(__always)
    static func log<V: FloatVector>(_ x: V) -> V {
        let (k, m) = reduce(x)
        return log(exponent: k, reduced: m - 1.0)  // m - 1 is exact
    }

    /// `x = 2^k * m` with `m` in `[sqrt(1/2), sqrt(2))`: `k` (as bits) and `m`.
    @inline(__always)
    static func reduce<V: FloatVector>(_ x: V) -> (k: V.Bits, m: V) {
        let ix = x.bits
        let t = ix &- V.Bits(repeating: 0x3F35_04F3)
        let k = t.arithmeticShiftedRight(23)
        return (k, V(bits: ix &- (t & V.Bits(repeating: 0xFF80_0000))))
    }

    /// `k * ln 2 + log(1 + f)` for `f` in `[sqrt(1/2) - 1, sqrt(2) - 1]`.
    @inline(__always)
    static func log<V: FloatVector>(exponent k: V.Bits, reduced f: V) -> V {
        let kf = V.converting(signed: k)  // exact: |k| < 2^8
        let z = f * f
        // Cephes' degree-8 polynomial, by Estrin's scheme: four dependent steps instead of
        // Horner's nine.
        let z2 = z * z
        let p01 = V.multiplyAdd(f, -2.499_999_399_3e-1, 3.333_333_117_4e-1)
        let p23 = V.multiplyAdd(f, -1.666_805_766_5e-1, 2.000_071_476_5e-1)
        let p45 = V.multiplyAdd(f, -1.242_014_084_6e-1, 1.424_932_278_7e-1)
        let p67 = V.multiplyAdd(f, -1.151_461_031_0e-1, 1.167_699_874_0e-1)
        let q0 = V.multiplyAdd(p23, z, p01)
        let q1 = V.multiplyAdd(p67, z, p45)
        let q1c = V.multiplyAdd(V(repeating: 7.037_683_629_2e-2), z2, q1)
        let p = V.multiplyAdd(q1c, z2, q0)
        var y = p * f * z
        y = .multiplyAdd(kf, -2.121_944_40e-4, y)
        y = .multiplyAdd(z, -0.5, y)
        return .multiplyAdd(kf, 0.693_359_375, f + y)
    }

    /// `exp(x)` for `x <= 0` (including `-inf`, which gives exactly 0). Arguments below
    /// `-87.33` (where the result would be subnormal) give 0.
    @inline(__always)
    static func expNonPositive<V: FloatVector>(_ x: V) -> V {
        // n = round(x / ln 2), with the 1.5 * 2^23 trick; its bit pattern carries n. Arguments
        // below -87.33 (and -inf) compute garbage here that the final mask replaces with 0.
        let shifter: Float = 12_582_912
        let t = V.multiplyAdd(x, 1.442_695_04, V(repeating: shifter))
        let n = t - V(repeating: shifter)
        let r = V.multiplyAdd(n, 2.121_944_40e-4, V.multiplyAdd(n, -0.693_359_375, x))
        // Cephes' degree-5 polynomial by Estrin's scheme (three dependent steps instead of five).
        let r2 = r * r
        let a = V.multiplyAdd(r, 1.666_666_545_9e-1, 5.000_000_120_1e-1)
        let b = V.multiplyAdd(r, 8.333_451_907_3e-3, 4.166_579_589_4e-2)
        let c = V.multiplyAdd(r, 1.987_569_150_0e-4, 1.398_199_950_7e-3)
        let poly = V.multiplyAdd(V.multiplyAdd(c, r2, b), r2, a)
        let p = V.multiplyAdd(poly, r2, r + 1.0)
        // 2^n: (n + 127) << 23, with n read from t's low mantissa bits (t = 0x4B400000 + n).
        let scale = V(bits: (t.bits &+ V.Bits(repeating: 127 &- 0x4B40_0000)).shiftedLeft(23))
        let result = p * scale
        return V(bits: result.bits & V.atLeastMask(x, V(repeating: -87.33)))
    }
}
