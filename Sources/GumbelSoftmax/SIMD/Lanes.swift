import Builtin

// Eight Float lanes whose arithmetic is emitted as LLVM vector instructions.
//
// Swift's generic SIMD float operators are lowered lane by lane and LLVM re-vectorises only part of
// a long polynomial (`objdump` of the log showed half its multiplies as scalar `mulss`). These
// operators call the vector builtins directly, so the default build gets `mulps`/`addps` and a
// build for AVX2 gets `vmulps`/`vfmadd` everywhere. `multiplyAdd` uses LLVM's `fmuladd`, which is
// fused only when the target has FMA: one build always gives the same bits.

typealias WordLanes = SIMD8<UInt32>
typealias IntLanes = SIMD8<Int32>

struct FloatLanes: ExpressibleByFloatLiteral {
    var simd: SIMD8<Float>

    @_transparent init(_ simd: SIMD8<Float>) { self.simd = simd }
    @_transparent init() { simd = SIMD8() }
    @_transparent init(repeating value: Float) { simd = SIMD8(repeating: value) }
    @_transparent init(floatLiteral value: Float) { simd = SIMD8(repeating: value) }
    @_transparent init(_ a: Float, _ b: Float, _ c: Float, _ d: Float, _ e: Float, _ f: Float, _ g: Float, _ h: Float) {
        simd = SIMD8(a, b, c, d, e, f, g, h)
    }
    @_transparent init(bits: WordLanes) { simd = unsafeBitCast(bits, to: SIMD8<Float>.self) }

    @_transparent var bits: WordLanes { unsafeBitCast(simd, to: WordLanes.self) }

    @inline(__always) subscript(lane: Int) -> Float {
        get { simd[lane] }
        set { simd[lane] = newValue }
    }

    @_transparent static func + (a: FloatLanes, b: FloatLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.fadd_Vec8xFPIEEE32(a.simd._storage._value, b.simd._storage._value)
        return FloatLanes(r)
    }

    @_transparent static func - (a: FloatLanes, b: FloatLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.fsub_Vec8xFPIEEE32(a.simd._storage._value, b.simd._storage._value)
        return FloatLanes(r)
    }

    @_transparent static func * (a: FloatLanes, b: FloatLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.fmul_Vec8xFPIEEE32(a.simd._storage._value, b.simd._storage._value)
        return FloatLanes(r)
    }

    @_transparent static func / (a: FloatLanes, b: FloatLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.fdiv_Vec8xFPIEEE32(a.simd._storage._value, b.simd._storage._value)
        return FloatLanes(r)
    }

    @_transparent static prefix func - (a: FloatLanes) -> FloatLanes {
        FloatLanes(bits: a.bits ^ 0x8000_0000)
    }

    @_transparent static func += (a: inout FloatLanes, b: FloatLanes) { a = a + b }

    /// `a * b + c`, fused when the target has FMA.
    @_transparent static func multiplyAdd(_ a: FloatLanes, _ b: FloatLanes, _ c: FloatLanes) -> FloatLanes {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.int_fmuladd_Vec8xFPIEEE32(
            a.simd._storage._value, b.simd._storage._value, c.simd._storage._value)
        return FloatLanes(r)
    }

    /// Lanes of `self`, with `value`'s lanes where `mask` is set.
    @_transparent func replacing(with value: FloatLanes, where mask: SIMDMask<IntLanes>) -> FloatLanes {
        FloatLanes(simd.replacing(with: value.simd, where: mask))
    }

    @_transparent static func .< (a: FloatLanes, b: FloatLanes) -> SIMDMask<IntLanes> { a.simd .< b.simd }
    @_transparent static func .== (a: FloatLanes, b: FloatLanes) -> SIMDMask<IntLanes> { a.simd .== b.simd }

    /// Lane-wise maximum (for non-NaN lanes).
    @_transparent static func maximum(_ a: FloatLanes, _ b: FloatLanes) -> FloatLanes {
        a.replacing(with: b, where: a .< b)
    }

    /// The largest lane in every lane, for non-NaN lanes: a butterfly of three lane-wise maxima
    /// with the lanes swapped by halves, pairs and neighbours (LLVM turns the lane lists into
    /// shuffles).
    @_transparent func maxLanes() -> FloatLanes {
        var m = simd
        var s = SIMD8(m[4], m[5], m[6], m[7], m[0], m[1], m[2], m[3])
        m = m.replacing(with: s, where: m .< s)
        s = SIMD8(m[2], m[3], m[0], m[1], m[6], m[7], m[4], m[5])
        m = m.replacing(with: s, where: m .< s)
        s = SIMD8(m[1], m[0], m[3], m[2], m[5], m[4], m[7], m[6])
        m = m.replacing(with: s, where: m .< s)
        return FloatLanes(m)
    }

    /// The sum of the lanes as a fixed tree of Float additions, `((v0 + v4) + (v2 + v6)) +
    /// ((v1 + v5) + (v3 + v7))`, by the same butterfly as `maxLanes()`; returned in Double.
    @_transparent func sumInDouble() -> Double {
        var m = self
        m = m + FloatLanes(SIMD8(m[4], m[5], m[6], m[7], m[0], m[1], m[2], m[3]))
        m = m + FloatLanes(SIMD8(m[2], m[3], m[0], m[1], m[6], m[7], m[4], m[5]))
        m = m + FloatLanes(SIMD8(m[1], m[0], m[3], m[2], m[5], m[4], m[7], m[6]))
        return Double(m[0])
    }
}

/// Asks for the cache lines that hold the `bytes` bytes from `start` ahead of their use, into the
/// nearest cache, one prefetch per 64-byte line (`forWriting`: for a store, where the CPU can take
/// the line in the state a write needs). A hint: it never faults and never changes a value.
@inline(__always)
func prefetchLines(_ start: UnsafeRawPointer, bytes: Int, forWriting: Bool) {
    let skew = Int(bitPattern: start) & 63
    let first = start - skew
    var offset = 0
    while offset < bytes + skew {
        let line = (first + offset)._rawValue
        if forWriting {
            Builtin.int_prefetch_RawPointer(line, Int32(1)._value, Int32(3)._value, Int32(1)._value)
        } else {
            Builtin.int_prefetch_RawPointer(line, Int32(0)._value, Int32(3)._value, Int32(1)._value)
        }
        offset += 64
    }
}
