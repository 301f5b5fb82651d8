import COpenBLAS

// The only file that calls CBLAS. Every call gets at most `callLimit` elements: OpenBLAS then
// computes it on the calling thread (on x86-64 it splits `saxpy` and `sdot` only above 10000
// elements and `sscal` above 2^20), so this library never starts OpenBLAS threads, never needs to
// change OpenBLAS's process-wide thread count, and no result depends on it. It also keeps every
// length within OpenBLAS's 32-bit `blasint`.

enum BLAS {
    /// The longest vector one CBLAS call receives: below every OpenBLAS threading threshold.
    static let callLimit = 4096

    /// Calls `body(offset, length)` over `0 ..< count` in pieces of at most `limit` elements.
    @inline(__always)
    private static func chunks(of count: Int, limit: Int = callLimit, _ body: (Int, Int32) -> Void) {
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        while done < count {
            let n = min(count - done, limit)
            body(done, Int32(n))
            done += n
        }
    }

    /// Scales `count` floats at `x` by `alpha` in place.
    ///
    /// The corresponding C function is `cblas_sscal`.
    static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        chunks(of: count) { offset, n in cblas_sscal(n, alpha, x + offset, 1) }
    }

    /// Scales `count` doubles at `x` by `alpha` in place.
    ///
    /// The corresponding C function is `cblas_dscal`.
    static func scale(_ alpha: Double, _ x: UnsafeMutablePointer<Double>, count: Int) {
        chunks(of: count) { offset, n in cblas_dscal(n, alpha, x + offset, 1) }
    }

    /// Computes `y = alpha * x + y` over `count` floats.
    ///
    /// The corresponding C function is `cblas_saxpy`.
    static func axpy(
        _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int
    ) {
        chunks(of: count) { offset, n in cblas_saxpy(n, alpha, x + offset, 1, y + offset, 1) }
    }

    /// The dot product of `count` floats at `x` and `y`, taken in blocks of `callLimit` whose
    /// partial sums are added in order in Double.
    ///
    /// The result depends only on the inputs and the build, never on OpenBLAS's thread count
    /// (SPEC: keep reductions whose order would vary out of the result).
    ///
    /// The corresponding C function is `cblas_sdot`.
    static func blockedDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var total: Double = 0
        chunks(of: count) { offset, n in
            total += Double(cblas_sdot(n, x + offset, 1, y + offset, 1))
        }
        return total
    }

    /// The dot product of `count` doubles at `x` and `y`, taken in blocks of `callLimit` whose
    /// partial sums are added in order (the float64 `blockedDot`).
    ///
    /// The corresponding C function is `cblas_ddot`.
    static func blockedDot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
        var total: Double = 0
        chunks(of: count) { offset, n in
            total += cblas_ddot(n, x + offset, 1, y + offset, 1)
        }
        return total
    }
}
