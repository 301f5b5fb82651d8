import COpenBLAS
import Synchronization

// The only file that calls CBLAS. OpenBLAS's `blasint` is 32-bit here, so every wrapper checks its
// sizes and splits a vector longer than `Int32.max` into chunks.

@usableFromInline
enum BLAS {
    /// The longest vector one CBLAS call receives.
    static let maximumChunk = Int(Int32.max)

    /// Scales `count` floats at `x` by `alpha` in place.
    ///
    /// The corresponding C function is `cblas_sscal`.
    static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        while done < count {
            let n = min(count - done, maximumChunk)
            cblas_sscal(Int32(n), alpha, x + done, 1)
            done += n
        }
    }

    /// Computes `y = alpha * x + y` over `count` floats.
    ///
    /// The corresponding C function is `cblas_saxpy`.
    static func axpy(
        _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int
    ) {
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        while done < count {
            let n = min(count - done, maximumChunk)
            cblas_saxpy(Int32(n), alpha, x + done, 1, y + done, 1)
            done += n
        }
    }

    /// The dot product of `count` floats at `x` and `y`, accumulated chunk by chunk in order.
    ///
    /// The corresponding C function is `cblas_sdot`.
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        var total: Float = 0
        while done < count {
            let n = min(count - done, maximumChunk)
            total += cblas_sdot(Int32(n), x + done, 1, y + done, 1)
            done += n
        }
        return total
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
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        var total: Double = 0
        while done < count {
            let n = min(count - done, dotBlock)
            total += Double(cblas_sdot(Int32(n), x + done, 1, y + done, 1))
            done += n
        }
        return total
    }

    /// Copies `count` floats from `x` to `y`.
    ///
    /// The corresponding C function is `cblas_scopy`.
    static func copy(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count >= 0, "negative BLAS length")
        var done = 0
        while done < count {
            let n = min(count - done, maximumChunk)
            cblas_scopy(Int32(n), x + done, 1, y + done, 1)
            done += n
        }
    }

    /// The number of threads OpenBLAS's own pool uses.
    ///
    /// The corresponding C function is `openblas_get_num_threads`.
    static var threadCount: Int { Int(openblas_get_num_threads()) }

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
