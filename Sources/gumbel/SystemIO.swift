import SystemPackage

// The tool's file input and output over swift-system's `FileDescriptor` (calls it lacks are in
// Platform.swift): buffered reading and writing, memory that reports exhaustion, atomic replacement.

/// A refused input or a failed file operation: the tool prints `error: <message>` and exits with 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    /// The system error behind the failure, if a system call failed.
    var errno: Errno?

    init(_ message: String, errno: Errno? = nil) {
        self.message = message
        self.errno = errno
    }

    var description: String { message }

    /// A failed system call: `cannot <action> '<name>': <strerror>`.
    static func system(_ action: String, _ name: String, _ errno: Errno) -> CommandFailure {
        CommandFailure("cannot \(action) '\(name)': \(errno)", errno: errno)
    }

    /// Memory ran out: `out of memory <what>`.
    static func outOfMemory(_ what: String) -> CommandFailure {
        CommandFailure("out of memory \(what)", errno: .noMemory)
    }
}

/// `count` elements of uninitialised memory, freed with the value; allocation failure is an error,
/// not a trap.
struct ScratchBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var buffer: UnsafeMutableBufferPointer<Element>

    /// - Throws: `CommandFailure.outOfMemory` naming `purpose` when `count` elements cannot be had.
    init(count: Int, for purpose: String) throws(CommandFailure) {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow, let raw = malloc(max(1, bytes)) else {
            throw .outOfMemory("for \(purpose) (\(count) elements of \(MemoryLayout<Element>.stride) bytes)")
        }
        buffer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Element.self, capacity: count), count: count)
    }

    /// Grows the buffer to at least `count` elements, keeping its contents.
    mutating func grow(to count: Int, for purpose: String) throws(CommandFailure) {
        guard count > buffer.count else { return }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow, let raw = realloc(buffer.baseAddress, bytes) else {
            throw .outOfMemory("for \(purpose) (\(count) elements of \(MemoryLayout<Element>.stride) bytes)")
        }
        buffer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Element.self, capacity: count), count: count)
    }

    deinit { free(buffer.baseAddress) }
}

/// Reads a file descriptor with `read(2)` (never a memory mapping, which a file truncated while it
/// is read would turn into SIGBUS).
struct InputFile: ~Copyable {
    let descriptor: FileDescriptor
    /// The name for messages: the path, or `standard input`.
    let name: String
    private let owned: Bool

    /// Opens `path` for reading; `-` is standard input.
    init(path: String) throws(CommandFailure) {
        if path == "-" {
            descriptor = .standardInput
            name = "standard input"
            owned = false
        } else {
            do {
                descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
            } catch {
                throw .system("open", path, error as? Errno ?? .ioError)
            }
            name = path
            owned = true
        }
    }

    /// Reads an open descriptor it does not own (the fuzzer's).
    init(descriptor: FileDescriptor, name: String) {
        self.descriptor = descriptor
        self.name = name
        owned = false
    }

    /// The file's size when it is a regular file (nil for a pipe, a terminal or a device).
    func regularFileSize() -> Int? {
        guard let status = try? descriptor.stat(), status.type == .regular else { return nil }
        return Int(status.size)
    }

    /// Reads until `buffer` is full or the input ends; returns the number of bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CommandFailure) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got: Int
            do {
                got = try descriptor.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            } catch {
                throw .system("read", name, error as? Errno ?? .ioError)
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    deinit { if owned { try? descriptor.close() } }
}

/// Buffered output to a file descriptor; messages name `name` (the output the user gave, never a
/// temporary file).
final class ByteSink {
    let descriptor: FileDescriptor
    let name: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20

    init(descriptor: FileDescriptor, name: String) {
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
        try write(bytes)
    }

    func flush() throws(CommandFailure) {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        let result = buffer.withUnsafeBytes { bytes in Result { () throws(CommandFailure) in try write(bytes) } }
        try result.get()
    }

    /// Writes `bytes` at `offset` from the start of the file, leaving the file position alone.
    func write(_ bytes: UnsafeRawBufferPointer, atOffset offset: Int64) throws(CommandFailure) {
        var done = 0
        while done < bytes.count {
            do {
                done += try descriptor.write(
                    toAbsoluteOffset: offset + Int64(done), UnsafeRawBufferPointer(rebasing: bytes[done...]))
            } catch {
                throw .system("write", name, error as? Errno ?? .ioError)
            }
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(CommandFailure) {
        do {
            _ = try descriptor.writeAll(bytes)
        } catch {
            throw .system("write", name, error as? Errno ?? .ioError)
        }
    }
}

/// Writes `text` and a newline to standard error.
func printError(_ text: String) {
    var line = text
    line += "\n"
    line.withUTF8 { bytes in _ = try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer(bytes)) }
}

/// Replaces a file atomically: the new contents go to a temporary file beside the target, which is
/// flushed to disk (`fsync`) and renamed over it (`rename(2)`).
///
/// On an error, and on SIGINT, SIGTERM, SIGHUP or SIGPIPE, the temporary file is removed and an existing
/// target is left as it was. A replaced target keeps its permission bits, owner and group (the
/// owner only where the process may set it). The temporary name is short (`.gumbel-` and eight
/// characters), so any legal target name works. Messages name the target, never the temporary.
enum AtomicFile {
    static func replace(path: String, _ body: (ByteSink) throws -> Void) throws {
        let target = FilePath(path)
        guard let name = target.lastComponent, name.kind == .regular, !path.hasSuffix("/") else {
            throw CommandFailure("output path '\(path)' names a folder, not a file")
        }
        var directory = target
        directory.removeLastComponent()
        if directory.isEmpty { directory = "." }
        let existing = try? target.stat()
        let (descriptor, temporary) = try createTemporary(in: directory)
        var committed = false
        var isOpen = true
        defer {
            if isOpen { try? descriptor.close() }
            if !committed {
                try? Platform.unlink(temporary)
                Platform.protectTemporary(nil)
            }
        }
        do {
            if let existing, existing.type == .regular {
                if existing.userID.rawValue != getuid() || existing.groupID.rawValue != getgid() {
                    try? Platform.setOwner(descriptor, user: existing.userID.rawValue, group: existing.groupID.rawValue)
                }
                try Platform.setPermissions(descriptor, existing.mode.permissions.rawValue)
            }
        } catch {
            throw CommandFailure.system("set the permissions of", path, error)
        }
        let sink = ByteSink(descriptor: descriptor, name: path)
        try body(sink)
        try sink.flush()
        do {
            try Platform.synchronize(descriptor)
        } catch {
            throw CommandFailure.system("write", path, error)
        }
        isOpen = false
        do {
            try descriptor.close()
        } catch {
            throw CommandFailure.system("write", path, error as? Errno ?? .ioError)
        }
        do {
            try Platform.rename(temporary, to: target)
        } catch {
            throw CommandFailure.system("replace", path, error)
        }
        committed = true
        Platform.protectTemporary(nil)
        // Make the rename itself durable; best effort.
        if let folder = try? FileDescriptor.open(directory, .readOnly, options: [.directory, .closeOnExec]) {
            try? Platform.synchronize(folder)
            try? folder.close()
        }
    }

    /// Creates `.gumbel-XXXXXXXX` (random letters) in `directory` with mode 0666 less the umask,
    /// registered with the termination handler before it exists.
    private static func createTemporary(in directory: FilePath) throws(CommandFailure) -> (FileDescriptor, FilePath) {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String((0..<8).map { _ in letters[Int(random.next(upperBound: UInt32(letters.count)))] })
            let temporary = directory.appending(".gumbel-" + suffix)
            // Created and registered with the signals blocked: the handler removes it or nothing.
            let created = Platform.withTerminationSignalsBlocked { () -> Result<FileDescriptor, Errno> in
                do {
                    let descriptor = try FileDescriptor.open(
                        temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                        permissions: [.ownerReadWrite, .groupReadWrite, .otherReadWrite])
                    Platform.protectTemporary(temporary)
                    return .success(descriptor)
                } catch {
                    return .failure(error as? Errno ?? .ioError)
                }
            }
            switch created {
            case .success(let descriptor): return (descriptor, temporary)
            case .failure(.fileExists): continue
            case .failure(let error): throw .system("create a temporary file in", directory.string, error)
            }
        }
        throw .system("create a temporary file in", directory.string, .fileExists)
    }
}
