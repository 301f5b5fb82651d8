#if canImport(Glibc)
    import Glibc
#endif

// The backward kernel: vector-Jacobian products of one row of a Gumbel-Softmax sample with the
// noise held fixed: the row's loop for both types, and Float's vector loops. The public API is
// Gradients.swift.

/// One backward pass over validated buffers, for Float or Double; `row(_:)` touches only its row.
/// Workers share it through the scheduler (the pointer idiom of Scheduler.swift). The vector loops
/// are each type's own (below for Float, Float64Backward.swift for Double).
struct BackwardJob<Scalar: GumbelScalar>: RowTemperatures, @unchecked Sendable {
    var output: UnsafePointer<Scalar>
    var upstream: UnsafePointer<Scalar>
    var columns: Int
    var logitsGradient: UnsafeMutablePointer<Scalar>
    var temperatureGradient: UnsafeMutablePointer<Scalar>?
    var logSpace: Bool
    /// `1 / temperature`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Scalar
    var rowInverseTemperatures: UnsafePointer<Scalar>?

    func row(_ row: Int) {
        let k = columns
        let y = output + row * k
        let v = upstream + row * k
        let g = logitsGradient + row * k
        let invT = inverseTemperature(row: row)
        // g = dL/dz, then `sum_k g_k * log y_k` for the temperature, then g /= temperature.
        var weightedLog = 0.0
        if logSpace {
            var sum = 0.0
            for i in 0..<k where y[i] != -.infinity { sum += Double(v[i]) }
            weightedLog = Scalar.logSpaceVJP(logY: y, v: v, sum: Scalar(sum), into: g, count: k)
        } else {
            Scalar.softVJP(y: y, v: v, into: g, count: k)
            if temperatureGradient != nil { weightedLog = Scalar.weightedLog(g, y, count: k) }
        }
        Scalar.scale(invT, g, count: k)
        temperatureGradient?[row] = Scalar(-weightedLog * Double(invT))
    }
}

extension Float {
    @inline(__always)
    @_spi(Exports) public static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        BLAS.scale(alpha, x, count: count)
    }

    /// `sum_i g_i * log(y_i)` over `count` floats with `y_i >= 0`, eight at a time with the kernel's
    /// vector log; `y_i = 0` contributes 0, and so does a subnormal `y_i` (its term is below 1e-36).
    /// Blocks of 256 are summed in Float lanes, the blocks in order in Double.
    @_spi(Exports) public static func weightedLog(
        _ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int
    ) -> Double {
        var total = 0.0
        var i = 0
        while i + 8 <= count {
            let end = i + Swift.min(256, (count - i) & ~7)
            var acc = SIMD8<Float>()
            while i < end {
                let yl = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                let gl = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                let safe = yl.replacing(with: 1, where: yl .< Float.leastNormalMagnitude)
                acc += gl * FastMath.log(FloatLanes(safe)).simd
                i += 8
            }
            total += Double(acc.sum())
        }
        while i < count {
            if y[i] >= Float.leastNormalMagnitude { total += Double(g[i]) * Double(logf(y[i])) }
            i += 1
        }
        return total
    }

    /// `g = v - exp(logY) * sum` over `count` floats, 0 where `logY` is `-inf` (masked), eight at a
    /// time with the kernel's vector exp. Returns `sum_i g_i * logY_i` over the unmasked entries
    /// (blocks of 256 in Float lanes, the blocks in order in Double).
    @_spi(Exports) public static func logSpaceVJP(
        logY y: UnsafePointer<Float>, v: UnsafePointer<Float>, sum: Float, into g: UnsafeMutablePointer<Float>,
        count: Int
    ) -> Double {
        let s = SIMD8<Float>(repeating: sum)
        var total = 0.0
        var i = 0
        while i + 8 <= count {
            let end = i + Swift.min(256, (count - i) & ~7)
            var acc = SIMD8<Float>()
            while i < end {
                let yl = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
                let vl = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
                let masked = yl .== -Float.infinity
                let e = FastMath.expNonPositive(FloatLanes(yl)).simd
                let gl = (vl - e * s).replacing(with: 0, where: masked)
                UnsafeMutableRawPointer(g + i).storeBytes(of: gl, as: SIMD8<Float>.self)
                acc += gl * yl.replacing(with: 0, where: masked)
                i += 8
            }
            total += Double(acc.sum())
        }
        while i < count {
            if y[i] == -.infinity {
                g[i] = 0
            } else {
                g[i] = v[i] - expf(y[i]) * sum
                total += Double(g[i]) * Double(y[i])
            }
            i += 1
        }
        return total
    }

    /// `g = y * (v - dot)` over `count` floats with `dot = <v, y>`, eight at a time.
    @inline(__always)
    @_spi(Exports) public static func softVJP(
        y: UnsafePointer<Float>, v: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, count: Int
    ) {
        let dot = Float(BLAS.blockedDot(v, y, count: count))
        let s = SIMD8<Float>(repeating: dot)
        var i = 0
        while i + 8 <= count {
            let yl = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            let vl = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: yl * (vl - s), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            g[i] = y[i] * (v[i] - dot)
            i += 1
        }
    }
}
