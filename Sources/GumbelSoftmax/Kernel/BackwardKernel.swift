#if canImport(Glibc)
    import Glibc
#endif

// The backward kernel: vector-Jacobian products of one row of a Gumbel-Softmax sample with the
// noise held fixed. The public API is Gradients.swift.

/// One backward pass over validated buffers; `row(_:inverseTemperature:)` touches only its row.
/// Workers share it through the scheduler (the pointer idiom of Scheduler.swift).
struct BackwardJob: @unchecked Sendable {
    var output: UnsafePointer<Float>
    var upstream: UnsafePointer<Float>
    var columns: Int
    var logitsGradient: UnsafeMutablePointer<Float>
    var temperatureGradient: UnsafeMutablePointer<Float>?
    var logSpace: Bool
    /// `1 / temperature`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Float
    var rowInverseTemperatures: UnsafePointer<Float>?

    @inline(__always)
    func inverseTemperature(row: Int) -> Float {
        rowInverseTemperatures?[row] ?? inverseTemperature
    }

    func row(_ row: Int, inverseTemperature invT: Float) {
        let k = columns
        let y = output + row * k
        let v = upstream + row * k
        let g = logitsGradient + row * k
        // g = dL/dz, then `sum_k g_k * log y_k` for the temperature, then g /= temperature.
        var weightedLog = 0.0
        if logSpace {
            var sum = 0.0
            for i in 0..<k where y[i] != -.infinity { sum += Double(v[i]) }
            weightedLog = Self.logSpaceVJP(logY: y, v: v, sum: Float(sum), into: g, count: k)
        } else {
            let dot = Float(BLAS.blockedDot(v, y, count: k))
            Self.softVJP(y: y, v: v, dot: dot, into: g, count: k)
            if temperatureGradient != nil { weightedLog = Self.weightedLog(g, y, count: k) }
        }
        BLAS.scale(invT, g, count: k)
        temperatureGradient?[row] = Float(-weightedLog * Double(invT))
    }

    /// `sum_i g_i * log(y_i)` over `count` floats with `y_i >= 0`, eight at a time with the kernel's
    /// vector log; `y_i = 0` contributes 0, and so does a subnormal `y_i` (its term is below 1e-36).
    /// Blocks of 256 are summed in Float lanes, the blocks in order in Double.
    static func weightedLog(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
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
    static func logSpaceVJP(
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

    /// `g = y * (v - dot)` over `count` floats, eight at a time.
    @inline(__always)
    static func softVJP(
        y: UnsafePointer<Float>, v: UnsafePointer<Float>, dot: Float, into g: UnsafeMutablePointer<Float>, count: Int
    ) {
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
