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
// Every operation is lane-wise, so results do not depend on the width.

/// Float vectors the vectorised `log`/`exp` are written for: `FloatLanes` (8) and `WideFloatLanes` (32).
protocol FloatVector: ExpressibleByFloatLiteral where FloatLiteralType == Float {
    associatedtype Bits: WordVector
    init(repeating value: Float)
    init(bits: Bits)
    var bits: Bits { get }
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    /// `a * b + c`, fused when the target has FMA.
    static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self
    /// All-ones lanes where `a >= b` (ordered), zero lanes elsewhere.
    static func atLeastMask(_ a: Self, _ b: Self) -> Bits
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
}

extension FloatVector {
    @_transparent static prefix func - (a: Self) -> Self { Self(bits: a.bits ^ Bits(repeating: 0x8000_0000)) }

    /// `a` where `a >= b`, `b` elsewhere (for non-NaN `b`).
    @_transparent static func atLeast(_ a: Self, _ b: Self) -> Self {
        let keep = atLeastMask(a, b)
        return Self(bits: (a.bits & keep) | (b.bits & (keep ^ Bits(repeating: 0xFFFF_FFFF))))
    }
}

extension WordLanes: WordVector {
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
}

/// Thirty-two `UInt32` lanes as one LLVM vector.
struct WideWordLanes: WordVector {
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
    @_transparent func shiftedLeft(_ count: UInt32) -> Self {
        Self(Builtin.shl_Vec32xInt32(value, Self(repeating: count).value))
    }
    @_transparent func shiftedRight(_ count: UInt32) -> Self {
        Self(Builtin.lshr_Vec32xInt32(value, Self(repeating: count).value))
    }
    @_transparent func arithmeticShiftedRight(_ count: UInt32) -> Self {
        Self(Builtin.ashr_Vec32xInt32(value, Self(repeating: count).value))
    }
}

/// Thirty-two `Float` lanes as one LLVM vector.
struct WideFloatLanes: FloatVector {
    static let count = 32
    var value: Builtin.Vec32xFPIEEE32

    @_transparent init(_ value: Builtin.Vec32xFPIEEE32) { self.value = value }
    @_transparent init(repeating value: Float) { self.value = SIMD32<Float>(repeating: value)._storage._value }
    @_transparent init(floatLiteral value: Float) { self.init(repeating: value) }
    @_transparent init(bits: WideWordLanes) { value = Builtin.bitcast_Vec32xInt32_Vec32xFPIEEE32(bits.value) }
    @_transparent var bits: WideWordLanes { WideWordLanes(Builtin.bitcast_Vec32xFPIEEE32_Vec32xInt32(value)) }

    @_transparent static func + (a: Self, b: Self) -> Self { Self(Builtin.fadd_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func - (a: Self, b: Self) -> Self { Self(Builtin.fsub_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func * (a: Self, b: Self) -> Self { Self(Builtin.fmul_Vec32xFPIEEE32(a.value, b.value)) }
    @_transparent static func multiplyAdd(_ a: Self, _ b: Self, _ c: Self) -> Self {
        Self(Builtin.int_fmuladd_Vec32xFPIEEE32(a.value, b.value, c.value))
    }
    @_transparent static func atLeastMask(_ a: Self, _ b: Self) -> WideWordLanes {
        WideWordLanes(Builtin.sext_Vec32xInt1_Vec32xInt32(Builtin.fcmp_oge_Vec32xFPIEEE32(a.value, b.value)))
    }

    /// Lane-wise maximum of non-NaN lanes.
    @_transparent static func maximum(_ a: Self, _ b: Self) -> Self { atLeast(a, b) }

    /// The sum of eight-lane slices: lanes `[0, 8) + [8, 16) + [16, 24) + [24, 32)`, in that tree.
    @inline(__always) var folded: FloatLanes {
        let s = simd
        let lo = FloatLanes(s.lowHalf.lowHalf) + FloatLanes(s.lowHalf.highHalf)
        let hi = FloatLanes(s.highHalf.lowHalf) + FloatLanes(s.highHalf.highHalf)
        return lo + hi
    }

    @_transparent var simd: SIMD32<Float> {
        var s = SIMD32<Float>()
        s._storage._value = value
        return s
    }
}

@inline(__always)
func load32(_ pointer: UnsafePointer<Float>) -> WideFloatLanes {
    WideFloatLanes(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD32<Float>.self)._storage._value)
}

@inline(__always)
func load32(_ pointer: UnsafePointer<UInt32>) -> WideWordLanes {
    WideWordLanes(UnsafeRawPointer(pointer).loadUnaligned(as: SIMD32<UInt32>.self))
}

@inline(__always)
func store32(_ value: WideFloatLanes, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value.simd, as: SIMD32<Float>.self)
}
