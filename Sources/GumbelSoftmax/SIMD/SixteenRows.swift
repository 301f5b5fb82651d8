import Builtin

// Sixteen rows of sixteen floats (256 contiguous floats, one AVX-512 register a row), reduced
// together: each row's maximum and sum by a transposed tree whose result has row r in lane r.
//
// Row by row, `RowReduce.maxLanes` and `RowReduce.sum` of a row of sixteen fold its two halves,
// then run a butterfly over the eight lanes (halves, pairs, neighbours), and the caller reads
// lane 0: `((v0 . v4) . (v2 . v6)) . ((v1 . v5) . (v3 . v7))`, `.` the lane-wise maximum or sum,
// each step `self . swapped`. The tree below takes, for sixteen rows at once, the same operations
// on the same operands in the same order (the halves of two rows per register, then the lanes 0-3
// against 4-7 of four rows, 0-1 against 2-3 of eight, 0 against 1 of sixteen), so lane r holds
// the bits lane 0 of row r's butterfly holds. It costs 15 shuffle pairs and 15 operations for
// sixteen rows, against 3 shuffles and 4 operations a row plus a dependent chain per row.

#if GUMBEL_SOFTMAX_AVX512
    enum SixteenRows {
        typealias Lanes = SIMD16<Float>

        /// Row `r` of the block at `x`.
        @_transparent static func row(_ x: UnsafePointer<Float>, _ r: Int) -> Lanes {
            UnsafeRawPointer(x + 16 &* r).loadUnaligned(as: Lanes.self)
        }

        @_transparent static func store(_ value: Lanes, _ y: UnsafeMutablePointer<Float>, row r: Int) {
            UnsafeMutableRawPointer(y + 16 &* r).storeBytes(of: value, as: Lanes.self)
        }

        // The lane arithmetic of `RowPairLanes`, which is a sixteen-lane vector too.
        @_transparent static func add(_ x: Lanes, _ y: Lanes) -> Lanes { (RowPairLanes(x) + RowPairLanes(y)).simd }
        @_transparent static func subtract(_ x: Lanes, _ y: Lanes) -> Lanes {
            (RowPairLanes(x) - RowPairLanes(y)).simd
        }
        @_transparent static func multiply(_ x: Lanes, _ y: Lanes) -> Lanes {
            (RowPairLanes(x) * RowPairLanes(y)).simd
        }

        /// `y` in the lanes of `mask`, `x` in the others.
        @_transparent static func choose(_ y: Lanes, where mask: Builtin.Vec16xInt1, else x: Lanes) -> Lanes {
            var r = Lanes()
            r._storage._value = Builtin.select_Vec16xInt1_Vec16xFPIEEE32(mask, y._storage._value, x._storage._value)
            return r
        }

        /// `FloatLanes.maximum` lane-wise (`RowPairLanes.maximum`): `y` where `x < y`, else `x`.
        @_transparent static func maximum(_ x: Lanes, _ y: Lanes) -> Lanes {
            RowPairLanes.maximum(RowPairLanes(x), RowPairLanes(y)).simd
        }

        /// `Swift.max(x, y)` lane-wise: `y` where `y >= x`, else `x`.
        @_transparent static func swiftMax(_ x: Lanes, _ y: Lanes) -> Lanes {
            choose(y, where: Builtin.fcmp_oge_Vec16xFPIEEE32(y._storage._value, x._storage._value), else: x)
        }

        /// Whether every lane of `x` is below `+inf` (no NaN or `+inf`).
        @_transparent static func finite(_ x: Lanes) -> Builtin.Vec16xInt1 {
            Builtin.fcmp_olt_Vec16xFPIEEE32(x._storage._value, Lanes(repeating: .infinity)._storage._value)
        }

        @_transparent static func all(_ mask: Builtin.Vec16xInt1) -> Bool {
            Bool(Builtin.cmp_eq_Int16(Builtin.bitcast_Vec16xInt1_Int16(mask), (-1 as Int16)._value))
        }

        /// Whether any lane of `x` is `-inf`.
        @_transparent static func anyNegativeInfinity(_ x: Lanes) -> Bool {
            let mask = Builtin.fcmp_oeq_Vec16xFPIEEE32(x._storage._value, Lanes(repeating: -.infinity)._storage._value)
            return !Bool(Builtin.cmp_eq_Int16(Builtin.bitcast_Vec16xInt1_Int16(mask), (0 as Int16)._value))
        }

        /// One step of the tree: `a` and `b` each hold `n` rows of `16 / n` lanes (row-major); the
        /// result holds the `2n` rows of both, each row's first half of lanes `.` its second half.
        @_transparent static func fold(_ a: Lanes, _ b: Lanes, rowsEach n: Int, _ op: (Lanes, Lanes) -> Lanes) -> Lanes
        {
            switch n {
            case 1:
                // Rows of 16: lanes 0-7 against 8-15.
                return op(
                    Lanes(lowHalf: a.lowHalf, highHalf: b.lowHalf), Lanes(lowHalf: a.highHalf, highHalf: b.highHalf))
            case 2:
                // Rows of 8: lanes 0-3 against 4-7 of each row.
                return op(
                    Lanes(
                        a[0], a[1], a[2], a[3], a[8], a[9], a[10], a[11], b[0], b[1], b[2], b[3], b[8], b[9], b[10],
                        b[11]),
                    Lanes(
                        a[4], a[5], a[6], a[7], a[12], a[13], a[14], a[15], b[4], b[5], b[6], b[7], b[12], b[13],
                        b[14], b[15]))
            case 4:
                // Rows of 4: lanes 0-1 against 2-3.
                return op(
                    Lanes(
                        a[0], a[1], a[4], a[5], a[8], a[9], a[12], a[13], b[0], b[1], b[4], b[5], b[8], b[9], b[12],
                        b[13]),
                    Lanes(
                        a[2], a[3], a[6], a[7], a[10], a[11], a[14], a[15], b[2], b[3], b[6], b[7], b[10], b[11],
                        b[14], b[15]))
            default:
                // Rows of 2: lane 0 against 1.
                return op(
                    Lanes(
                        a[0], a[2], a[4], a[6], a[8], a[10], a[12], a[14], b[0], b[2], b[4], b[6], b[8], b[10], b[12],
                        b[14]),
                    Lanes(
                        a[1], a[3], a[5], a[7], a[9], a[11], a[13], a[15], b[1], b[3], b[5], b[7], b[9], b[11], b[13],
                        b[15]))
            }
        }

        /// The tree over the sixteen rows `v`: lane r, row r's reduction.
        @_transparent static func reduce(_ v: (Int) -> Lanes, _ op: (Lanes, Lanes) -> Lanes) -> Lanes {
            var eights = (Lanes(), Lanes(), Lanes(), Lanes(), Lanes(), Lanes(), Lanes(), Lanes())
            eights.0 = fold(v(0), v(1), rowsEach: 1, op)
            eights.1 = fold(v(2), v(3), rowsEach: 1, op)
            eights.2 = fold(v(4), v(5), rowsEach: 1, op)
            eights.3 = fold(v(6), v(7), rowsEach: 1, op)
            eights.4 = fold(v(8), v(9), rowsEach: 1, op)
            eights.5 = fold(v(10), v(11), rowsEach: 1, op)
            eights.6 = fold(v(12), v(13), rowsEach: 1, op)
            eights.7 = fold(v(14), v(15), rowsEach: 1, op)
            let fours = (
                fold(eights.0, eights.1, rowsEach: 2, op), fold(eights.2, eights.3, rowsEach: 2, op),
                fold(eights.4, eights.5, rowsEach: 2, op), fold(eights.6, eights.7, rowsEach: 2, op)
            )
            let twos = (fold(fours.0, fours.1, rowsEach: 4, op), fold(fours.2, fours.3, rowsEach: 4, op))
            return fold(twos.0, twos.1, rowsEach: 8, op)
        }

        /// Each row's maximum (`RowReduce.maxLanes(_:count: 16)`'s lane 0) in its lane, and
        /// whether every float of the block is below `+inf`. With a NaN or `+inf` in the block the
        /// maxima are not those of `maxLanes` (which drops NaN lanes): the caller then takes the
        /// block row by row.
        @inline(__always) static func maxima(_ x: UnsafePointer<Float>) -> (maxima: Lanes, finite: Bool) {
            var finite = Self.finite(row(x, 0))
            for r in 1..<16 { finite = Builtin.and_Vec16xInt1(finite, Self.finite(row(x, r))) }
            // `maxLanes` starts from `maximum(-inf, v)`, which is `v` when `v` is not NaN.
            return (reduce({ row(x, $0) }, maximum), all(finite))
        }

        /// Each row's sum (`RowReduce.sum(_:count: 16)` before its conversion to Double) in its
        /// lane: `(0 + lanes 0-7) + (0 + lanes 8-15)`, then the butterfly's order.
        @inline(__always) static func sums(_ x: UnsafePointer<Float>) -> Lanes {
            let zero = Lanes()
            return reduce({ add(zero, row(x, $0)) }, add)
        }

        /// `Float(1 / Double(s))` lane-wise: the factor `normalizeRows` takes from a row's sum.
        @_transparent static func reciprocals(_ s: Lanes) -> Lanes {
            let wide = Builtin.fpext_Vec16xFPIEEE32_Vec16xFPIEEE64(s._storage._value)
            let one = SIMD16<Double>(repeating: 1)._storage._value
            var r = Lanes()
            r._storage._value = Builtin.fptrunc_Vec16xFPIEEE64_Vec16xFPIEEE32(Builtin.fdiv_Vec16xFPIEEE64(one, wide))
            return r
        }
    }
#endif
