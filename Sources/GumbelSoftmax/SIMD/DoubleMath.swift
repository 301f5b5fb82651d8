import Builtin

// Sixteen Double lanes and the vectorised log and exp of the float64 path (SPEC section 5).
//
// Like `FloatLanes32`, one operation on sixteen lanes is two (AVX-512), four (AVX2) or eight (SSE2)
// independent vector instructions, which hides the latency of the log and exp polynomials. The
// arithmetic is + - * / and `multiplyAdd` (LLVM's `fmuladd`: fused only where the target has FMA),
// so one build gives the same bits in every lane and wherever an element sits.
//
// `DoubleMath.log` is fdlibm's `__ieee754_log` (reduction to `[sqrt(1/2), sqrt(2))`, `s = f / (2 + f)`
// and a degree-14 odd polynomial in `s`), below 1 ulp in fdlibm's analysis. `DoubleMath.expNonPositive`
// reduces by `ln 2` in two parts and evaluates the Taylor polynomial of degree 13 on
// `|r| <= ln(2) / 2` (truncation below 5e-18 relative). `DoubleMathTests` measures both against
// Float80.

/// Sixteen `UInt64` lanes as one LLVM vector: the bit patterns of `DoubleLanes`.
struct LongLanes {
    var value: Builtin.Vec16xInt64

    @_transparent init(_ value: Builtin.Vec16xInt64) { self.value = value }
    @_transparent init(repeating value: UInt64) { self.value = SIMD16<UInt64>(repeating: value)._storage._value }

    @_transparent static func &+ (a: Self, b: Self) -> Self { Self(Builtin.add_Vec16xInt64(a.value, b.value)) }
    @_transparent static func &- (a: Self, b: Self) -> Self { Self(Builtin.sub_Vec16xInt64(a.value, b.value)) }
    @_transparent static func & (a: Self, b: Self) -> Self { Self(Builtin.and_Vec16xInt64(a.value, b.value)) }
    @_transparent static func | (a: Self, b: Self) -> Self { Self(Builtin.or_Vec16xInt64(a.value, b.value)) }
    @_transparent static func ^ (a: Self, b: Self) -> Self { Self(Builtin.xor_Vec16xInt64(a.value, b.value)) }
    @_transparent func shiftedLeft(_ count: UInt64) -> Self {
        Self(Builtin.shl_Vec16xInt64(value, Self(repeating: count & 63).value))
    }
    @_transparent func shiftedRight(_ count: UInt64) -> Self {
        Self(Builtin.lshr_Vec16xInt64(value, Self(repeating: count & 63).value))
    }
}

/// Sixteen `Double` lanes as one LLVM vector.
struct DoubleLanes {
    @_transparent static var count: Int { 16 }
    var value: Builtin.Vec16xFPIEEE64

    @_transparent init(_ value: Builtin.Vec16xFPIEEE64) { self.value = value }
    @_transparent init(repeating value: Double) { self.value = SIMD16<Double>(repeating: value)._storage._value }
    @_transparent init(bits: LongLanes) { value = Builtin.bitcast_Vec16xInt64_Vec16xFPIEEE64(bits.value) }
    @_transparent init(_ simd: SIMD16<Double>) { value = simd._storage._value }

    @_transparent var bits: LongLanes { LongLanes(Builtin.bitcast_Vec16xFPIEEE64_Vec16xInt64(value)) }
    @_transparent var simd: SIMD16<Double> {
        var s = SIMD16<Double>()
        s._storage._value = value
        return s
    }

    @_transparent static func + (a: Self, b: Self) -> Self { Self(Builtin.fadd_Vec16xFPIEEE64(a.value, b.value)) }
    @_transparent static func - (a: Self, b: Self) -> Self { Self(Builtin.fsub_Vec16xFPIEEE64(a.value, b.value)) }
    @_transparent static func * (a: Self, b: Self) -> Self { Self(Builtin.fmul_Vec16xFPIEEE64(a.value, b.value)) }
    /// Lane-wise division, correctly rounded.
    @_transparent static func / (a: Self, b: Self) -> Self { Self(Builtin.fdiv_Vec16xFPIEEE64(a.value, b.value)) }
    @_transparent static prefix func - (a: Self) -> Self { Self(bits: a.bits ^ LongLanes(repeating: 1 << 63)) }

    /// `a * b + c`, fused when the target has FMA.
    @_transparent static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self {
        Self(Builtin.int_fmuladd_Vec16xFPIEEE64(a.value, b.value, c.value))
    }
    @_transparent static func multiplyAdd(_ a: Self, _ b: Double, _ c: Double) -> Self {
        multiplyAdd(a, Self(repeating: b), Self(repeating: c))
    }

    /// All-ones lanes where `a >= b` (ordered), zero lanes elsewhere.
    @_transparent static func atLeastMask(_ a: Self, _ b: Self) -> LongLanes {
        LongLanes(Builtin.sext_Vec16xInt1_Vec16xInt64(Builtin.fcmp_oge_Vec16xFPIEEE64(a.value, b.value)))
    }

    /// `a` where `mask` is all-ones, `b` where it is zero.
    @_transparent static func select(_ mask: LongLanes, _ a: Self, _ b: Self) -> Self {
        Self(bits: (a.bits & mask) | (b.bits & (mask ^ LongLanes(repeating: ~0))))
    }

    /// Lane-wise maximum for non-NaN lanes.
    @_transparent static func maximum(_ a: Self, _ b: Self) -> Self { select(atLeastMask(a, b), a, b) }

    /// Lane-wise minimum for non-NaN lanes.
    @_transparent static func minimum(_ a: Self, _ b: Self) -> Self { select(atLeastMask(a, b), b, a) }

    @_transparent static func load(_ pointer: UnsafePointer<Double>) -> Self {
        Self(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Double>.self))
    }

    /// The first `count` lanes from `pointer`, the others `padding`.
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>, count: Int, padding: Double) -> Self {
        if count == Self.count { return load(pointer) }
        var s = SIMD16<Double>(repeating: padding)
        for lane in 0..<count { s[lane] = pointer[lane] }
        return Self(s)
    }

    /// The words at `pointer` (`count` of them, the others 2^31), converted exactly.
    @inline(__always) static func words(_ pointer: UnsafePointer<UInt32>, count: Int = 16) -> Self {
        var w = SIMD16<UInt32>(repeating: 1 << 31)
        if count == 16 {
            w = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<UInt32>.self)
        } else {
            for lane in 0..<count { w[lane] = pointer[lane] }
        }
        // x - 2^31 fits an Int32 and converts in one instruction; adding 2^31 back is exact.
        let centered = w ^ SIMD16<UInt32>(repeating: 1 << 31)
        let converted = Self(Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE64(centered._storage._value))
        return converted + Self(repeating: 0x1p31)
    }

    @_transparent func store(to pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: simd, as: SIMD16<Double>.self)
    }

    /// Stores the first `count` lanes.
    @inline(__always) func store(to pointer: UnsafeMutablePointer<Double>, count: Int) {
        if count == Self.count { return store(to: pointer) }
        let s = simd
        for lane in 0..<count { pointer[lane] = s[lane] }
    }

    /// The largest lane (for non-NaN lanes), by halving.
    @inline(__always) var maxOfLanes: Double {
        let s = simd
        let a = SIMD8<Double>(s.lowHalf).replacing(with: s.highHalf, where: s.lowHalf .< s.highHalf)
        let b = a.lowHalf.replacing(with: a.highHalf, where: a.lowHalf .< a.highHalf)
        let c = b.lowHalf.replacing(with: b.highHalf, where: b.lowHalf .< b.highHalf)
        return Swift.max(c[0], c[1])
    }

    /// The smallest lane (for non-NaN lanes).
    @inline(__always) var minOfLanes: Double { -(-self).maxOfLanes }

    /// The sum of the lanes as a fixed tree (halves, then halves again).
    @inline(__always) var sumOfLanes: Double {
        let s = simd
        let a = s.lowHalf + s.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }
}

enum DoubleMath {
    /// The natural logarithm of positive, finite, normal doubles, below 1 ulp (fdlibm's `log`).
    @inline(__always)
    static func log(_ x: DoubleLanes) -> DoubleLanes {
        typealias L = LongLanes
        // x = 2^k m with m in [sqrt(1/2), sqrt(2)): k from the exponent of x / sqrt(1/2).
        let ix = x.bits
        let t = ix &- L(repeating: 0x3FE6_A09E_667F_3BCD)
        let biased = (t &+ L(repeating: 1023 << 52)).shiftedRight(52)  // k + 1023, in 0 ..< 2^11
        let m = DoubleLanes(bits: ix &- (t & L(repeating: 0xFFF0_0000_0000_0000)))
        // k as a Double: 2^52 + (k + 1023) has the bits 0x433... | (k + 1023).
        let k =
            DoubleLanes(bits: biased | L(repeating: 0x4330_0000_0000_0000)) - DoubleLanes(repeating: 0x1p52 + 1023)
        let f = m - DoubleLanes(repeating: 1)  // exact
        let s = f / (f + DoubleLanes(repeating: 2))
        let z = s * s
        let w = z * z
        let t1 =
            w
            * DoubleLanes.multiplyAdd(
                w, DoubleLanes.multiplyAdd(w, 1.531_383_769_920_937_332e-01, 2.222_219_843_214_978_396e-01),
                DoubleLanes(repeating: 3.999_999_999_940_941_908e-01))
        let t2 =
            z
            * DoubleLanes.multiplyAdd(
                w,
                DoubleLanes.multiplyAdd(
                    w, DoubleLanes.multiplyAdd(w, 1.479_819_860_511_658_591e-01, 1.818_357_216_161_805_012e-01),
                    DoubleLanes(repeating: 2.857_142_874_366_239_149e-01)),
                DoubleLanes(repeating: 6.666_666_666_666_735_130e-01))
        let r = t2 + t1
        let halfSquare = DoubleLanes(repeating: 0.5) * f * f
        let lnHigh = DoubleLanes(repeating: 6.931_471_803_691_238_164_90e-01)
        let lnLow = DoubleLanes(repeating: 1.908_214_929_270_587_700_02e-10)
        // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f), fdlibm's order.
        return k * lnHigh - ((halfSquare - DoubleLanes.multiplyAdd(s, halfSquare + r, k * lnLow)) - f)
    }

    /// `exp(x)` for `x <= 0` (including `-inf`, which gives exactly 0), about 1 ulp. Arguments
    /// below -708.39 (where the result would be subnormal, below 2.3e-308) give 0.
    @inline(__always)
    static func expNonPositive(_ x: DoubleLanes) -> DoubleLanes {
        typealias D = DoubleLanes
        // n = round(x / ln 2) with the 1.5 * 2^52 trick; t's low bits carry n.
        let shifter = D(repeating: 0x1.8p52)
        let t = D.multiplyAdd(x, D(repeating: 1.442_695_040_888_963_387), shifter)
        let n = t - shifter
        // r = x - n ln 2, with ln 2 in two parts (the first has 21 trailing zero bits: n * it is exact).
        let r = D.multiplyAdd(
            n, D(repeating: -1.908_214_929_270_587_700_02e-10),
            D.multiplyAdd(n, D(repeating: -6.931_471_803_691_238_164_90e-01), x))
        // Taylor to degree 13 by Estrin's scheme.
        let r2 = r * r
        let r4 = r2 * r2
        let r8 = r4 * r4
        let c01 = D.multiplyAdd(r, 1, 1)
        let c23 = D.multiplyAdd(r, 1.0 / 6, 0.5)
        let c45 = D.multiplyAdd(r, 1.0 / 120, 1.0 / 24)
        let c67 = D.multiplyAdd(r, 1.0 / 5040, 1.0 / 720)
        let c89 = D.multiplyAdd(r, 1.0 / 362_880, 1.0 / 40320)
        let c1011 = D.multiplyAdd(r, 1.0 / 39_916_800, 1.0 / 3_628_800)
        let c1213 = D.multiplyAdd(r, 1.0 / 6_227_020_800, 1.0 / 479_001_600)
        let c03 = D.multiplyAdd(c23, r2, c01)
        let c47 = D.multiplyAdd(c67, r2, c45)
        let c811 = D.multiplyAdd(c1011, r2, c89)
        let c07 = D.multiplyAdd(c47, r4, c03)
        let c813 = D.multiplyAdd(c1213, r4, c811)
        let p = D.multiplyAdd(c813, r8, c07)
        // 2^n: (n + 1023) << 52, n read from t (bits(t) = bits(1.5 * 2^52) + n).
        let scale = D(bits: (t.bits &+ LongLanes(repeating: 1023 &- 0x4338_0000_0000_0000)).shiftedLeft(52))
        let result = p * scale
        return D(bits: result.bits & D.atLeastMask(x, D(repeating: -708.39)))
    }
}
