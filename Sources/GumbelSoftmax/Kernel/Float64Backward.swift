#if canImport(Glibc)
    import Glibc
#endif

// The float64 backward kernel: vector-Jacobian products of one row of a float64 Gumbel-Softmax
// sample with the noise held fixed (the formulas of Gradients.swift, in Double). `<v, y>` goes
// through `BLAS.blockedDot` (`cblas_ddot`) and the scaling by `1 / T` through `BLAS.scale`
// (`cblas_dscal`); the other loops run on Double lanes with `DoubleMath`'s log and exp.

/// One float64 backward pass over validated buffers; `row(_:)` touches only its row.
struct Float64BackwardJob: @unchecked Sendable {
    var output: UnsafePointer<Double>
    var upstream: UnsafePointer<Double>
    var columns: Int
    var logitsGradient: UnsafeMutablePointer<Double>
    var temperatureGradient: UnsafeMutablePointer<Double>?
    var logSpace: Bool
    var inverseTemperature: Double
    var rowInverseTemperatures: UnsafePointer<Double>?

    func row(_ row: Int) {
        let k = columns
        let y = output + row * k
        let v = upstream + row * k
        let g = logitsGradient + row * k
        let invT = rowInverseTemperatures?[row] ?? inverseTemperature
        let weightedLog: Double
        if logSpace {
            var sum = 0.0
            for i in 0..<k where y[i] != -.infinity { sum += v[i] }
            weightedLog = Self.logSpaceVJP(logY: y, v: v, sum: sum, into: g, count: k)
        } else {
            let dot = DoubleLanes(repeating: BLAS.blockedDot(v, y, count: k))
            var i = 0
            while i < k {
                let n = Swift.min(DoubleLanes.count, k - i)
                let yl = DoubleLanes.load(y + i, count: n, padding: 0)
                let vl = DoubleLanes.load(v + i, count: n, padding: 0)
                (yl * (vl - dot)).store(to: g + i, count: n)
                i += n
            }
            weightedLog = temperatureGradient == nil ? 0 : Self.weightedLog(g, y, count: k)
        }
        BLAS.scale(invT, g, count: k)
        temperatureGradient?[row] = -weightedLog * invT
    }

    /// `sum_i g_i * log(y_i)` over `count` doubles with `y_i >= 0`; `y_i = 0` contributes 0, and so
    /// does a subnormal one (its term is below 1e-305). Lane-wise, then the lanes in a fixed tree.
    static func weightedLog(_ g: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
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
    static func logSpaceVJP(
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
