import CGumbelSoftmaxABI
import GumbelSoftmax

// Checks of the raw C arguments, made before any memory is touched: element counts >= 0 and
// representable, non-NULL pointers wherever a count is > 0, outputs not overlapping inputs,
// thread counts >= 0, and every int64 that becomes a Swift `Int` representable on this platform.
// Shapes (negative B or K, B*K overflow, K == 0, counts that are not B*K) are checked by the
// library's own validation, which also runs before any memory is read.

enum Arguments {
    /// `threads` of the C API: 0 means all cores (the library's `nil`).
    static func threads(_ threads: Int32) throws(CallError) -> Int? {
        guard threads >= 0 else {
            throw CallError(GS_INVALID_THREAD_COUNT, "thread count must be >= 0 (0 = all cores), got \(threads)")
        }
        return threads == 0 ? nil : Int(threads)
    }

    /// `name_count` as an `Int`: `>= 0` and representable.
    static func count(_ count: Int64, name: String) throws(CallError) -> Int {
        guard count >= 0 else { throw CallError(GS_INVALID_ARGUMENT, "\(name)_count must be >= 0, got \(count)") }
        guard let value = Int(exactly: count) else {
            throw CallError(GS_INVALID_ARGUMENT, "\(name)_count \(count) does not fit in this platform's address space")
        }
        return value
    }

    /// A shape of the C API as Swift `Int`s. Negative values pass through (the library refuses
    /// them with its own message); a value a 32-bit `Int` cannot hold is refused here.
    static func shape(rows: Int64, columns: Int64) throws(CallError) -> (rows: Int, columns: Int) {
        guard let r = Int(exactly: rows), let c = Int(exactly: columns) else {
            throw CallError(
                GS_INVALID_SHAPE,
                "shape [\(rows), \(columns)] does not fit in this platform's \(Int.bitWidth)-bit address space")
        }
        return (r, c)
    }

    /// Top-k's `k` as a Swift `Int`: a value that does not fit is outside `1...K` anyway.
    static func k(_ k: Int64, columns: Int) throws(CallError) -> Int {
        guard let value = Int(exactly: k) else {
            throw CallError(GS_INVALID_TOP_K, "k must be in 1...\(columns) (the number of categories), got \(k)")
        }
        return value
    }

    /// The `count` elements at `pointer`, which may be NULL only when `count` is 0. `countName` is
    /// the C parameter that holds `count` (`name_count` unless several arrays share one count).
    static func input<T>(
        _ pointer: UnsafePointer<T>?, count: Int64, name: String, countName: String? = nil
    ) throws(CallError)
        -> UnsafeBufferPointer<T>
    {
        let counted = countName ?? "\(name)_count"
        let n = try Self.count(count, name: countName.map { String($0.dropLast("_count".count)) } ?? name)
        guard n == 0 || pointer != nil else {
            throw CallError(GS_NULL_POINTER, "\(name) is NULL but \(counted) is \(n)")
        }
        return UnsafeBufferPointer(start: n == 0 ? nil : pointer, count: n)
    }

    /// The `count` writable elements at `pointer`, which may be NULL only when `count` is 0.
    static func output<T>(
        _ pointer: UnsafeMutablePointer<T>?, count: Int64, name: String
    ) throws(CallError)
        -> UnsafeMutableBufferPointer<T>
    {
        let n = try Self.count(count, name: name)
        guard n == 0 || pointer != nil else {
            throw CallError(GS_NULL_POINTER, "\(name) is NULL but \(name)_count is \(n)")
        }
        return UnsafeMutableBufferPointer(start: n == 0 ? nil : pointer, count: n)
    }

    /// Refuses an output whose bytes overlap an input's: the kernel reads inputs after writing.
    static func disjoint<I, O>(
        _ input: UnsafeBufferPointer<I>, _ inputName: String, _ output: UnsafeMutableBufferPointer<O>,
        _ outputName: String
    ) throws(CallError) {
        guard let i = input.baseAddress, let o = output.baseAddress, !input.isEmpty, !output.isEmpty else { return }
        // Counts too large for the address space are left to the size checks that follow.
        let (inputBytes, o1) = input.count.multipliedReportingOverflow(by: MemoryLayout<I>.stride)
        let (outputBytes, o2) = output.count.multipliedReportingOverflow(by: MemoryLayout<O>.stride)
        guard !o1, !o2 else { return }
        let inputStart = UInt(bitPattern: i)
        let inputEnd = inputStart &+ UInt(inputBytes)
        let outputStart = UInt(bitPattern: o)
        let outputEnd = outputStart &+ UInt(outputBytes)
        if inputStart < outputEnd && outputStart < inputEnd {
            throw CallError(
                GS_INVALID_ARGUMENT, "\(outputName) overlaps \(inputName): in-place operation is not supported")
        }
    }

    /// A `gs_output` argument (`output`, `kind` or `space`): GS_OUTPUT_SOFT, GS_OUTPUT_LOG or GS_OUTPUT_HARD.
    static func output(kind: gs_output, name: String = "output") throws(CallError) -> GumbelSoftmax.Output {
        switch kind {
        case GS_OUTPUT_SOFT: return .soft
        case GS_OUTPUT_LOG: return .log
        case GS_OUTPUT_HARD: return .hard
        default:
            throw CallError(
                GS_INVALID_ARGUMENT,
                "\(name) must be GS_OUTPUT_SOFT (0), GS_OUTPUT_LOG (1) or GS_OUTPUT_HARD (2), got "
                    + "\(Int32(bitPattern: kind.rawValue))")
        }
    }
}

/// The preamble every export over a `[rows, columns]` batch of logits shares, in one place: the
/// thread count, the shape as `Int`s, the logits and the result buffer (non-NULL where counted),
/// and the result not overlapping the logits.
struct Batch<Logit, Result> {
    let logits: UnsafeBufferPointer<Logit>
    let rows: Int
    let columns: Int
    let result: UnsafeMutableBufferPointer<Result>
    let threads: Int?
    let resultName: String

    init(
        logits: UnsafePointer<Logit>?, logitsCount: Int64, rows: Int64, columns: Int64, threads: Int32,
        result: UnsafeMutablePointer<Result>?, resultCount: Int64, resultName: String
    ) throws(CallError) {
        self.resultName = resultName
        self.threads = try Arguments.threads(threads)
        (self.rows, self.columns) = try Arguments.shape(rows: rows, columns: columns)
        self.logits = try Arguments.input(logits, count: logitsCount, name: "logits")
        self.result = try Arguments.output(result, count: resultCount, name: resultName)
        try Arguments.disjoint(self.logits, "logits", self.result, resultName)
    }

    /// A further input of the call (e.g. per-row temperatures), checked like the logits.
    func input<T>(
        _ pointer: UnsafePointer<T>?, count: Int64, name: String, countName: String? = nil
    ) throws(CallError) -> UnsafeBufferPointer<T> {
        let buffer = try Arguments.input(pointer, count: count, name: name, countName: countName)
        try Arguments.disjoint(buffer, name, result, resultName)
        return buffer
    }
}

/// The temperature argument of a sampling or gradient export: one for the batch, or one per row
/// (C's `temperatures`, `temperatures_count`, checked by the export like its other inputs).
enum Temperature<Scalar> {
    case scalar(Scalar)
    case perRow(UnsafePointer<Scalar>?, count: Int64)
}
