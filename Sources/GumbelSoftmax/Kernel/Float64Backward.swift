#if canImport(Glibc)
    import Glibc
#endif

// The float64 backward pass's vector loops (the row's loop is `BackwardJob`, shared with Float):
// `<v, y>` goes through `BLAS.blockedDot` (`cblas_ddot`) and the scaling by `1 / T` through
// `BLAS.scale` (`cblas_dscal`); the other loops run on Double lanes with `DoubleMath`'s log and
// exp, where Float's sum blocks of eight Float lanes in Double.

extension Double {
    @inline(__always)
    @_spi(Exports) public static func scale(_ alpha: Double, _ x: UnsafeMutablePointer<Double>, count: Int) {
        BLAS.scale(alpha, x, count: count)
    }

    /// `g = y * (v - <v, y>)` over `count` doubles.
    @inline(__always)
    @_spi(Exports) public static func softVJP(
        y: UnsafePointer<Double>, v: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>, count: Int
    ) {
        let s = DoubleLanes(repeating: BLAS.blockedDot(v, y, count: count))
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let yl = DoubleLanes.load(y + i, count: n, padding: 0)
            let vl = DoubleLanes.load(v + i, count: n, padding: 0)
            (yl * (vl - s)).store(to: g + i, count: n)
            i += n
        }
    }

    /// `sum_i g_i * log(y_i)` over `count` doubles with `y_i >= 0`; `y_i = 0` contributes 0, and so
    /// does a subnormal one (its term is below 1e-305). Lane-wise, then the lanes in a fixed tree.
    @_spi(Exports) public static func weightedLog(
        _ g: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int
    ) -> Double {
        let tiny = DoubleLanes(repeating: .leastNormalMagnitude)
        let one = DoubleLanes(repeating: 1)
        var total = DoubleLanes(repeating: 0)
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let yl = DoubleLanes.load(y + i, count: n, padding: 1)
            let safe = DoubleLanes.select(DoubleLanes.atLeastMask(yl, tiny), yl, one)
            total = DoubleLanes.multiplyAdd(DoubleLanes.load(g + i, count: n, padding: 0), DoubleMath.log(safe), total)
            i += n
        }
        return total.sumOfLanes
    }

    /// `g = v - exp(logY) * sum` over `count` doubles, 0 where `logY` is `-inf` (masked). Returns
    /// `sum_i g_i * logY_i` over the unmasked entries.
    @_spi(Exports) public static func logSpaceVJP(
        logY y: UnsafePointer<Double>, v: UnsafePointer<Double>, sum: Double, into g: UnsafeMutablePointer<Double>,
        count: Int
    ) -> Double {
        let s = DoubleLanes(repeating: sum)
        let zero = DoubleLanes(repeating: 0)
        let lowest = DoubleLanes(repeating: -.greatestFiniteMagnitude)
        var total = zero
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let yl = DoubleLanes.load(y + i, count: n, padding: -.infinity)
            let unmasked = DoubleLanes.atLeastMask(yl, lowest)
            let e = DoubleMath.expNonPositive(yl)
            let gl = DoubleLanes.select(unmasked, DoubleLanes.load(v + i, count: n, padding: 0) - e * s, zero)
            gl.store(to: g + i, count: n)
            total = DoubleLanes.multiplyAdd(gl, DoubleLanes.select(unmasked, yl, zero), total)
            i += n
        }
        return total.sumOfLanes
    }
}
