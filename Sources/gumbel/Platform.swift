import SystemPackage

#if canImport(Glibc)
    @_exported import Glibc
#elseif canImport(Musl)
    @_exported import Musl
#elseif canImport(Darwin)
    @_exported import Darwin
#endif

// The system calls swift-system 1.8.1 does not wrap, one wrapper each, and the tool's signal
// handling. Every other call (open, read, write, pwrite, close, fstat) goes through swift-system's
// `FileDescriptor`, which retries EINTR; the wrappers here retry it in `retryingInterrupts`.
// Missing from swift-system: fsync, rename, unlink, fchmod, fchown, sysconf, sigaction, sigprocmask.

enum Platform {
    /// Calls `body` until it does not fail with `EINTR`; a result of -1 becomes the `Errno` it set.
    private static func retryingInterrupts(_ body: () -> Int32) throws(Errno) {
        while true {
            if body() != -1 { return }
            let code = Errno(rawValue: errno)
            if code != .interrupted { throw code }
        }
    }

    /// Flushes a file's data and metadata to the device. The corresponding C function is `fsync`.
    static func synchronize(_ descriptor: FileDescriptor) throws(Errno) {
        try retryingInterrupts { fsync(descriptor.rawValue) }
    }

    /// Renames `source` to `target`, replacing `target` atomically. The corresponding C function is `rename`.
    static func rename(_ source: FilePath, to target: FilePath) throws(Errno) {
        try retryingInterrupts {
            source.withPlatformString { from in target.withPlatformString { to in renameEntry(from, to) } }
        }
    }

    /// Removes a directory entry. The corresponding C function is `unlink`.
    static func unlink(_ path: FilePath) throws(Errno) {
        try retryingInterrupts { path.withPlatformString { unlinkEntry($0) } }
    }

    /// Sets a file's permission bits. The corresponding C function is `fchmod`.
    static func setPermissions(_ descriptor: FileDescriptor, _ mode: mode_t) throws(Errno) {
        try retryingInterrupts { fchmod(descriptor.rawValue, mode) }
    }

    /// Sets a file's owner and group. The corresponding C function is `fchown`.
    static func setOwner(_ descriptor: FileDescriptor, user: uid_t, group: gid_t) throws(Errno) {
        try retryingInterrupts { fchown(descriptor.rawValue, user, group) }
    }

    /// The number of online processors, the library's default thread count. The corresponding C
    /// function is `sysconf`.
    static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    // MARK: Termination signals

    /// The signals after which the tool removes its temporary file and exits with 128 + the signal.
    static let terminationSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGPIPE]

    /// Installs the handler for SIGINT, SIGTERM, SIGHUP and SIGPIPE: it removes the temporary file
    /// named by `protectTemporary` (if any) and exits with status 128 + the signal (130, 143, 129,
    /// 141). A signal the tool was started with ignored (`nohup` ignores SIGHUP, a shell's
    /// `trap '' PIPE` SIGPIPE) stays ignored: a write to a closed pipe then fails with EPIPE and
    /// the tool reports it. SIGXFSZ is ignored.
    /// The corresponding C function is `sigaction`.
    static func installTerminationHandlers() {
        pendingTemporary = nil  // initialise the global before any handler can read it
        var action = sigaction()
        #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = terminationHandler
        #else
            action.sa_handler = terminationHandler
        #endif
        sigemptyset(&action.sa_mask)
        for signal in terminationSignals { sigaddset(&action.sa_mask, signal) }
        action.sa_flags = 0
        for signal in terminationSignals where !isIgnored(signal) { sigaction(signal, &action, nil) }
        // A parent may have started the tool with these signals blocked (the mask is inherited).
        // Only this thread takes them: every thread the library starts blocks all signals.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in terminationSignals { sigaddset(&handled, signal) }
        sigprocmask(SIG_UNBLOCK, &handled, nil)
        // Past a file-size limit (`ulimit -f`), write(2) fails with EFBIG and the message names the
        // output, instead of SIGXFSZ killing the tool with its temporary file left behind.
        var ignore = sigaction()
        #if canImport(Glibc)
            ignore.__sigaction_handler.sa_handler = SIG_IGN
        #else
            ignore.sa_handler = SIG_IGN
        #endif
        sigemptyset(&ignore.sa_mask)
        sigaction(SIGXFSZ, &ignore, nil)
    }

    /// Whether `signal` is ignored (`SIG_IGN`), as the process that started the tool may have left
    /// it. The corresponding C function is `sigaction`.
    private static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        #if canImport(Glibc)
            let handler = current.__sigaction_handler.sa_handler
        #else
            let handler = current.sa_handler
        #endif
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// Makes the termination handler remove `path` (nil: remove nothing), with the signals
    /// blocked while the name changes. The corresponding C function is `sigprocmask`.
    static func protectTemporary(_ path: FilePath?) {
        let copy = path.map { path in path.withPlatformString { strdup($0) } } ?? nil
        let old = withTerminationSignalsBlocked { () -> UnsafeMutablePointer<CChar>? in
            let old = pendingTemporary
            pendingTemporary = copy
            return old
        }
        free(old)
    }

    /// Runs `body` with the termination signals held back until it returns. The corresponding C
    /// function is `sigprocmask`.
    static func withTerminationSignalsBlocked<R>(_ body: () -> R) -> R {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for signal in terminationSignals { sigaddset(&blocked, signal) }
        sigprocmask(SIG_BLOCK, &blocked, &previous)
        defer { sigprocmask(SIG_SETMASK, &previous, nil) }
        return body()
    }
}

/// The temporary file the termination handler removes; written only with the signals blocked.
nonisolated(unsafe) private var pendingTemporary: UnsafeMutablePointer<CChar>?

/// Removes the pending temporary file and exits with 128 + `signal`; `unlink` and `_exit` are
/// async-signal-safe.
private func terminationHandler(_ signal: Int32) {
    if let path = pendingTemporary { _ = unlink(path) }
    _exit(128 + signal)
}

// The C functions under names that `Platform`'s own members do not shadow.
private func renameEntry(_ source: UnsafePointer<CChar>, _ target: UnsafePointer<CChar>) -> Int32 {
    rename(source, target)
}

private func unlinkEntry(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }
