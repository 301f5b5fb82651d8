import COpenBLAS
import Synchronization

// The only file that calls CBLAS. OpenBLAS's `blasint` is 32-bit here, so every wrapper checks its
// sizes and splits a vector longer than `Int32.max` into chunks.

@usableFromInline
enum BLAS {
    /// The longest vector one CBLAS call receives.
    static let maximumChunk = Int(Int32.max)

    /// Calls `body(offset, length)` over `0 ..< count` in pieces of at most `limit` elements.
    @inline(__always)
    private static func chunks(of count: Int, limit: Int = maximumChunk, _ body: (Int, Int32) -> Void) {
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

    /// Computes `y = alpha * x + y` over `count` floats.
    ///
    /// The corresponding C function is `cblas_saxpy`.
    static func axpy(
        _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int
    ) {
        chunks(of: count) { offset, n in cblas_saxpy(n, alpha, x + offset, 1, y + offset, 1) }
    }

    /// The longest block `blockedDot` hands to one CBLAS call: short enough that OpenBLAS
    /// computes it on the calling thread (its x86-64 `sdot` splits only vectors longer than 10000
    /// across its pool), so the sum does not depend on OpenBLAS's thread count.
    static let dotBlock = 4096

    /// The dot product of `count` floats at `x` and `y`, taken in blocks of `dotBlock` whose
    /// partial sums are added in order in Double.
    ///
    /// The result depends only on the inputs and the build, never on OpenBLAS's thread count
    /// (SPEC: keep reductions whose order would vary out of the result).
    ///
    /// The corresponding C function is `cblas_sdot`.
    static func blockedDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Double {
        var total: Double = 0
        chunks(of: count, limit: dotBlock) { offset, n in
            total += Double(cblas_sdot(n, x + offset, 1, y + offset, 1))
        }
        return total
    }

    private static let pinning = Mutex<(depth: Int, saved: Int32)>((0, 0))

    /// Runs `body` with OpenBLAS limited to one thread, so that our own worker threads do not
    /// oversubscribe the cores. Nested and concurrent uses are counted; the last one out restores
    /// OpenBLAS's previous setting.
    ///
    /// The corresponding C function is `openblas_set_num_threads`.
    static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        pinning.withLock { state in
            if state.depth == 0 {
                state.saved = openblas_get_num_threads()
                if state.saved != 1 { openblas_set_num_threads(1) }
            }
            state.depth += 1
        }
        defer {
            pinning.withLock { state in
                state.depth -= 1
                if state.depth == 0 && state.saved != 1 { openblas_set_num_threads(state.saved) }
            }
        }
        return try body()
    }
}
