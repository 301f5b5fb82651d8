import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// Status codes and the thread-local last-error message of the C ABI (include/gumbel_softmax.h).
// Nothing here is Swift API: the target exists to be linked as libgumbelsoftmax.so.

/// `gs_status`: one code per family of `GumbelSoftmaxError` cases, plus the C-only refusals.
///
/// The raw values are the header's enum constants and never change.
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
    case outOfMemory = 15

    /// The enum constant's name in the header, e.g. `GS_NAN_LOGIT`: a static string.
    var name: StaticString {
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
        case .outOfMemory: return "GS_OUT_OF_MEMORY"
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

/// A static string as a C string (`StaticString` literals are NUL-terminated and live forever).
func cString(_ string: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The calling thread's last error message, kept in a `pthread` key so each thread sees its own.
///
/// A successful call clears it; `gs_last_error_message` then returns "". Nothing here traps:
/// if the key cannot be created (the process ran out of keys) or a message cannot be copied (out
/// of memory), calls still return their status and the message says why it is missing.
enum LastError {
    /// The key, or nil when `pthread_key_create` failed.
    static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { pointer in
            if let pointer, UInt(bitPattern: pointer) != 1 { free(pointer) }  // 1: the sentinel below
        }
        guard created == 0 else { return nil }
        return key
    }()

    /// What `gs_last_error_message` says when a message could not be stored.
    nonisolated(unsafe) private static let unavailable = cString(
        "the error message could not be stored (no thread-local key or out of memory); see the gs_status")

    static func set(_ message: String) {
        guard let key else { return }
        let previous = pthread_getspecific(key)
        // An unstored message is recorded as the key's sentinel value 1 (never a real pointer).
        let copy = UnsafeMutableRawPointer(strdup(message))
        guard pthread_setspecific(key, copy ?? sentinel) == 0 else {
            free(copy)
            return
        }
        if previous != sentinel { free(previous) }
    }

    static func clear() {
        guard let key, let previous = pthread_getspecific(key) else { return }
        guard pthread_setspecific(key, nil) == 0 else { return }
        if previous != sentinel { free(previous) }
    }

    /// `gs_last_error_message()`. Without a key no message can be kept, so it always says so.
    static var current: UnsafePointer<CChar> {
        guard let key else { return unavailable }
        guard let pointer = pthread_getspecific(key) else { return cString("") }
        if pointer == sentinel { return unavailable }
        return UnsafePointer(pointer.assumingMemoryBound(to: CChar.self))
    }

    nonisolated(unsafe) private static let sentinel = UnsafeMutableRawPointer(bitPattern: 1)!
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
