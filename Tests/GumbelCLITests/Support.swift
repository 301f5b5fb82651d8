import Foundation
import NumpyFormat
import Testing

/// What one run of the `gumbel` executable did.
struct RunResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
    var outputBytes: [UInt8]
}

/// Runs the built `gumbel` executable, which SwiftPM puts next to the test binary.
enum GumbelTool {
    /// The products folder: the directory of the running test binary (`/proc/self/exe`).
    static let executable: URL = {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return binary.deletingLastPathComponent().appendingPathComponent("gumbel")
    }()

    /// Runs `gumbel arguments...` with `input` on standard input; captures both output streams.
    static func run(
        _ arguments: [String], input: [UInt8] = [], in directory: URL, executable: URL = GumbelTool.executable
    ) throws -> RunResult {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ToolMissing(path: executable.path)
        }
        let id = UUID().uuidString
        let stdinURL = directory.appendingPathComponent(".stdin-\(id)")
        let stdoutURL = directory.appendingPathComponent(".stdout-\(id)")
        let stderrURL = directory.appendingPathComponent(".stderr-\(id)")
        try Data(input).write(to: stdinURL)
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        defer {
            for url in [stdinURL, stdoutURL, stderrURL] { try? FileManager.default.removeItem(at: url) }
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = try FileHandle(forReadingFrom: stdinURL)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        process.waitUntilExit()
        let stdout = try Data(contentsOf: stdoutURL)
        let stderr = try Data(contentsOf: stderrURL)
        return RunResult(
            status: process.terminationStatus, standardOutput: String(decoding: stdout, as: UTF8.self),
            standardError: String(decoding: stderr, as: UTF8.self), outputBytes: [UInt8](stdout))
    }

    /// Starts `gumbel arguments...` in `directory` with a pipe on standard input and standard error
    /// discarded, for a test that feeds the input and looks at or signals the running process.
    static func start(_ arguments: [String], in directory: URL) throws -> (process: Process, input: Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, input)
    }

    struct ToolMissing: Error, CustomStringConvertible {
        var path: String
        var description: String { "the gumbel executable is not at \(path): build it first (swift build)" }
    }
}

/// A fresh temporary folder, removed when the value is released by `cleanUp()`.
struct Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gumbel-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func write(_ name: String, _ text: String) throws {
        try write(name, Array(text.utf8))
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// The folder's entries, hidden ones (temporary files) included, but not the harness's own.
    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".std") }.sorted()
    }

    func run(_ arguments: [String], input: String = "") throws -> RunResult {
        try GumbelTool.run(arguments, input: Array(input.utf8), in: url)
    }

    /// Expects `result` to be a refusal that wrote nothing: exit status `status`, a standard error
    /// that `says` accepts (shown on failure), and nothing in the folder but `in.npy`.
    func expectRefused(
        _ result: RunResult, status: Int32, sourceLocation: SourceLocation = #_sourceLocation,
        says: (String) -> Bool
    ) throws {
        #expect(result.status == status, "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(says(result.standardError), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(try entries() == ["in.npy"], sourceLocation: sourceLocation)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Parses CSV text written by the tool.
func parseCSV(_ text: String) -> [[String]] {
    text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

/// Reads a `.npy` file the tool wrote.
func readNpy<Element: NpyElement>(_ type: Element.Type, _ bytes: [UInt8]) throws -> NpyArray<Element> {
    try bytes.withUnsafeBytes { try NpyReader.read(type, from: $0) }
}

/// Deterministic test logits in about [-3, 3].
func testLogits(rows: Int, columns: Int, seed: UInt64 = 1) -> [Float] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<(rows * columns)).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Float(Int(state >> 40) % 6000 - 3000) / 1000
    }
}
