import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// The crash, memory, signal and file-safety cases of issue 12, and streaming invariants: each run
/// of the executable is checked against the library called in-process.
@Suite struct HostileInputTests {
    /// A .npy file whose header says `shape` (float32), followed by `data`.
    static func npy(shape: String, descr: String = "<f4", data: [UInt8] = []) -> [UInt8] {
        var text = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        return NpyHeader.magic + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }

    /// Runs `script` with `/bin/sh -c` in the scratch folder, `$GUMBEL` naming the executable.
    ///
    /// Scripts that limit the address space (`ulimit -v`) run OpenBLAS with one thread
    /// (OPENBLAS_NUM_THREADS=1): OpenBLAS maps a 128 MiB buffer per worker thread when it loads,
    /// and spins when that fails, so on a many-core host the limit would measure OpenBLAS instead.
    static func shell(_ script: String, in scratch: Scratch) throws -> RunResult {
        try GumbelTool.run(
            ["-c", "GUMBEL='\(GumbelTool.executable.path)'; " + script], in: scratch.url,
            executable: URL(fileURLWithPath: "/bin/sh"))
    }

    // MARK: Crashes (issue 12, items 1 to 3)

    /// `(2^63 - 1, 0)` and `(0, 2^62)` are refused as NumPy refuses them; `(2^40, 0)` has no
    /// categories. None may allocate from the row count.
    @Test(arguments: [
        ("(9223372036854775807, 0)", ".npy shape (9223372036854775807, 0) is invalid"),
        ("(0, 4611686018427387904)", ".npy shape (0, 4611686018427387904) is invalid"),
        ("(1099511627776, 0)", "the number of categories K is 0"),
        ("(2305843009213693951, 0)", "the number of categories K is 0"),
    ])
    func hugeShapesAreRefused(shape: String, message: String) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", Self.npy(shape: shape))
        for command in [["categorical"], ["sample", "-t", "1"], ["topk", "--k", "1"]] {
            let result = try scratch.run(command + ["-i", "in.npy", "-o", "out.npy", "--seed", "0"])
            #expect(result.status == 1, "\(command) \(result.standardError)")
            #expect(result.standardError.hasPrefix("error: in.npy: ") || result.standardError.hasPrefix("error: "))
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(try scratch.entries() == ["in.npy"])
        }
    }

    /// The library's array form validates the shape before it sizes the result from `rows`.
    @Test func categoricalValidatesTheShapeBeforeAllocating() {
        #expect(throws: GumbelSoftmaxError.noCategories) {
            try GumbelSoftmax.categorical(logits: [], rows: 1 << 40, columns: 0, seed: 1)
        }
        #expect(throws: GumbelSoftmaxError.noCategories) {
            try GumbelSoftmax.categorical(logits: [], rows: Int.max, columns: 0, seed: 1)
        }
        #expect(throws: GumbelSoftmaxError.logitCountMismatch(expected: 1 << 40, actual: 0)) {
            try GumbelSoftmax.categorical(logits: [], rows: 1 << 40, columns: 1, seed: 1)
        }
    }

    /// Data that ends early while it is read (here a pipe whose writer stops) is refused with the
    /// byte counts, never a signal: input is read with read(2), not mapped.
    @Test func dataEndingWhileReadIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 10, columns: 4)
        let file = NpyWriter.encode(logits, shape: [10, 4])
        try scratch.write("whole.npy", file)
        try scratch.write("part.bin", Array(file.dropLast(20)))
        let result = try Self.shell(
            "mkfifo in.npy && (cat part.bin > in.npy &) && \"$GUMBEL\" sample -i in.npy -o out.npy -t 1 --seed 0"
                + " --block-rows 3; status=$?; rm -f in.npy part.bin whole.npy; exit $status", in: scratch)
        #expect(result.status == 1, "\(result.standardError)")
        #expect(
            result.standardError.contains("data is truncated: the shape needs 160 bytes but the file has 140"),
            "\(result.standardError)")
        #expect(try scratch.entries().isEmpty)
    }

    /// A row too large for the memory limit: `error: out of memory ...`, exit 1, no trap. The file
    /// is sparse (no disk used); the limit leaves room for OpenBLAS's own 128 MiB buffer.
    @Test func outOfMemoryIsAnError() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let count = 150_000_000
        let header = NpyHeader.encode(dtype: .float32, shape: [count])
        try scratch.write("in.npy", header)
        let handle = try FileHandle(forWritingTo: scratch.url.appendingPathComponent("in.npy"))
        try handle.truncate(atOffset: UInt64(header.count + 4 * count))
        try handle.close()
        let result = try Self.shell(
            "ulimit -v 900000 && OPENBLAS_NUM_THREADS=1 exec \"$GUMBEL\" sample -i in.npy -o out.npy -t 1 --seed 0 --threads 1",
            in: scratch)
        try scratch.expectRefused(result, status: 1) { $0.hasPrefix("error: out of memory") }
    }

    /// NUL bytes are not CSV: `/dev/zero` on standard input is refused at once, not read whole.
    @Test func nulBytesOnStandardInputAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try Self.shell(
            "ulimit -v 900000 && OPENBLAS_NUM_THREADS=1 exec \"$GUMBEL\" categorical -i - -o - --seed 0 < /dev/zero",
            in: scratch
        )
        #expect(result.status == 1)
        #expect(
            result.standardError == "error: standard input: line 1 contains a NUL byte: the input is not CSV text\n")
        let late = try scratch.run(["categorical", "-i", "-", "-o", "-", "--seed", "0"], input: "1,2\n3,4\n5\u{0},6\n")
        #expect(late.standardError.contains("line 3 contains a NUL byte"), "\(late.standardError)")
    }

    /// A file larger than the memory limit streams through: 512 MiB of logits (a sparse file of
    /// zeros, so no disk is used) under a 320 MB address-space limit gives the library's answer.
    @Test func inputLargerThanTheMemoryLimitStreams() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let rows = 131_072
        let columns = 1024
        let header = NpyHeader.encode(dtype: .float32, shape: [rows, columns])
        try scratch.write("in.npy", header)
        let handle = try FileHandle(forWritingTo: scratch.url.appendingPathComponent("in.npy"))
        try handle.truncate(atOffset: UInt64(header.count + 4 * rows * columns))
        try handle.close()
        let result = try Self.shell(
            "ulimit -v 320000 && OPENBLAS_NUM_THREADS=1 exec \"$GUMBEL\" categorical -i in.npy -o out.npy --seed 5",
            in: scratch)
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try GumbelSoftmax.categorical(
            logits: [Float](repeating: 0, count: rows * columns), rows: rows, columns: columns, seed: 5)
        #expect(try readNpy(Int64.self, scratch.read("out.npy")).values == expected.map(Int64.init))
    }

    // MARK: Streaming gives the same bytes for any block size and thread count

    @Test(arguments: [
        ["sample", "-t", "0.7"], ["sample", "-t", "2", "--log"], ["categorical"], ["topk", "--k", "3"],
    ])
    func blockSizesAndThreadsGiveTheSameBytes(command: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let rows = 203
        let columns = 17
        var logits = testLogits(rows: rows, columns: columns, seed: 8)
        logits[5 * columns + 2] = -.infinity
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [rows, columns]))
        try scratch.write("in64.npy", NpyWriter.encode(logits.map(Double.init), shape: [rows, columns]))
        let csv =
            (0..<rows).map { row in
                logits[(row * columns)..<((row + 1) * columns)].map { "\($0)" }.joined(separator: ",")
            }.joined(separator: "\n") + "\n"
        try scratch.write("in.csv", csv)
        let options = ["--seed", "77", "--stream", "2", "--position", "123456789"]
        var reference: [UInt8]?
        var referenceCSV: String?
        for (blockRows, threads) in [(nil, "1"), ("1", "2"), ("7", "1"), ("64", "2"), ("1000", "3")]
            as [(String?, String)]
        {
            let block = blockRows.map { ["--block-rows", $0] } ?? []
            for input in ["in.npy", "in64.npy", "in.csv"] {
                // float64 input of float32 values: the same bytes when computed in float32.
                let dtype = input == "in64.npy" ? ["--dtype", "float32"] : []
                let run = try scratch.run(
                    command + ["-i", input, "-o", "out.npy", "--threads", threads] + options + block + dtype)
                #expect(run.status == 0, "\(run.standardError)")
                let bytes = try scratch.read("out.npy")
                if reference == nil { reference = bytes }
                #expect(bytes == reference, "\(input) block \(blockRows ?? "default") threads \(threads)")
            }
            let piped = try scratch.run(
                command + ["-i", "-", "-o", "-", "--threads", threads] + options + block, input: csv)
            #expect(piped.status == 0, "\(piped.standardError)")
            if referenceCSV == nil { referenceCSV = piped.standardOutput }
            #expect(piped.standardOutput == referenceCSV)
        }
        // The whole-file answer of the library, same build.
        var generator = PhiloxGenerator(seed: 77, stream: 2, position: 123_456_789)
        switch command[0] {
        case "sample":
            let output: GumbelSoftmax.Output = command.contains("--log") ? .log : .soft
            let expected = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: Float(command[2])!, output: output,
                using: &generator)
            #expect(try readNpy(Float.self, reference ?? []).values == expected)
        case "categorical":
            let expected = try GumbelSoftmax.categorical(
                logits: logits, rows: rows, columns: columns, using: &generator)
            #expect(try readNpy(Int64.self, reference ?? []).values == expected.map(Int64.init))
            #expect(referenceCSV == expected.map { "\($0)\n" }.joined())
        default:
            let expected = try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: 3, using: &generator)
            #expect(try readNpy(Int64.self, reference ?? []).values == expected.map(Int64.init))
            #expect(try readNpy(Int64.self, reference ?? []).shape == [rows, 3])
        }
    }

    /// A refused row deep in a streamed input is named by its row in the whole input.
    @Test func refusalsNameRowsOfTheWholeInput() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var logits = testLogits(rows: 50, columns: 3)
        logits[41 * 3 + 1] = .nan
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [50, 3]))
        for block in ["1", "4", "100"] {
            let result = try scratch.run(
                ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--seed", "0", "--block-rows", block])
            try scratch.expectRefused(result, status: 1) { $0.contains("logit at row 41, column 1 is NaN") }
        }
    }

    // MARK: Output files (issue 12, items 4 to 6)

    /// SIGINT, SIGTERM, SIGHUP and SIGPIPE during a write remove the temporary file and exit with
    /// 128 + the signal; an existing output is untouched.
    @Test(arguments: [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129), (SIGPIPE, 141)] as [(Int32, Int32)])
    func signalsRemoveTheTemporaryFile(signal: Int32, status: Int32) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("out.npy", "previous")
        let (process, input) = try GumbelTool.start(
            ["sample", "-i", "-", "-o", "out.npy", "-t", "1", "--seed", "0", "--block-rows", "1"], in: scratch.url)
        // One row is sampled and written; the tool then waits for more input with its temporary open.
        input.fileHandleForWriting.write(Data("1,2,3\n".utf8))
        var temporary: [String] = []
        for _ in 0..<500 where temporary.isEmpty {
            temporary = try scratch.entries().filter { $0.hasPrefix(".gumbel-") }
            if temporary.isEmpty { usleep(10_000) }
        }
        #expect(temporary.count == 1)
        kill(process.processIdentifier, signal)
        // The tool must exit by itself; if it does not within 20 s, end it so the suite goes on.
        for _ in 0..<2000 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == status)
        #expect(try scratch.entries() == ["out.npy"])
        #expect(try scratch.read("out.npy") == Array("previous".utf8))
    }

    /// A replaced file keeps its permission bits; a new one gets 0666 less the umask.
    @Test func replacedOutputKeepsItsMode() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode([1, 2, 3] as [Float], shape: [3]))
        for (name, mode) in [("private.npy", 0o600), ("shared.csv", 0o664), ("odd.npy", 0o640)] {
            try scratch.write(name, "old")
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: scratch.path(name))
            let result = try scratch.run(["sample", "-i", "in.npy", "-o", name, "-t", "1", "--seed", "0"])
            #expect(result.status == 0, "\(result.standardError)")
            let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path(name))
            #expect(attributes[.posixPermissions] as? Int == mode, "\(name)")
            #expect(try scratch.read(name) != Array("old".utf8))
        }
        let result = try Self.shell(
            "umask 027 && exec \"$GUMBEL\" categorical -i in.npy -o new.npy --seed 0", in: scratch)
        #expect(result.status == 0, "\(result.standardError)")
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path("new.npy"))
        #expect(attributes[.posixPermissions] as? Int == 0o640)
    }

    /// Output names up to the 255-byte limit work: the temporary name does not grow with them.
    @Test func longOutputNamesWork() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode([1, 2, 3] as [Float], shape: [1, 3]))
        for length in [244, 255] {
            let name = String(repeating: "n", count: length - 4) + ".npy"
            let result = try scratch.run(["categorical", "-i", "in.npy", "-o", name, "--seed", "0"])
            #expect(result.status == 0, "\(length): \(result.standardError)")
            #expect(scratch.exists(name))
        }
    }

    /// A write that fails (here past a file-size limit, as on a full disk) names the output, not
    /// the temporary file, and leaves nothing behind.
    @Test func failedWriteNamesTheOutput() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode(testLogits(rows: 64, columns: 64), shape: [64, 64]))
        try scratch.write("out.npy", "previous")
        let result = try Self.shell(
            "ulimit -f 8 && exec \"$GUMBEL\" sample -i in.npy -o out.npy -t 1 --seed 0 --block-rows 8", in: scratch)
        #expect(result.status == 1)
        #expect(
            result.standardError.hasPrefix("error: cannot write 'out.npy': File too large"), "\(result.standardError)")
        #expect(try scratch.entries() == ["in.npy", "out.npy"])
        #expect(try scratch.read("out.npy") == Array("previous".utf8))
    }

    // MARK: Messages (issue 12, item 8)

    /// CSV messages show control bytes escaped, never raw.
    @Test func csvMessagesEscapeControlBytes() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(
            ["categorical", "-i", "-", "-o", "-", "--seed", "0"], input: "1,2\n3,4\u{1B}[2J\r5\r\n")
        #expect(result.status == 1)
        #expect(
            result.standardError == "error: standard input: line 2, value 2: '4\\x1b[2J\\r5' is not a number\n",
            "\(result.standardError)")
    }

    /// A CSV input into a .npy output: the header, written before the row count is known, is
    /// rewritten with it.
    @Test func csvIntoNpyHasTheFinalShape() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 37, columns: 5, seed: 3)
        let csv = (0..<37).map { row in logits[(row * 5)..<(row * 5 + 5)].map { "\($0)" }.joined(separator: ",") }
        try scratch.write("in.csv", csv.joined(separator: "\n"))
        let result = try scratch.run(
            ["topk", "-i", "in.csv", "-o", "out.npy", "--k", "2", "--seed", "0", "--block-rows", "4"])
        #expect(result.status == 0, "\(result.standardError)")
        let bytes = try scratch.read("out.npy")
        let array = try readNpy(Int64.self, bytes)
        #expect(array.shape == [37, 2])
        #expect(Array(bytes.prefix(128)) == NpyHeader.encode(dtype: .int64, shape: [37, 2]))
        let expected = try GumbelSoftmax.topK(logits: logits, rows: 37, columns: 5, k: 2, seed: 0)
        #expect(array.values == expected.map(Int64.init))
    }
}
