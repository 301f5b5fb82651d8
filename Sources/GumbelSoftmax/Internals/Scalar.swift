// The element type of a call, float32 or float64, and what differs between the two.
//
// The API layer is written once over `GumbelScalar`: argument handling and validation
// (Validation.swift), the entry into the kernels (`GumbelSoftmax.run`), per-row streams and
// JAX words (`BatchWords`), top-k selection (`TopKPass`), the backward pass's loop
// (`BackwardJob`), and the noise and density entry points. Each conformance names what is its
// own: the sampling kernel and its job (Float: `SamplingKernel`, which finds refused logits
// during its pass; Double: `Float64Kernel`, run after `Validate.logits` has checked them), the
// noise fill, and the backward pass's vector loops (BackwardKernel.swift, Float64Backward.swift).
// Those numeric kernels stay two because their SIMD code differs (Float lanes with FastMath and
// Double tail terms, against Double lanes with DoubleMath).
//
// The generics over `GumbelScalar` are called from this module's thin per-type public functions
// with a concrete type, so the optimiser specialises them: no generic dispatch at run time, and
// the public functions stay non-generic over the scalar. The C exports and the `gumbel` tool call
// the same layer through the entry points of Exports.swift (`@_spi(Exports)`, prespecialised for
// Float and Double); for them `GumbelScalar`, its requirements and the two conformances are SPI,
// outside the documented API.

/// `Float` or `Double`: the type of a call's logits, temperatures and outputs.
@_spi(Exports)
public protocol GumbelScalar: BinaryFloatingPoint, BitwiseCopyable, Sendable {
    /// Whether the kernels find refused logits during their own pass (float32), or run on logits
    /// `checkLogits` has checked (float64), so that top-k's pass need not check them again.
    static var checksLogitsInPass: Bool { get }

    /// Checks the logits' values before the kernel runs, when the kernel does not check them
    /// itself: no NaN, no `+inf`, at least `unmasked` logits other than `-inf` per row.
    static func checkLogits(
        _ logits: UnsafePointer<Self>, rows: Int, columns: Int, unmasked: Int, threads: Int?
    ) throws(GumbelSoftmaxError)

    /// Runs this type's sampling job (`SamplingJob`, `Float64Job`) over validated arguments;
    /// returns the lowest row whose logits the kernel refused, or nil.
    static func sample(_ job: consuming JobArguments<Self>, threads: Int?) -> Int?

    /// Runs top-k selection (`TopKPass`) over this type's sampling job into `result`, `k` indices
    /// per row; returns the lowest row it refused, or nil.
    static func topK(
        _ job: consuming JobArguments<Self>, k: Int, into result: UnsafeMutablePointer<Int>, threads: Int?
    ) -> Int?

    /// Writes the noise of elements `first ..< first + count` of `words` (`count <= Tiling.tile`),
    /// with `scratch` for their words (`NoiseFill`).
    static func noiseTile(
        of words: BatchWords, from first: Int, into output: UnsafeMutablePointer<Self>, count: Int,
        scratch: UnsafeMutablePointer<UInt32>)

    // The backward pass's vector loops (`BackwardJob`).

    /// `x *= alpha` over `count` elements through `BLAS.scale`.
    static func scale(_ alpha: Self, _ x: UnsafeMutablePointer<Self>, count: Int)
    /// `g = y * (v - <v, y>)` over `count` elements, `<v, y>` through `BLAS.blockedDot`.
    static func softVJP(y: UnsafePointer<Self>, v: UnsafePointer<Self>, into g: UnsafeMutablePointer<Self>, count: Int)
    /// `g = v - exp(logY) * sum`, 0 where `logY` is `-inf`; returns `sum_i g_i * logY_i` over the
    /// unmasked entries.
    static func logSpaceVJP(
        logY y: UnsafePointer<Self>, v: UnsafePointer<Self>, sum: Self, into g: UnsafeMutablePointer<Self>,
        count: Int
    ) -> Double
    /// `sum_i g_i * log(y_i)` over `y_i >= 0`, with 0 for a zero or subnormal `y_i`.
    static func weightedLog(_ g: UnsafePointer<Self>, _ y: UnsafePointer<Self>, count: Int) -> Double
}

/// The arguments of a sampling job, validated: views of the caller's buffers, the words, what
/// to produce. Each type's job (`SamplingJob`, `Float64Job`) is built from them.
@_spi(Exports)
public struct JobArguments<Scalar: GumbelScalar> {
    let logits: UnsafePointer<Scalar>
    let rows: Int
    let columns: Int
    let inverseTemperature: Scalar
    let rowInverseTemperatures: UnsafePointer<Scalar>?
    let words: BatchWords
    let kind: SampleKind
    let output: UnsafeMutablePointer<Scalar>?
    let indices: UnsafeMutablePointer<Int>?
    let configuration: KernelConfiguration
}

/// A job with one temperature for the batch or one per row: the sampling jobs and `BackwardJob`.
protocol RowTemperatures {
    associatedtype Scalar: GumbelScalar

    /// `min(1 / temperature, .greatestFiniteMagnitude)`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Scalar { get }
    var rowInverseTemperatures: UnsafePointer<Scalar>? { get }
}

extension RowTemperatures {
    /// Row `row`'s `1 / temperature`.
    @inline(__always)
    func inverseTemperature(row: Int) -> Scalar {
        rowInverseTemperatures?[row] ?? inverseTemperature
    }
}

/// A sampling job that top-k selection can run: it perturbs runs of elements into per-worker
/// scratch. `SamplingJob` (Float) and `Float64Job` (Double) conform.
protocol PerturbingJob: RowTemperatures, Sendable {

    init(
        logits: UnsafePointer<Scalar>, rows: Int, columns: Int, inverseTemperature: Scalar,
        rowInverseTemperatures: UnsafePointer<Scalar>?, words: BatchWords, kind: SampleKind,
        output: UnsafeMutablePointer<Scalar>?, indices: UnsafeMutablePointer<Int>?,
        configuration: KernelConfiguration)

    var rows: Int { get }
    var columns: Int { get }
    var configuration: KernelConfiguration { get }

    /// Runs `body` over the units of `tiling` on the scheduler with one scratch per worker;
    /// `body`'s second argument writes `logits + g` of `count` elements from flat index `element`
    /// on (at most a tile) and returns where it wrote them.
    func forEachUnit(
        _ tiling: Tiling, threads: Int?,
        _ body: @Sendable (Range<Int>, _ perturb: (_ element: Int, _ count: Int) -> UnsafePointer<Scalar>) -> Void)
}

extension PerturbingJob {
    /// The job of `arguments`.
    @inline(__always)
    init(_ arguments: consuming JobArguments<Scalar>) {
        self.init(
            logits: arguments.logits, rows: arguments.rows, columns: arguments.columns,
            inverseTemperature: arguments.inverseTemperature, rowInverseTemperatures: arguments.rowInverseTemperatures,
            words: arguments.words, kind: arguments.kind, output: arguments.output, indices: arguments.indices,
            configuration: arguments.configuration)
    }
}

@_spi(Exports)
extension Float: GumbelScalar {
    @inline(__always) public static var checksLogitsInPass: Bool { true }

    /// The float32 kernel checks the logits during its own pass.
    public static func checkLogits(
        _ logits: UnsafePointer<Float>, rows: Int, columns: Int, unmasked: Int, threads: Int?
    ) throws(GumbelSoftmaxError) {}

    @inline(__always)
    public static func sample(_ job: consuming JobArguments<Float>, threads: Int?) -> Int? {
        SamplingKernel.run(SamplingJob(job), threads: threads)
    }

    @inline(__always)
    public static func topK(
        _ job: consuming JobArguments<Float>, k: Int, into result: UnsafeMutablePointer<Int>, threads: Int?
    ) -> Int? {
        TopKPass(job: SamplingJob(job), k: k, result: result).run(threads: threads)
    }
}

extension SamplingJob: PerturbingJob {
    init(
        logits: UnsafePointer<Float>, rows: Int, columns: Int, inverseTemperature: Float,
        rowInverseTemperatures: UnsafePointer<Float>?, words: BatchWords, kind: SampleKind,
        output: UnsafeMutablePointer<Float>?, indices: UnsafeMutablePointer<Int>?,
        configuration: KernelConfiguration
    ) {
        self.init(
            logits: logits, rows: rows, columns: columns, inverseTemperature: inverseTemperature,
            rowInverseTemperatures: rowInverseTemperatures, words: words.fill, tailWord: words.tailWord,
            mapping: words.mapping, kind: kind, output: output, indices: indices, configuration: configuration)
    }

    func forEachUnit(
        _ tiling: Tiling, threads: Int?,
        _ body: @Sendable (Range<Int>, _ perturb: (_ element: Int, _ count: Int) -> UnsafePointer<Float>) -> Void
    ) {
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: configuration.parallelMinimum,
            scratch: { SamplingKernel.Scratch() },
            body: { range, scratch in
                body(range) { element, count in
                    SamplingKernel.perturbRange(self, element: element, count: count, scratch: scratch)
                    return UnsafePointer(scratch.perturbed)
                }
            })
    }
}

@_spi(Exports)
extension Double: GumbelScalar {
    @inline(__always) public static var checksLogitsInPass: Bool { false }

    /// The float64 kernel runs on checked logits (`Validate.logits`), so it never refuses a row.
    public static func checkLogits(
        _ logits: UnsafePointer<Double>, rows: Int, columns: Int, unmasked: Int, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Validate.logits(logits, rows: rows, columns: columns, unmasked: unmasked, threads: threads)
    }

    @inline(__always)
    public static func sample(_ job: consuming JobArguments<Double>, threads: Int?) -> Int? {
        Float64Kernel.run(Float64Job(job), threads: threads)
        return nil
    }

    @inline(__always)
    public static func topK(
        _ job: consuming JobArguments<Double>, k: Int, into result: UnsafeMutablePointer<Int>, threads: Int?
    ) -> Int? {
        TopKPass(job: Float64Job(job), k: k, result: result).run(threads: threads)
    }
}

extension Float64Job: PerturbingJob {
    func forEachUnit(
        _ tiling: Tiling, threads: Int?,
        _ body: @Sendable (Range<Int>, _ perturb: (_ element: Int, _ count: Int) -> UnsafePointer<Double>) -> Void
    ) {
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: configuration.parallelMinimum,
            scratch: { Float64Kernel.Scratch() },
            body: { range, scratch in
                body(range) { element, count in
                    perturb(element: element, count: count, scratch: scratch)
                    return UnsafePointer(scratch.perturbed)
                }
            })
    }
}
