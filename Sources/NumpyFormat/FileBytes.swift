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
    static func withContents<R>(
        of path: String, _ body: (UnsafeRawBufferPointer) throws(NpyError) -> R
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
            return try body(UnsafeRawBufferPointer(start: address, count: size))
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
            Result { () throws(NpyError) -> R in try body(bytes) }
        }
        return try result.get()
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
