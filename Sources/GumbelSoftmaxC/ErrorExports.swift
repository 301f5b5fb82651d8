// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI

#if canImport(Glibc)
    import Glibc
#endif

// The functions of include/gumbel_softmax.h that report on the calling thread's last call. The
// version, contract, tier and status names are constants that C answers itself
// (Sources/CGumbelSoftmaxABI/guards.c); so are these on a CPU that lacks the tier.

/// Returns the calling thread's last error message, or "" after a success. The C function is
/// `gs_last_error_message`.
@c @implementation
func gs_swift_last_error_message() -> UnsafePointer<CChar>? {
    LastError.current
}

/// Copies the calling thread's last error message into a caller's buffer; returns its length. The
/// C function is `gs_copy_last_error_message`.
@c @implementation
func gs_swift_copy_last_error_message(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
    let message = LastError.current
    let length = strlen(message)
    if let buffer, capacity > 0 {
        let n = min(length, capacity - 1)
        buffer.update(from: message, count: n)
        buffer[n] = 0
    }
    return length
}

/// `GS_OK` with the message cleared: C has checked the CPU before it calls this. The C function is
/// `gs_check_cpu`.
@c @implementation
func gs_swift_check_cpu() -> gs_status {
    runCall { () throws(CallError) in }
}
