#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// The only file of this module that makes system calls.

/// The bytes of a file, memory-mapped when possible.
enum FileBytes {
    /// Calls `body` with the whole contents of the file at `path`.
    ///
    /// A regular file is mapped read-only (the corresponding C function is `mmap`); anything else
    /// (a pipe, a character device, an empty file) is read into one buffer.
    /// `body` also learns whether the bytes are a memory mapping (which `releaseMapped` may drop).
    static func withContents<R>(
        of path: String, _ body: (UnsafeRawBufferPointer, _ isMapped: Bool) throws(NpyError) -> R
    ) throws(NpyError) -> R {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError("open", path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError("stat", path) }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw .system(operation: "read", path: path, code: EISDIR, message: describe(EISDIR))
        }
        let size = Int(status.st_size)
        if (status.st_mode & S_IFMT) == S_IFREG && size > 0 {
            guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED
            else { throw systemError("map", path) }
            defer { munmap(address, size) }
            _ = madvise(address, size, MADV_SEQUENTIAL)
            return try body(UnsafeRawBufferPointer(start: address, count: size), true)
        }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw systemError("read", path)
            }
            if count == 0 { break }
            buffer += chunk[0..<count]
        }
        let result = buffer.withUnsafeBytes { bytes in
            Result { () throws(NpyError) -> R in try body(bytes, false) }
        }
        return try result.get()
    }

    /// Drops the whole pages inside `bytes`, part of a read-only private mapping, from memory: they
    /// are read from the file again if touched. The corresponding C function is `madvise`.
    static func releaseMapped(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = UInt(max(4096, sysconf(Int32(_SC_PAGESIZE))))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard end > start, let address = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(address, Int(end - start), MADV_DONTNEED)
    }

    private static func systemError(_ operation: String, _ path: String) -> NpyError {
        let code = errno
        return .system(operation: operation, path: path, code: code, message: describe(code))
    }

    static func describe(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        return String(cString: message)
    }
}
