import Synchronization

// What one sampling call asks of the kernel (`SamplingJob`), the kernels' knobs
// (`KernelConfiguration`) and how workers report a refused row (`FirstBadRow`).

/// What a sampling pass produces.
enum SampleKind: Sendable {
    case soft, log, hard, categorical
}

/// Knobs of the kernels that the benchmarks and tests use to compare paths; passed explicitly to
/// one call (there is no global setting). Not API: reached through `@_spi(Benchmarks)`.
@_spi(Benchmarks) public struct KernelConfiguration: Sendable, Hashable {
    /// Tiles (or groups of rows) at least this long add the logits to the noise with
    /// `cblas_saxpy` instead of the fused loop. `Int.max` disables the BLAS path.
    public var blasAddNoiseMinimum = Int.max
    /// Runs of at least this many float32 outputs sharing one normalising factor are scaled with
    /// `cblas_sscal` instead of a Swift loop (rows shorter than the bulk width always take the
    /// loop, fused with the copy out of the scratch). In the avx512 tier never: on the long rows,
    /// the lengths measured, the kernel's own loop took 0 to 4% less time (docs/benchmarks.md,
    /// "CBLAS or a fused loop"). 4096 in the other tiers.
    #if GUMBEL_SOFTMAX_AVX512
        public var blasScaleMinimum = Int.max
    #else
        public var blasScaleMinimum = 4096
    #endif
    /// The same for float64 outputs (`cblas_dscal`): 4096 in every tier (with AVX-512 the Swift
    /// loop was no faster for them).
    public var blasScaleMinimumFloat64 = 4096
    /// Batches smaller than this many elements run on the calling thread.
    public var parallelMinimum = 1 << 15
    /// Batches of rows longer than a tile with at least this many elements prefetch the logits
    /// and outputs of their first passes (Kernel/SegmentedRows.swift): 4M elements read and
    /// written, 32 MiB, the size of a large last-level cache, beyond which they come from memory.
    /// `Int.max` disables it; prefetching never changes a value.
    public var streamingMinimum = 1 << 22

    /// The library's defaults.
    public init() {}
}

/// One sampling call over validated input: views of the caller's buffers, the words, and what to
/// produce. Workers share it (the pointer idiom of Scheduler.swift).
struct SamplingJob: @unchecked Sendable {
    var logits: UnsafePointer<Float>
    var rows: Int
    var columns: Int
    /// `min(1 / temperature, .greatestFiniteMagnitude)`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Float
    var rowInverseTemperatures: UnsafePointer<Float>?
    /// The words of flat elements `element ..< element + buffer.count` of the batch.
    var words: @Sendable (_ element: Int, _ buffer: UnsafeMutableBufferPointer<UInt32>) -> Void
    /// The tail word of flat element `element` (read for the rare words in a tail band).
    var tailWord: @Sendable (_ element: Int) -> UInt32
    var mapping: UniformMapping
    var kind: SampleKind
    /// `B * K` floats for soft, log and hard output.
    var output: UnsafeMutablePointer<Float>?
    /// `B` indices for categorical output.
    var indices: UnsafeMutablePointer<Int>?
    /// The kernel's knobs for this call.
    var configuration = KernelConfiguration()

    /// The power form of row `row`, or nil when the row takes the general form.
    @inline(__always)
    func powerForm(row: Int) -> PowerForm? {
        kind == .soft ? PowerForm(inverseTemperature: inverseTemperature(row: row)) : nil
    }
}

/// The lowest row any worker reported as refused.
final class FirstBadRow: Sendable {
    private let lock = Mutex(Int.max)
    func record(_ row: Int) { lock.withLock { $0 = Swift.min($0, row) } }
    var value: Int? {
        let v = lock.withLock { $0 }
        return v == Int.max ? nil : v
    }
}
