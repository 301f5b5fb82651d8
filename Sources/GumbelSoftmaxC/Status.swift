import CGumbelSoftmaxABI
import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// How a call of the C ABI (include/gumbel_softmax.h) reports: a `gs_status` (the header's enum, as
// Swift imports it) and the thread-local last-error message. Nothing here is Swift API: the target
// exists to be linked as libgumbelsoftmax.so.

/// A refused call: the code returned to C and the message `gs_last_error_message` gives.
struct CallError: Error {
    var status: gs_status
    var message: String

    init(_ status: gs_status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A refusal of the library, said in the header's terms: a count by its C parameter
    /// (`result_count`, not the Swift API's `output`), a shape by C's types. `output` is the C
    /// parameter of the buffer the library calls `output`: `result` when sampling, `output` for a
    /// gradient.
    init(_ error: GumbelSoftmaxError, output: String = "result") {
        let message: String
        switch error {
        case .logitCountMismatch(let expected, let actual):
            message = "logits_count is \(actual) but the shape needs rows*columns = \(expected)"
        case .bufferSizeMismatch(let name, let expected, let actual):
            let parameter = name == "output" ? output : Self.parameters[name] ?? name
            message = "\(parameter)_count is \(actual) but the shape needs \(expected)"
        case .temperatureCountMismatch(let expected, let actual):
            message = "temperatures_count is \(actual) but there are \(expected) rows"
        case .invalidShape(let rows, let columns):
            message =
                "shape [\(rows), \(columns)] is invalid: rows and columns must be >= 0 and rows*columns must fit in "
                + "int64_t"
        default:
            message = error.description
        }
        self.init(Self.status(of: error), message)
    }

    /// The C parameter of each buffer the library names in `bufferSizeMismatch`.
    static let parameters = [
        "index output": "indices", "upstream gradient": "upstream", "logits gradient": "logits_gradient",
        "temperature gradient": "temperature_gradient", "log-density output": "result", "row streams": "streams",
    ]

    // An `if case` chain rather than a `switch`, so that a case added to the library later maps to
    // GS_INVALID_ARGUMENT (with its own message) instead of breaking this target's build.
    static func status(of error: GumbelSoftmaxError) -> gs_status {
        if case .invalidTemperature = error { return GS_INVALID_TEMPERATURE }
        if case .invalidRowTemperature = error { return GS_INVALID_TEMPERATURE }
        if case .nanLogit = error { return GS_NAN_LOGIT }
        if case .infiniteLogit = error { return GS_INFINITE_LOGIT }
        if case .allMaskedRow = error { return GS_ALL_MASKED_ROW }
        if case .noCategories = error { return GS_NO_CATEGORIES }
        if case .invalidShape = error { return GS_INVALID_SHAPE }
        if case .logitCountMismatch = error { return GS_SIZE_MISMATCH }
        if case .bufferSizeMismatch = error { return GS_SIZE_MISMATCH }
        if case .temperatureCountMismatch = error { return GS_SIZE_MISMATCH }
        if case .invalidTopK = error { return GS_INVALID_TOP_K }
        if case .invalidThreadCount = error { return GS_INVALID_THREAD_COUNT }
        if case .insufficientCategories = error { return GS_INSUFFICIENT_CATEGORIES }
        if case .invalidPoint = error { return GS_INVALID_POINT }
        return GS_INVALID_ARGUMENT
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

/// Runs the body of one exported call: `GS_OK` and a cleared message, or the refusal's code and
/// message. The CPU is checked before, in C (Sources/CGumbelSoftmaxABI/guards.c).
@inline(__always)
func runCall(_ body: () throws(CallError) -> Void) -> gs_status {
    do throws(CallError) {
        try body()
        LastError.clear()
        return GS_OK
    } catch {
        LastError.set(error.message)
        return error.status
    }
}

/// Calls the library, turning its error into a `CallError` (`output`: see `CallError.init`).
@inline(__always)
func callLibrary<T>(
    output: String = "result", _ body: () throws(GumbelSoftmaxError) -> T
) throws(CallError) -> T {
    do throws(GumbelSoftmaxError) {
        return try body()
    } catch {
        throw CallError(error, output: output)
    }
}
