import Builtin

// Thirty-two float lanes for the element-wise hot loops (the noise's two logarithms, the
// softmax's exponential).
//
// The log and exp polynomials are chains of a dozen dependent operations. On eight lanes the
// out-of-order core cannot find enough independent work and waits on latencies (measured: the
// noise's logs ran at under a third of the machine's arithmetic throughput). One operation on
// thirty-two lanes becomes four (AVX2), eight (SSE2) or two (AVX-512) independent vector
// instructions, issued side by side. Measured on the noise alone, from words in L1 (ns per
// element, one core): eight lanes 2.6, sixteen 2.0, thirty-two 1.5 with AVX2; 6.2 and 3.0 with
// the default SSE2 build.
//
// Every element-wise operation is lane-wise, so element-wise results (noise, exponentials) do not
// depend on the width. Sums are another matter: `RowReduce.expSum` accumulates in the bulk width
// and folds to eight lanes, so its rounding is fixed by the build, not by where a row sits.

/// Float vectors the vectorised `log`/`exp` are written for: `FloatLanes` (8) and `WideFloatLanes` (32).
protocol FloatVector: ExpressibleByFloatLiteral where FloatLiteralType == Float {
    associatedtype Bits: WordVector
    init(repeating value: Float)
    init(bits: Bits)
    var bits: Bits { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    /// Lane-wise division, correctly rounded (`divps`): the same bits on every x86-64 CPU.
    static func / (a: Self, b: Self) -> Self
    /// `a * b + c`, fused when the target has FMA.
    static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self
    /// All-ones lanes where `a >= b` (ordered), zero lanes elsewhere.
    static func atLeastMask(_ a: Self, _ b: Self) -> Bits
    /// Lanes holding two's-complement 32-bit integers converted to the nearest Float (one
    /// `cvtdq2ps`).
    static func converting(signed bits: Bits) -> Self
}

/// 32-bit integer vectors of the same width as a `FloatVector`.
protocol WordVector {
    init(repeating value: UInt32)
    static func &+ (a: Self, b: Self) -> Self
    static func &- (a: Self, b: Self) -> Self
    static func & (a: Self, b: Self) -> Self
    static func | (a: Self, b: Self) -> Self
    static func ^ (a: Self, b: Self) -> Self
    func shiftedLeft(_ count: UInt32) -> Self
    func shiftedRight(_ count: UInt32) -> Self
    func arithmeticShiftedRight(_ count: UInt32) -> Self
    /// The lane-wise unsigned minimum (one `pminud`).
    static func minimum(_ a: Self, _ b: Self) -> Self
    /// The smallest lane, unsigned.
    var minOfLanes: UInt32 { get }
}

extension FloatVector {
    @_transparent static prefix func - (a: Self) -> Self { Self(bits: a.bits ^ Bits(repeating: 0x8000_0000)) }

    /// `a` where `mask` is all-ones, `b` where it is zero.
    @_transparent static func select(_ mask: Bits, _ a: Self, _ b: Self) -> Self {
        Self(bits: (a.bits & mask) | (b.bits & (mask ^ Bits(repeating: 0xFFFF_FFFF))))
    }

    /// `a` where `a >= b`, `b` elsewhere (for non-NaN `b`).
    @_transparent static func atLeast(_ a: Self, _ b: Self) -> Self {
        let keep = atLeastMask(a, b)
        return Self(bits: (a.bits & keep) | (b.bits & (keep ^ Bits(repeating: 0xFFFF_FFFF))))
    }
}

extension WordLanes: WordVector {
    @inline(__always) var minOfLanes: UInt32 {
        var r: UInt32 = 0xFFFF_FFFF
        for lane in 0..<8 { r = Swift.min(r, self[lane]) }
        return r
    }
    @_transparent static func minimum(_ a: WordLanes, _ b: WordLanes) -> WordLanes {
        var r = WordLanes()
        r._storage._value = Builtin.int_umin_Vec8xInt32(a._storage._value, b._storage._value)
        return r
    }
    @_transparent func shiftedLeft(_ count: UInt32) -> WordLanes { self &<< count }
    @_transparent func shiftedRight(_ count: UInt32) -> WordLanes { self &>> count }
    @_transparent func arithmeticShiftedRight(_ count: UInt32) -> WordLanes {
        unsafeBitCast(unsafeBitCast(self, to: IntLanes.self) &>> Int32(count), to: WordLanes.self)
    }
}

extension FloatLanes: FloatVector {
    @_transparent static func atLeastMask(_ a: FloatLanes, _ b: FloatLanes) -> WordLanes {
        WordLanes(repeating: 0).replacing(with: 0xFFFF_FFFF, where: a.simd .>= b.simd)
    }
    @_transparent static func converting(signed bits: WordLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.sitofp_Vec8xInt32_Vec8xFPIEEE32(bits._storage._value)
        return FloatLanes(r)
    }
}

/// Thirty-two `UInt32` lanes as one LLVM vector.
struct WordLanes32: WordVector {
    var value: Builtin.Vec32xInt32

    @_transparent init(_ value: Builtin.Vec32xInt32) { self.value = value }
    @_transparent init(repeating value: UInt32) { self.value = SIMD32<UInt32>(repeating: value)._storage._value }
    @_transparent init(_ simd: SIMD32<UInt32>) { value = simd._storage._value }

    @_transparent var simd: SIMD32<UInt32> {
        var s = SIMD32<UInt32>()
        s._storage._value = value
        return s
    }

    @_transparent static func &+ (a: Self, b: Self) -> Self { Self(Builtin.add_Vec32xInt32(a.value, b.value)) }
    @_transparent static func &- (a: Self, b: Self) -> Self { Self(Builtin.sub_Vec32xInt32(a.value, b.value)) }
    @_transparent static func & (a: Self, b: Self) -> Self { Self(Builtin.and_Vec32xInt32(a.value, b.value)) }
    @_transparent static func | (a: Self, b: Self) -> Self { Self(Builtin.or_Vec32xInt32(a.value, b.value)) }
    @_transparent static func ^ (a: Self, b: Self) -> Self { Self(Builtin.xor_Vec32xInt32(a.value, b.value)) }
    // Counts are masked to 0...31 like the eight-lane `&<<`/`&>>` (a raw LLVM shift by 32 or
    // more is poison).
    @_transparent func shiftedLeft(_ count: UInt32) -> Self {
        Self(Builtin.shl_Vec32xInt32(value, Self(repeating: count & 31).value))
    }
    @_transparent func shiftedRight(_ count: UInt32) -> Self {
        Self(Builtin.lshr_Vec32xInt32(value, Self(repeating: count & 31).value))
    }
    @_transparent func arithmeticShiftedRight(_ count: UInt32) -> Self {
        Self(Builtin.ashr_Vec32xInt32(value, Self(repeating: count & 31).value))
    }

    @_transparent static func minimum(_ a: Self, _ b: Self) -> Self {
        Self(Builtin.int_umin_Vec32xInt32(a.value, b.value))
    }

    /// The smallest lane, unsigned.
    @inline(__always) var minOfLanes: UInt32 {
        let s = simd
        var r: UInt32 = 0xFFFF_FFFF
        for lane in 0..<32 { r = Swift.min(r, s[lane]) }
        return r
    }
}

/// The float vectors of the bulk loops: loaded, stored and folded to eight lanes.
protocol WideVector: FloatVector {
    static var count: Int { get }
    static func load(_ pointer: UnsafePointer<Float>) -> Self
    static func load(_ pointer: UnsafePointer<UInt32>) -> Bits
    func store(to pointer: UnsafeMutablePointer<Float>)
    /// The sum of the eight-lane slices, in a fixed tree.
    var folded: FloatLanes { get }
    /// The lane-wise maximum of the eight-lane slices (for non-NaN lanes).
    var maxFolded: FloatLanes { get }
    /// `b` where `a < b`, else `a` (one `maxps`; for non-NaN lanes the larger, of two zeros `a`).
    static func maximum(_ a: Self, _ b: Self) -> Self
    /// All-ones lanes where `a < b` (ordered), zero lanes elsewhere.
    static func belowMask(_ a: Self, _ b: Self) -> Bits
}

/// Thirty-two `Float` lanes as one LLVM vector.
struct FloatLanes32: WideVector {
    @_transparent static var count: Int { 32 }
    var value: Builtin.Vec32xFPIEEE32

    @_transparent init(_ value: Builtin.Vec32xFPIEEE32) { self.value = value }
    @_transparent init(repeating value: Float) { self.value = SIMD32<Float>(repeating: value)._storage._value }
    @_transparent init(floatLiteral value: Float) { self.init(repeating: value) }
    @_transparent init(bits: WordLanes32) { value = Builtin.bitcast_Vec32xInt32_Vec32xFPIEEE32(bits.value) }
    @_transparent var bits: WordLanes32 { WordLanes32(Builtin.bitcast_Vec32xFPIEEE32_Vec32xInt32(value)) }

    @_transparent static func + (a: Self, b: Self) -> Self { Self(Builtin.fadd_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func - (a: Self, b: Self) -> Self { Self(Builtin.fsub_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func * (a: Self, b: Self) -> Self { Self(Builtin.fmul_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func / (a: Self, b: Self) -> Self { Self(Builtin.fdiv_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self {
        Self(Builtin.int_fmuladd_Vec32xFPIEEE32(a.value, b.value, c.value))
    }
    @_transparent static func atLeastMask(_ a: Self, _ b: Self) -> WordLanes32 {
        WordLanes32(Builtin.sext_Vec32xInt1_Vec32xInt32(Builtin.fcmp_oge_Vec32xFPIEEE32(a.value, b.value)))
    }

    @_transparent static func converting(signed bits: WordLanes32) -> Self {
        Self(Builtin.sitofp_Vec32xInt32_Vec32xFPIEEE32(bits.value))
    }
    @_transparent static func belowMask(_ a: Self, _ b: Self) -> WordLanes32 {
        WordLanes32(Builtin.sext_Vec32xInt1_Vec32xInt32(Builtin.fcmp_olt_Vec32xFPIEEE32(a.value, b.value)))
    }
    @_transparent static func maximum(_ a: Self, _ b: Self) -> Self { select(belowMask(a, b), b, a) }

    @_transparent static func load(_ pointer: UnsafePointer<Float>) -> Self {
        Self(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD32<Float>.self)._storage._value)
    }
    @_transparent static func load(_ pointer: UnsafePointer<UInt32>) -> WordLanes32 {
        WordLanes32(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD32<UInt32>.self))
    }
    @_transparent func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: simd, as: SIMD32<Float>.self)
    }

    /// The sum of eight-lane slices: lanes `[0, 8) + [8, 16) + [16, 24) + [24, 32)`, in that tree.
    @_transparent var folded: FloatLanes {
        let q = quarters
        let lo = FloatLanes(q.0) + FloatLanes(q.1)
        let hi = FloatLanes(q.2) + FloatLanes(q.3)
        return lo + hi
    }

    @_transparent var maxFolded: FloatLanes {
        let q = quarters
        let lo = FloatLanes.maximum(FloatLanes(q.0), FloatLanes(q.1))
        let hi = FloatLanes.maximum(FloatLanes(q.2), FloatLanes(q.3))
        return FloatLanes.maximum(lo, hi)
    }

    /// Lanes `[0, 8)`, `[8, 16)`, `[16, 24)` and `[24, 32)`: a reinterpretation, which LLVM
    /// lowers to subvector extracts (the stdlib's generic `lowHalf` and `highHalf` stay calls).
    @_transparent var quarters: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        unsafeBitCast(simd, to: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>).self)
    }

    @_transparent var simd: SIMD32<Float> {
        var s = SIMD32<Float>()
        s._storage._value = value
        return s
    }
}

/// Two vectors side by side: every operation is issued on both halves, two independent chains.
/// Sixty-four lanes (`Pair<FloatLanes32>`) are the bulk width when the target has AVX-512,
/// whose registers hold sixteen floats: thirty-two lanes would be only two chains there.
struct Pair<Half: WideVector>: WideVector {
    var low: Half
    var high: Half

    @_transparent init(_ low: Half, _ high: Half) {
        self.low = low
        self.high = high
    }
    @_transparent init(repeating value: Float) { self.init(Half(repeating: value), Half(repeating: value)) }
    @_transparent init(floatLiteral value: Float) { self.init(repeating: value) }
    @_transparent init(bits: PairWords<Half.Bits>) { self.init(Half(bits: bits.low), Half(bits: bits.high)) }
    @_transparent var bits: PairWords<Half.Bits> { PairWords(low.bits, high.bits) }

    @_transparent static var count: Int { 2 * Half.count }
    @_transparent static func + (a: Self, b: Self) -> Self { Self(a.low + b.low, a.high + b.high) }
    @_transparent static func - (a: Self, b: Self) -> Self { Self(a.low - b.low, a.high - b.high) }
    @_transparent static func * (a: Self, b: Self) -> Self { Self(a.low * b.low, a.high * b.high) }
    @_transparent static func / (a: Self, b: Self) -> Self { Self(a.low / b.low, a.high / b.high) }
    @_transparent static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self {
        Self(Half.multiplyAdd(a.low, b.low, c.low), Half.multiplyAdd(a.high, b.high, c.high))
    }
    @_transparent static func atLeastMask(_ a: Self, _ b: Self) -> PairWords<Half.Bits> {
        PairWords(Half.atLeastMask(a.low, b.low), Half.atLeastMask(a.high, b.high))
    }
    @_transparent static func converting(signed bits: PairWords<Half.Bits>) -> Self {
        Self(Half.converting(signed: bits.low), Half.converting(signed: bits.high))
    }
    @_transparent static func belowMask(_ a: Self, _ b: Self) -> PairWords<Half.Bits> {
        PairWords(Half.belowMask(a.low, b.low), Half.belowMask(a.high, b.high))
    }
    @_transparent static func maximum(_ a: Self, _ b: Self) -> Self {
        Self(Half.maximum(a.low, b.low), Half.maximum(a.high, b.high))
    }
    @_transparent static func load(_ pointer: UnsafePointer<Float>) -> Self {
        Self(Half.load(pointer), Half.load(pointer + Half.count))
    }
    @_transparent static func load(_ pointer: UnsafePointer<UInt32>) -> PairWords<Half.Bits> {
        PairWords(Half.load(pointer), Half.load(pointer + Half.count))
    }
    @_transparent func store(to pointer: UnsafeMutablePointer<Float>) {
        low.store(to: pointer)
        high.store(to: pointer + Half.count)
    }
    @inline(__always) var folded: FloatLanes { low.folded + high.folded }
    @inline(__always) var maxFolded: FloatLanes { FloatLanes.maximum(low.maxFolded, high.maxFolded) }
}

struct PairWords<Half: WordVector>: WordVector {
    var low: Half
    var high: Half

    @_transparent init(_ low: Half, _ high: Half) {
        self.low = low
        self.high = high
    }
    @_transparent init(repeating value: UInt32) { self.init(Half(repeating: value), Half(repeating: value)) }
    @_transparent static func &+ (a: Self, b: Self) -> Self { Self(a.low &+ b.low, a.high &+ b.high) }
    @_transparent static func &- (a: Self, b: Self) -> Self { Self(a.low &- b.low, a.high &- b.high) }
    @_transparent static func & (a: Self, b: Self) -> Self { Self(a.low & b.low, a.high & b.high) }
    @_transparent static func | (a: Self, b: Self) -> Self { Self(a.low | b.low, a.high | b.high) }
    @_transparent static func ^ (a: Self, b: Self) -> Self { Self(a.low ^ b.low, a.high ^ b.high) }
    @_transparent func shiftedLeft(_ count: UInt32) -> Self { Self(low.shiftedLeft(count), high.shiftedLeft(count)) }
    @_transparent func shiftedRight(_ count: UInt32) -> Self { Self(low.shiftedRight(count), high.shiftedRight(count)) }
    @_transparent func arithmeticShiftedRight(_ count: UInt32) -> Self {
        Self(low.arithmeticShiftedRight(count), high.arithmeticShiftedRight(count))
    }
    @_transparent static func minimum(_ a: Self, _ b: Self) -> Self {
        Self(Half.minimum(a.low, b.low), Half.minimum(a.high, b.high))
    }
    @inline(__always) var minOfLanes: UInt32 { Swift.min(low.minOfLanes, high.minOfLanes) }
}

/// The bulk width of the element-wise loops: 32 lanes, or 64 with `GUMBEL_SOFTMAX_AVX512`
/// (see docs/benchmarks.md, "Build flags").
#if GUMBEL_SOFTMAX_AVX512
    typealias WideFloatLanes = Pair<FloatLanes32>
#else
    typealias WideFloatLanes = FloatLanes32
#endif

/// Sixteen `UInt64` lanes as one LLVM vector: Philox's batch of sixteen blocks in the avx2 and
/// avx512 tiers (Swift's generic `SIMD16<UInt64>` arithmetic is lowered lane by lane).
struct UInt64x16 {
    var value: Builtin.Vec16xInt64

    @_transparent init(_ value: Builtin.Vec16xInt64) { self.value = value }
    @_transparent init() { value = SIMD16<UInt64>()._storage._value }
    @_transparent init(repeating scalar: UInt64) { value = SIMD16<UInt64>(repeating: scalar)._storage._value }

    @_transparent static var scalarCount: Int { 16 }

    @_transparent var simd: SIMD16<UInt64> {
        var s = SIMD16<UInt64>()
        s._storage._value = value
        return s
    }

    @inline(__always) subscript(lane: Int) -> UInt64 {
        get {
            var s = SIMD16<UInt64>()
            s._storage._value = value
            return s[lane]
        }
        set {
            var s = SIMD16<UInt64>()
            s._storage._value = value
            s[lane] = newValue
            value = s._storage._value
        }
    }

    @_transparent static func &* (a: Self, b: Self) -> Self { Self(Builtin.mul_Vec16xInt64(a.value, b.value)) }
    @_transparent static func &+ (a: Self, b: Self) -> Self { Self(Builtin.add_Vec16xInt64(a.value, b.value)) }
    @_transparent static func & (a: Self, b: Self) -> Self { Self(Builtin.and_Vec16xInt64(a.value, b.value)) }
    @_transparent static func | (a: Self, b: Self) -> Self { Self(Builtin.or_Vec16xInt64(a.value, b.value)) }
    @_transparent static func ^ (a: Self, b: Self) -> Self { Self(Builtin.xor_Vec16xInt64(a.value, b.value)) }
    // Counts are masked to 0...63 like the stdlib's `&>>`/`&<<` (a raw LLVM shift by 64 or more is
    // poison); a constant count folds the mask away.
    @_transparent static func &>> (a: Self, b: UInt64) -> Self {
        Self(Builtin.lshr_Vec16xInt64(a.value, Self(repeating: b & 63).value))
    }
    @_transparent static func &<< (a: Self, b: UInt64) -> Self {
        Self(Builtin.shl_Vec16xInt64(a.value, Self(repeating: b & 63).value))
    }
}

#if GUMBEL_SOFTMAX_AVX512
    /// Sixteen lanes, one AVX-512 register: the running minimum, maxima and sums that the 64-lane
    /// bulk loops fold their four registers into, so that each takes one register of the 32
    /// instead of the two (32-lane maxima and sums) or four (64-lane minimum) that the loops
    /// spilled (Noise/RowMaxima.swift).
    enum Lanes16 {
        /// The smallest of the quarters' lanes, lane-wise (unsigned).
        @_transparent static func minimum(_ a: SIMD16<UInt32>, quartersOf w: WideFloatLanes.Bits) -> SIMD16<UInt32> {
            let (p, q) = unsafeBitCast(w.low.simd, to: (SIMD16<UInt32>, SIMD16<UInt32>).self)
            let (r, s) = unsafeBitCast(w.high.simd, to: (SIMD16<UInt32>, SIMD16<UInt32>).self)
            return umin(a, umin(umin(p, q), umin(r, s)))
        }

        /// The largest of the quarters' lanes, lane-wise (`RowPairLanes.maximum`: one `maxps` each).
        @_transparent static func maximum(_ a: RowPairLanes, quartersOf v: WideFloatLanes) -> RowPairLanes {
            let (p, q, r, s) = quarters(v)
            return .maximum(a, .maximum(.maximum(p, q), .maximum(r, s)))
        }

        /// `a` plus the sum of the quarters, lane-wise.
        @_transparent static func sum(_ a: RowPairLanes, quartersOf v: WideFloatLanes) -> RowPairLanes {
            let (p, q, r, s) = quarters(v)
            return a + ((p + q) + (r + s))
        }

        @_transparent static func quarters(
            _ v: WideFloatLanes
        ) -> (RowPairLanes, RowPairLanes, RowPairLanes, RowPairLanes) {
            let (p, q) = unsafeBitCast(v.low.simd, to: (SIMD16<Float>, SIMD16<Float>).self)
            let (r, s) = unsafeBitCast(v.high.simd, to: (SIMD16<Float>, SIMD16<Float>).self)
            return (RowPairLanes(p), RowPairLanes(q), RowPairLanes(r), RowPairLanes(s))
        }

        @_transparent static func umin(_ a: SIMD16<UInt32>, _ b: SIMD16<UInt32>) -> SIMD16<UInt32> {
            var m = SIMD16<UInt32>()
            m._storage._value = Builtin.int_umin_Vec16xInt32(a._storage._value, b._storage._value)
            return m
        }
    }
#endif
