import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// Memory limits, signals and streams of issue 21: every run under an address-space limit ends in
/// seconds, signals never leave a temporary file behind, and standard output ends on a whole row.
/// Each run that could hang is bounded by `timeout -s KILL` (a hang is exit status 137, a failure;
/// SIGKILL because a tool started with its signals blocked never sees timeout's SIGTERM).
@Suite struct LimitsAndSignalsTests {
    /// Runs `script` with `/bin/sh -c` in the scratch folder, `$GUMBEL` naming the executable.
    static func shell(_ script: String, in scratch: Scratch) throws -> RunResult {
        try GumbelTool.run(
            ["-c", "GUMBEL='\(GumbelTool.executable.path)'; " + script], in: scratch.url,
            executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// Under `ulimit -v` the tool ends within seconds: `--version` prints and exits 0 (OpenBLAS's
    /// threads, which would spin on their 128 MiB buffers, are never started), and a run gives
    /// the unlimited run's bytes or `error: out of memory` with nothing left behind.
    @Test func memoryLimitsNeverHang() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let version = try Self.shell("ulimit -v 153600 && exec timeout -s KILL 20 \"$GUMBEL\" --version", in: scratch)
        #expect(version.status == 0, "\(version.status) \(version.standardError)")
        #expect(version.standardOutput.hasPrefix("gumbel "))
        let (rows, columns) = (6000, 1000)
        try scratch.write("in.npy", NpyWriter.encode(testLogits(rows: rows, columns: columns), shape: [rows, columns]))
        for command in ["sample -t 1 --seed 0", "categorical --seed 0", "topk --k 2 --seed 0"] {
            let reference = try Self.shell("exec \"$GUMBEL\" \(command) -i in.npy -o reference.npy", in: scratch)
            #expect(reference.status == 0, "\(reference.standardError)")
            for limit in [100_000, 128_000, 153_600, 204_800] {
                let result = try Self.shell(
                    "ulimit -v \(limit) && exec timeout -s KILL 30 \"$GUMBEL\" \(command) -i in.npy -o out.npy",
                    in: scratch)
                let what = "\(command) under ulimit -v \(limit)"
                if result.status == 0 {
                    #expect(try scratch.read("out.npy") == scratch.read("reference.npy"), "\(what)")
                } else {
                    #expect(result.status == 1, "\(what): status \(result.status) (137: no end within 30 s)")
                    #expect(result.standardError.hasPrefix("error: out of memory"), "\(what): \(result.standardError)")
                }
                #expect(try scratch.entries().filter { $0.hasPrefix(".gumbel-") }.isEmpty, "\(what)")
                try? FileManager.default.removeItem(atPath: scratch.path("out.npy"))
            }
        }
    }

    /// A refusal in a late block leaves on standard output exactly the rows of the blocks before
    /// it, each whole: every block is written out before the next is read.
    @Test(arguments: ["ragged", "nan"])
    func refusedLateRowLeavesWholeRows(kind: String) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let (rows, columns, block) = (20_000, 20, 5000)
        let logits = testLogits(rows: rows, columns: columns, seed: 4)
        var lines = (0..<rows).map { row in
            logits[(row * columns)..<((row + 1) * columns)].map { "\($0)" }.joined(separator: ",")
        }
        try scratch.write("good.csv", lines.joined(separator: "\n") + "\n")
        lines[rows - 1] = kind == "ragged" ? "1,2,3" : Array(repeating: "nan", count: columns).joined(separator: ",")
        try scratch.write("late.csv", lines.joined(separator: "\n") + "\n")
        let good = try scratch.run([
            "sample", "--seed", "0", "-t", "1", "-i", "good.csv", "-o", "-", "--block-rows", "\(block)",
        ])
        #expect(good.status == 0)
        let late = try scratch.run([
            "sample", "--seed", "0", "-t", "1", "-i", "late.csv", "-o", "-", "--block-rows", "\(block)",
        ])
        #expect(late.status == 1)
        #expect(late.standardError.contains("line 20000") || late.standardError.contains("row 19999"))
        let expected =
            good.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix(rows - block).joined(separator: "\n") + "\n"
        #expect(late.outputBytes.count == expected.utf8.count, "\(late.outputBytes.count) bytes")
        #expect(late.standardOutput == expected)
    }

    /// Every CSV input of one to three bytes over digits, signs and commas is read the same with
    /// no newline, `\n` and `\r\n` after it; the plain numbers among them are accepted.
    @Test func shortInputsWithAndWithoutNewlines() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let alphabet = ["5", "-", ","]
        let two = alphabet.flatMap { first in alphabet.map { first + $0 } }
        let three = two.flatMap { first in alphabet.map { first + $0 } }
        let contents = alphabet + two + three
        for content in contents {
            let bare = try scratch.run(["sample", "--seed", "0", "-t", "1", "-i", "-", "-o", "-"], input: content)
            for ending in ["\n", "\r\n"] {
                let ended = try scratch.run(
                    ["sample", "--seed", "0", "-t", "1", "-i", "-", "-o", "-"], input: content + ending)
                #expect(ended.status == bare.status, "\(content.debugDescription) + \(ending.debugDescription)")
                #expect(ended.standardOutput == bare.standardOutput, "\(content.debugDescription)")
            }
        }
        for number in ["5", "55", "555", "-5", "-55", "5,5", "5e1", ".5", "5."] {
            for ending in ["", "\n", "\r\n"] {
                let result = try scratch.run(
                    ["categorical", "--seed", "0", "-i", "-", "-o", "-"], input: number + ending)
                #expect(result.status == 0, "\((number + ending).debugDescription): \(result.standardError)")
                #expect(result.standardOutput == "0\n" || number == "5,5")
            }
        }
    }

    /// A signal the tool is started with ignored stays ignored (`nohup` ignores SIGHUP): the run
    /// goes on and writes its output. The shell ignores SIGHUP and SIGPIPE, starts the tool on a
    /// pipe that pauses after one row, sends both signals meanwhile, and reports its exit status (a
    /// watchdog ends a tool that has not finished within 30 s).
    @Test func inheritedIgnoredSignalsStayIgnored() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try Self.shell(
            """
            trap '' HUP PIPE
            { echo 1,2,3; sleep 2; echo 4,5,6; } | "$GUMBEL" sample --seed 0 -i - -o out.npy -t 1 --block-rows 1 &
            tool=$!
            { sleep 30; kill -KILL $tool; } 2>/dev/null &
            watchdog=$!
            sleep 1
            kill -HUP $tool; kill -PIPE $tool
            wait $tool
            echo "status $?"
            pkill -P $watchdog; kill $watchdog
            """, in: scratch)
        #expect(result.standardOutput == "status 0\n", "\(result.standardOutput) \(result.standardError)")
        let array = try readNpy(Float.self, scratch.read("out.npy"))
        #expect(array.shape == [2, 3])
    }

    /// Only the main thread can take a termination signal: every other thread of the tool blocks
    /// them, so none can run the handler while the main thread creates and registers the
    /// temporary file with the signals blocked.
    @Test func onlyTheMainThreadTakesTerminationSignals() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let (rows, columns) = (200, 1000)
        let logits = testLogits(rows: rows, columns: columns)
        let csv = (0..<rows).map { row in
            logits[(row * columns)..<((row + 1) * columns)].map { "\($0)" }.joined(separator: ",")
        }
        let (process, input) = try GumbelTool.start(
            ["sample", "--seed", "0", "-i", "-", "-o", "out.npy", "-t", "1", "--block-rows", "100"], in: scratch.url)
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // Two blocks of 100000 logits: the parallel kernel starts its helper threads.
        input.fileHandleForWriting.write(Data((csv.joined(separator: "\n") + "\n").utf8))
        usleep(1_500_000)
        // The tool runs on every CPU its parent may use (it confines itself only while OpenBLAS loads).
        func allowedCPUs(_ status: String) -> Substring? {
            status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        }
        let own = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let tool = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        #expect(allowedCPUs(tool) != nil && allowedCPUs(tool) == allowedCPUs(own))
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")
        let termination: UInt64 = [SIGINT, SIGTERM, SIGHUP, SIGPIPE].reduce(0) { $0 | (1 << UInt64($1 - 1)) }
        for task in tasks where task != "\(process.processIdentifier)" {
            let status = try String(
                contentsOfFile: "/proc/\(process.processIdentifier)/task/\(task)/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") } ?? ""
            let blocked = UInt64(line.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
            #expect(blocked & termination == termination, "thread \(task): \(line)")
        }
        try input.fileHandleForWriting.close()
    }
}
