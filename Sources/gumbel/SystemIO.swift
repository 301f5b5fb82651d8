#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

// The only file of the tool that makes system calls (reading, writing, atomic replacement).

/// A refused input or a failed file operation: the tool prints `error: <message>` and exits with 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// A failure for the system call that just set `errno`.
    static func system(_ action: String, _ path: String, code: Int32 = errno) -> CommandFailure {
        CommandFailure("cannot \(action) '\(path)': \(describe(code))")
    }

    static func describe(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        return String(cString: message)
    }
}

enum SystemIO {
    /// Writes `text` and a newline to standard error.
    static func printError(_ text: String) {
        var line = text
        line += "\n"
        line.withUTF8 { bytes in try? writeAll(descriptor: 2, bytes: UnsafeRawBufferPointer(bytes), name: "stderr") }
    }

    /// Writes all of `bytes`, retrying short writes and `EINTR`. The corresponding C function is `write`.
    static func writeAll(descriptor: Int32, bytes: UnsafeRawBufferPointer, name: String) throws(CommandFailure) {
        guard var address = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = write(descriptor, address, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("write", name)
            }
            address += written
            remaining -= written
        }
    }

    /// Reads a whole file (or standard input for `-`) into memory, followed by one NUL byte.
    static func readAllNulTerminated(path: String) throws(CommandFailure) -> [UInt8] {
        let descriptor: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system("open", path) }
        defer { if descriptor != 0 { close(descriptor) } }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            throw .system("read", path, code: EISDIR)
        }
        var buffer = [UInt8]()
        if (status.st_mode & S_IFMT) == S_IFREG { buffer.reserveCapacity(Int(status.st_size) + 1) }
        let chunkSize = 1 << 20
        var count = 0
        while true {
            if buffer.count < count + chunkSize { buffer += repeatElement(0, count: count + chunkSize - buffer.count) }
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + count, chunkSize) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .system("read", path == "-" ? "standard input" : path)
            }
            if got == 0 { break }
            count += got
        }
        buffer.removeSubrange(count...)
        buffer.append(0)
        return buffer
    }
}

/// Buffered output to a file descriptor.
final class ByteSink {
    let descriptor: Int32
    let name: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
        buffer.reserveCapacity(capacity)
    }

    func append(_ text: String) throws(CommandFailure) {
        buffer += text.utf8
        if buffer.count >= capacity { try flush() }
    }

    func append(_ byte: UInt8) throws(CommandFailure) {
        buffer.append(byte)
        if buffer.count >= capacity { try flush() }
    }

    /// Writes `bytes` without copying them into the buffer (after what is buffered).
    func append(raw bytes: UnsafeRawBufferPointer) throws(CommandFailure) {
        try flush()
        try SystemIO.writeAll(descriptor: descriptor, bytes: bytes, name: name)
    }

    func flush() throws(CommandFailure) {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        let result = pending.withUnsafeBytes { bytes in
            Result { () throws(CommandFailure) in
                try SystemIO.writeAll(descriptor: descriptor, bytes: bytes, name: name)
            }
        }
        try result.get()
    }
}

/// Replaces a file atomically: the new contents go to a temporary file in the same folder, which
/// is flushed to disk (`fsync`) and renamed over the target (`rename(2)`). On any error the
/// temporary file is removed and an existing target is left as it was.
enum AtomicFile {
    static func replace(path: String, _ body: (ByteSink) throws -> Void) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw CommandFailure("output path '\(path)' names a folder, not a file") }
        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw CommandFailure.system("create a temporary file in", directory) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var isOpen = true
        var committed = false
        defer {
            if isOpen { close(descriptor) }
            if !committed { unlink(temporary) }
        }
        // mkstemp creates the file with mode 0600; give it the mode a new file would get.
        let mask = umask(0o022)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
        let sink = ByteSink(descriptor: descriptor, name: temporary)
        try body(sink)
        try sink.flush()
        guard fsync(descriptor) == 0 else { throw CommandFailure.system("flush", temporary) }
        isOpen = false
        guard close(descriptor) == 0 else { throw CommandFailure.system("close", temporary) }
        guard rename(temporary, path) == 0 else { throw CommandFailure.system("rename the temporary file to", path) }
        committed = true
        // Make the rename itself durable; best effort.
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}

/// The number of online processors, the library's default thread count.
var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
