import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// Status codes and the thread-local last-error message of the C ABI (include/gumbel_softmax.h).
// Nothing here is Swift API: the target exists to be linked as libgumbelsoftmax.so.

/// `gs_status`: one code per family of `GumbelSoftmaxError` cases, plus the C-only refusals.
///
/// The raw values are the header's enum constants, contiguous from 0, and never change.
enum Status: Int32, CaseIterable {
    case ok = 0
    case invalidTemperature = 1
    case nanLogit = 2
    case infiniteLogit = 3
    case allMaskedRow = 4
    case noCategories = 5
    case invalidShape = 6
    case sizeMismatch = 7
    case invalidTopK = 8
    case invalidThreadCount = 9
    case nullPointer = 10
    case invalidArgument = 11
    case insufficientCategories = 12
    case invalidPoint = 13
    case unsupportedCPU = 14

    /// The enum constant's name in the header, e.g. `GS_NAN_LOGIT`.
    var name: String {
        switch self {
        case .ok: return "GS_OK"
        case .invalidTemperature: return "GS_INVALID_TEMPERATURE"
        case .nanLogit: return "GS_NAN_LOGIT"
        case .infiniteLogit: return "GS_INFINITE_LOGIT"
        case .allMaskedRow: return "GS_ALL_MASKED_ROW"
        case .noCategories: return "GS_NO_CATEGORIES"
        case .invalidShape: return "GS_INVALID_SHAPE"
        case .sizeMismatch: return "GS_SIZE_MISMATCH"
        case .invalidTopK: return "GS_INVALID_TOP_K"
        case .invalidThreadCount: return "GS_INVALID_THREAD_COUNT"
        case .nullPointer: return "GS_NULL_POINTER"
        case .invalidArgument: return "GS_INVALID_ARGUMENT"
        case .insufficientCategories: return "GS_INSUFFICIENT_CATEGORIES"
        case .invalidPoint: return "GS_INVALID_POINT"
        case .unsupportedCPU: return "GS_UNSUPPORTED_CPU"
        }
    }
}

/// A refused call: the code returned to C and the message `gs_last_error_message` gives.
struct CallError: Error {
    var status: Status
    var message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    init(_ error: GumbelSoftmaxError) {
        self.init(Self.status(of: error), error.description)
    }

    // An `if case` chain rather than a `switch`, so that a case added to the library later maps to
    // GS_INVALID_ARGUMENT (with its own message) instead of breaking this target's build.
    static func status(of error: GumbelSoftmaxError) -> Status {
        if case .invalidTemperature = error { return .invalidTemperature }
        if case .invalidRowTemperature = error { return .invalidTemperature }
        if case .nanLogit = error { return .nanLogit }
        if case .infiniteLogit = error { return .infiniteLogit }
        if case .allMaskedRow = error { return .allMaskedRow }
        if case .noCategories = error { return .noCategories }
        if case .invalidShape = error { return .invalidShape }
        if case .logitCountMismatch = error { return .sizeMismatch }
        if case .bufferSizeMismatch = error { return .sizeMismatch }
        if case .temperatureCountMismatch = error { return .sizeMismatch }
        if case .invalidTopK = error { return .invalidTopK }
        if case .invalidThreadCount = error { return .invalidThreadCount }
        if case .insufficientCategories = error { return .insufficientCategories }
        if case .invalidPoint = error { return .invalidPoint }
        return .invalidArgument
    }
}

/// The calling thread's last error message, kept in a `pthread` key so each thread sees its own.
///
/// A successful call clears it; `gs_last_error_message` then returns "".
enum LastError {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { pointer in free(pointer) }
        precondition(result == 0, "pthread_key_create failed: \(result)")
        return key
    }()

    /// A NUL-terminated "" that lives for the whole process.
    nonisolated(unsafe) static let empty: UnsafeMutablePointer<CChar> = strdup("")!

    static func set(_ message: String) {
        let previous = pthread_getspecific(key)
        _ = pthread_setspecific(key, strdup(message))
        free(previous)
    }

    static func clear() {
        guard let previous = pthread_getspecific(key) else { return }
        _ = pthread_setspecific(key, nil)
        free(previous)
    }

    static var current: UnsafePointer<CChar> {
        guard let pointer = pthread_getspecific(key) else { return UnsafePointer(empty) }
        return UnsafePointer(pointer.assumingMemoryBound(to: CChar.self))
    }
}

/// Runs one exported call: `GS_OK` and a cleared message, or the refusal's code and message.
@inline(__always)
func exported(_ body: () throws(CallError) -> Void) -> Int32 {
    do throws(CallError) {
        try checkCPU()  // before any sampling code: GS_UNSUPPORTED_CPU rather than SIGILL
        try body()
        LastError.clear()
        return Status.ok.rawValue
    } catch {
        LastError.set(error.message)
        return error.status.rawValue
    }
}

/// Runs a library call, turning its error into a `CallError`.
@inline(__always)
func library<T>(_ body: () throws(GumbelSoftmaxError) -> T) throws(CallError) -> T {
    do throws(GumbelSoftmaxError) {
        return try body()
    } catch {
        throw CallError(error)
    }
}
