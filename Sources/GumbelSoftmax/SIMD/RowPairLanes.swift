import Builtin

// Two rows' eight-lane vectors in one sixteen-lane vector (one AVX-512 register): row `a` in the
// low half, row `b` in the high half. Every operation, the butterflies included, stays inside its
// half and is the one `FloatLanes` applies to its row, so each row gets the bits it gets alone;
// the rows of a pair share the instructions.

struct RowPairLanes {
    var value: Builtin.Vec16xFPIEEE32

    @_transparent init(_ value: Builtin.Vec16xFPIEEE32) { self.value = value }
    @_transparent init(_ simd: SIMD16<Float>) { value = simd._storage._value }
    @_transparent init() { self.init(SIMD16<Float>()) }
    @_transparent init(_ a: FloatLanes, _ b: FloatLanes) { self.init(SIMD16(lowHalf: a.simd, highHalf: b.simd)) }
    @_transparent init(_ a: Float, _ b: Float) { self.init(FloatLanes(repeating: a), FloatLanes(repeating: b)) }

    @_transparent var simd: SIMD16<Float> {
        var s = SIMD16<Float>()
        s._storage._value = value
        return s
    }
    /// Row `a`'s lanes.
    @_transparent var a: FloatLanes { FloatLanes(simd.lowHalf) }
    /// Row `b`'s lanes.
    @_transparent var b: FloatLanes { FloatLanes(simd.highHalf) }

    /// Eight floats at `a` and eight at `b`.
    @_transparent static func load(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Self {
        Self(load8(a), load8(b))
    }

    /// `loadOver` of both rows: the lanes from `count` on in each half replaced by `padding`.
    @_transparent static func loadPadded(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, padding: Float
    ) -> Self {
        Self(loadOver(a, count: count, padding: padding), loadOver(b, count: count, padding: padding))
    }

    /// `(x - shift) * scale` of rows `a` and `b` of `k` floats each (lanes: row a, row b) into `u`
    /// and `v`, eight floats at a time, each row's last vector read and written whole; row a's
    /// last vector first: what it spills into row b, row b's stores replace.
    @inline(__always) static func storeShifted(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count k: Int, by shift: Self, times scale: Self,
        into u: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>
    ) {
        let full = k & ~7
        @inline(__always) func fullVectors() {
            var j = 0
            while j < full {
                let x = (load(a + j, b + j) - shift) * scale
                store8(x.a, u + j)
                store8(x.b, v + j)
                j += 8
            }
        }
        if full < k {
            let tail = (loadPadded(a + full, b + full, count: k - full, padding: 0) - shift) * scale
            store8(tail.a, u + full)
            fullVectors()
            store8(tail.b, v + full)
        } else {
            fullVectors()
        }
    }

    @_transparent static func + (x: Self, y: Self) -> Self { Self(Builtin.fadd_Vec16xFPIEEE32(x.value, y.value)) }
    @_transparent static func - (x: Self, y: Self) -> Self { Self(Builtin.fsub_Vec16xFPIEEE32(x.value, y.value)) }
    @_transparent static func * (x: Self, y: Self) -> Self { Self(Builtin.fmul_Vec16xFPIEEE32(x.value, y.value)) }
    @_transparent static func += (x: inout Self, y: Self) { x = x + y }

    /// All-ones lanes where `x < y` (ordered), zero lanes elsewhere.
    @_transparent static func belowMask(_ x: Self, _ y: Self) -> Builtin.Vec16xInt32 {
        Builtin.sext_Vec16xInt1_Vec16xInt32(Builtin.fcmp_olt_Vec16xFPIEEE32(x.value, y.value))
    }

    /// `FloatLanes.maximum` lane-wise: `y` where `x < y`, else `x`.
    @_transparent static func maximum(_ x: Self, _ y: Self) -> Self {
        let mask = belowMask(x, y)
        let ones = SIMD16<UInt32>(repeating: 0xFFFF_FFFF)._storage._value
        let xBits = Builtin.bitcast_Vec16xFPIEEE32_Vec16xInt32(x.value)
        let yBits = Builtin.bitcast_Vec16xFPIEEE32_Vec16xInt32(y.value)
        let bits = Builtin.or_Vec16xInt32(
            Builtin.and_Vec16xInt32(yBits, mask), Builtin.and_Vec16xInt32(xBits, Builtin.xor_Vec16xInt32(mask, ones)))
        return Self(Builtin.bitcast_Vec16xInt32_Vec16xFPIEEE32(bits))
    }

    /// All-ones lanes below `+inf` (not NaN or `+inf`), zero lanes elsewhere.
    @_transparent func finiteMask() -> Builtin.Vec16xInt32 {
        Self.belowMask(self, Self(.infinity, .infinity))
    }

    /// Whether every lane of `x` and of `y` is below `+inf` (no NaN or `+inf` in either): one
    /// test of the two compares' lane bits.
    @_transparent static func allFinite(_ x: Self, _ y: Self) -> Bool {
        let infinity = Self(.infinity, .infinity).value
        let finite = Builtin.and_Vec16xInt1(
            Builtin.fcmp_olt_Vec16xFPIEEE32(x.value, infinity), Builtin.fcmp_olt_Vec16xFPIEEE32(y.value, infinity))
        return Bool(Builtin.cmp_eq_Int16(Builtin.bitcast_Vec16xInt1_Int16(finite), (-1 as Int16)._value))
    }

    /// Each half's lanes swapped by halves (`by: 4`), pairs (`by: 2`) or neighbours (`by: 1`),
    /// the lane lists of `FloatLanes.maxLanes()`.
    @_transparent func swapped(by distance: Int) -> Self {
        let (p, q) = (simd.lowHalf, simd.highHalf)
        switch distance {
        case 4:
            return Self(
                SIMD16(
                    lowHalf: SIMD8(p[4], p[5], p[6], p[7], p[0], p[1], p[2], p[3]),
                    highHalf: SIMD8(q[4], q[5], q[6], q[7], q[0], q[1], q[2], q[3])))
        case 2:
            return Self(
                SIMD16(
                    lowHalf: SIMD8(p[2], p[3], p[0], p[1], p[6], p[7], p[4], p[5]),
                    highHalf: SIMD8(q[2], q[3], q[0], q[1], q[6], q[7], q[4], q[5])))
        default:
            return Self(
                SIMD16(
                    lowHalf: SIMD8(p[1], p[0], p[3], p[2], p[5], p[4], p[7], p[6]),
                    highHalf: SIMD8(q[1], q[0], q[3], q[2], q[5], q[4], q[7], q[6])))
        }
    }

    /// `FloatLanes.maxLanes()` of each half.
    @_transparent func maxLanes() -> Self {
        var m = self
        m = .maximum(m, m.swapped(by: 4))
        m = .maximum(m, m.swapped(by: 2))
        m = .maximum(m, m.swapped(by: 1))
        return m
    }

    /// `FloatLanes.sumInDouble()` of each half.
    @_transparent func sumsInDouble() -> (a: Double, b: Double) {
        var m = self
        m = m + m.swapped(by: 4)
        m = m + m.swapped(by: 2)
        m = m + m.swapped(by: 1)
        return (Double(m.a[0]), Double(m.b[0]))
    }
}

extension RowReduce {
    /// `maxLanes(_:count:overRead: true)` of two rows of `count` floats at once: each row's
    /// largest float in every lane of its half, and whether each row holds a NaN or `+inf`.
    @_transparent
    static func maxLanes(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int
    ) -> (max: RowPairLanes, invalidA: Bool, invalidB: Bool) {
        let negInf = RowPairLanes(-.infinity, -.infinity)
        var m0 = negInf
        var m1 = negInf
        var valid0 = SIMD16<UInt32>(repeating: 0xFFFF_FFFF)._storage._value
        var valid1 = valid0
        var i = 0
        while i + 16 <= count {
            let x = RowPairLanes.load(a + i, b + i)
            let y = RowPairLanes.load(a + i + 8, b + i + 8)
            valid0 = Builtin.and_Vec16xInt32(valid0, x.finiteMask())
            valid1 = Builtin.and_Vec16xInt32(valid1, y.finiteMask())
            m0 = .maximum(m0, x)
            m1 = .maximum(m1, y)
            i += 16
        }
        while i < count {
            let n = Swift.min(8, count - i)
            let x = RowPairLanes.loadPadded(a + i, b + i, count: n, padding: -.infinity)
            valid0 = Builtin.and_Vec16xInt32(valid0, x.finiteMask())
            m0 = .maximum(m0, x)
            i += n
        }
        var valid = SIMD16<Int32>()
        valid._storage._value = Builtin.and_Vec16xInt32(valid0, valid1)
        let (validA, validB) = (SIMDMask<SIMD8<Int32>>(valid.lowHalf), SIMDMask<SIMD8<Int32>>(valid.highHalf))
        return (RowPairLanes.maximum(m0, m1).maxLanes(), !all(validA), !all(validB))
    }

    /// `sum(_:count:overRead: true)` of two rows of `count` floats at once.
    @_transparent
    static func sums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> (a: Double, b: Double) {
        var sum0 = RowPairLanes()
        var sum1 = RowPairLanes()
        var i = 0
        while i + 16 <= count {
            sum0 += RowPairLanes.load(a + i, b + i)
            sum1 += RowPairLanes.load(a + i + 8, b + i + 8)
            i += 16
        }
        if i + 8 <= count {
            sum0 += RowPairLanes.load(a + i, b + i)
            i += 8
        }
        if i < count {
            sum1 += RowPairLanes.loadPadded(a + i, b + i, count: count - i, padding: 0)
        }
        return (sum0 + sum1).sumsInDouble()
    }
}

/// Two rows of `9 ..< 16` floats (one full vector and a partial one each), the padding mask of
/// their partial vectors made once: `RowReduce.maxLanes` and `RowReduce.sums` of the pair without
/// their loops. The maxima drop the passes' maxima with `-inf` (`-inf < x` keeps `x` for any `x`
/// that is not NaN, and a row holding a NaN is refused whatever its maximum).
struct ShortRowPair {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    /// The lanes of the partial vectors past the rows' end, in both halves.
    let padding: SIMDMask<SIMD16<Int32>>

    /// The padding mask of rows of `columns` floats, `8 < columns < 16`.
    @_transparent static func padding(columns: Int) -> SIMDMask<SIMD16<Int32>> {
        let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7)
        return lane .>= SIMD16(repeating: Int32(truncatingIfNeeded: columns &- 8))
    }

    /// Each half's first eight floats.
    @_transparent var head: RowPairLanes { RowPairLanes.load(a, b) }

    /// Each half's floats from 8 on, padded with `value`.
    @_transparent func tail(padding value: Float) -> RowPairLanes {
        RowPairLanes(RowPairLanes.load(a + 8, b + 8).simd.replacing(with: SIMD16(repeating: value), where: padding))
    }

    /// `RowReduce.maxLanes(_:_:count:)`.
    @_transparent func maxLanes() -> (max: RowPairLanes, invalidA: Bool, invalidB: Bool) {
        let (x, y) = (head, tail(padding: -.infinity))
        let m = RowPairLanes.maximum(x, y).maxLanes()
        if RowPairLanes.allFinite(x, y) { return (m, false, false) }
        var valid = SIMD16<Int32>()
        valid._storage._value = Builtin.and_Vec16xInt32(x.finiteMask(), y.finiteMask())
        return (m, !all(SIMDMask<SIMD8<Int32>>(valid.lowHalf)), !all(SIMDMask<SIMD8<Int32>>(valid.highHalf)))
    }

    /// `(x - shift) * scale` of row a into `u` and of row b into `u + columns`, each row's last
    /// vector written whole, row a's first: what it spills into row b, row b's stores replace.
    @_transparent func storeShifted(
        by shift: RowPairLanes, times scale: RowPairLanes, into u: UnsafeMutablePointer<Float>, columns: Int
    ) {
        let last = (tail(padding: 0) - shift) * scale
        let first = (head - shift) * scale
        store8(last.a, u + 8)
        store8(first.a, u)
        store8(first.b, u + columns)
        store8(last.b, u + columns + 8)
    }

    /// `RowReduce.sums(_:_:count:)`.
    @_transparent func sums() -> (a: Double, b: Double) {
        let zero = RowPairLanes()
        return ((zero + head) + (zero + tail(padding: 0))).sumsInDouble()
    }
}
