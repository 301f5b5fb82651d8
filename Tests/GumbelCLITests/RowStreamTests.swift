import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// `--row-streams FILE`: one Philox `(seed, stream, position)` per logits row (SPEC section 3).
@Suite("gumbel --row-streams")
struct RowStreamCommandTests {
    static let rows = 13
    static let columns = 7

    /// Streams that differ in every field, one near the end of the counter space (wraps mod 2^64).
    static let streams: [RowStream] = (0..<rows).map { b in
        let position: UInt64 = b == 5 ? UInt64.max - 2 : UInt64(b * b * 11)
        return RowStream(seed: UInt64(1000 + 7 * b), stream: UInt64(b % 3), position: position)
    }

    static func npy(_ streams: [RowStream]) -> [UInt8] {
        NpyWriter.encode(streams.flatMap { [$0.seed, $0.stream, $0.position] }, shape: [streams.count, 3])
    }

    static func csv(_ streams: [RowStream]) -> String {
        streams.map { "\($0.seed),\($0.stream),\($0.position)\n" }.joined()
    }

    /// The command-line arguments and the library's answer for one row alone with its own generator.
    enum Command: CaseIterable {
        case soft, log, hard, categorical, topK

        var arguments: [String] {
            switch self {
            case .soft: return ["sample", "-t", "0.7"]
            case .log: return ["sample", "-t", "0.7", "--log"]
            case .hard: return ["sample", "-t", "0.7", "--hard"]
            case .categorical: return ["categorical"]
            case .topK: return ["topk", "--k", "3"]
            }
        }

        /// The output of row `logits` alone with `stream`, as the bytes the .npy data holds.
        func alone(_ logits: [Float], _ stream: RowStream) throws -> [UInt8] {
            var generator = stream.generator
            let columns = logits.count
            switch self {
            case .soft, .log, .hard:
                let output: GumbelSoftmax.Output = self == .soft ? .soft : self == .log ? .log : .hard
                let values = try GumbelSoftmax.sample(
                    logits: logits, rows: 1, columns: columns, temperature: 0.7, output: output, using: &generator)
                return values.withUnsafeBytes { [UInt8]($0) }
            case .categorical:
                let values = try GumbelSoftmax.categorical(logits: logits, rows: 1, columns: columns, using: &generator)
                return values.map { Int64($0) }.withUnsafeBytes { [UInt8]($0) }
            case .topK:
                let values = try GumbelSoftmax.topK(logits: logits, rows: 1, columns: columns, k: 3, using: &generator)
                return values.map { Int64($0) }.withUnsafeBytes { [UInt8]($0) }
            }
        }

        /// Bytes of one output row in the .npy data.
        var rowBytes: Int {
            switch self {
            case .soft, .log, .hard: return 4 * RowStreamCommandTests.columns
            case .categorical: return 8
            case .topK: return 24
            }
        }
    }

    /// The data rows of a .npy output (after its 128-byte header).
    static func dataRows(_ bytes: [UInt8], _ command: Command) -> [[UInt8]] {
        let data = Array(bytes.dropFirst(128))
        return stride(from: 0, to: data.count, by: command.rowBytes).map { Array(data[$0..<($0 + command.rowBytes)]) }
    }

    @Test("row b of the output is the library's sample of row b alone with its own stream", arguments: Command.allCases)
    func matchesLibrary(command: Command) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        var logits = testLogits(rows: Self.rows, columns: Self.columns, seed: 3)
        logits[2 * Self.columns + 4] = -.infinity
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [Self.rows, Self.columns]))
        try scratch.write("s.npy", Self.npy(Self.streams))
        let result = try scratch.run(command.arguments + ["-i", "in.npy", "-o", "out.npy", "--row-streams", "s.npy"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = Self.dataRows(try scratch.read("out.npy"), command)
        #expect(rows.count == Self.rows)
        for b in 0..<Self.rows {
            let row = Array(logits[(b * Self.columns)..<((b + 1) * Self.columns)])
            #expect(rows[b] == (try command.alone(row, Self.streams[b])), "row \(b)")
        }
        // The per-row streams are not the shared stream: the same file with --seed differs.
        let shared = try scratch.run(command.arguments + ["-i", "in.npy", "-o", "shared.npy", "--seed", "1000"])
        #expect(shared.status == 0)
        #expect(try scratch.read("shared.npy") != scratch.read("out.npy"))
    }

    @Test(
        "a row's output is the same alone and in a batch in any order, any threads and block size",
        arguments: Command.allCases)
    func batchInvariance(command: Command) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: Self.rows, columns: Self.columns, seed: 9)
        try scratch.write("in.csv", CSVText.rows(logits, columns: Self.columns))
        try scratch.write("s.csv", Self.csv(Self.streams))
        let base = try scratch.run(command.arguments + ["-i", "in.csv", "-o", "base.npy", "--row-streams", "s.csv"])
        #expect(base.status == 0, "\(base.standardError)")
        let expected = Self.dataRows(try scratch.read("base.npy"), command)
        #expect(expected.count == Self.rows)
        // Each row alone.
        for b in [0, 5, Self.rows - 1] {
            let row = Array(logits[(b * Self.columns)..<((b + 1) * Self.columns)])
            try scratch.write("one.npy", NpyWriter.encode(row, shape: [1, Self.columns]))
            try scratch.write("one-s.csv", Self.csv([Self.streams[b]]))
            let one = try scratch.run(
                command.arguments + ["-i", "one.npy", "-o", "one-out.npy", "--row-streams", "one-s.csv"])
            #expect(one.status == 0, "\(one.standardError)")
            #expect(Self.dataRows(try scratch.read("one-out.npy"), command) == [expected[b]], "row \(b) alone")
        }
        // Permuted rows (logits and streams together), .npy streams, several threads and block sizes.
        let order = [7, 2, 12, 0, 5, 9, 1, 11, 3, 8, 6, 10, 4]
        let permuted = order.flatMap { logits[($0 * Self.columns)..<(($0 + 1) * Self.columns)] }
        try scratch.write("perm.npy", NpyWriter.encode(permuted, shape: [Self.rows, Self.columns]))
        try scratch.write("perm-s.npy", Self.npy(order.map { Self.streams[$0] }))
        for threads in ["1", "2"] {
            for blockRows in ["1", "4", "13", "100"] {
                let run = try scratch.run(
                    command.arguments + [
                        "-i", "perm.npy", "-o", "perm-out.npy", "--row-streams", "perm-s.npy", "--threads", threads,
                        "--block-rows", blockRows,
                    ])
                #expect(run.status == 0, "\(run.standardError)")
                let rows = Self.dataRows(try scratch.read("perm-out.npy"), command)
                #expect(rows == order.map { expected[$0] }, "threads \(threads), block rows \(blockRows)")
            }
        }
    }

    @Test("CSV and .npy stream files give the same bytes; CSV output too")
    func csvAndNpy() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: Self.rows, columns: Self.columns, seed: 4)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [Self.rows, Self.columns]))
        try scratch.write("s.npy", Self.npy(Self.streams))
        // Spaces, a blank line, \r\n and a byte-order mark are accepted as in CSV logits.
        var text = Self.csv(Self.streams).replacingOccurrences(of: ",", with: " , ")
        text = text.replacingOccurrences(of: "\n", with: "\r\n")
        try scratch.write("s.csv", "\u{FEFF}\n" + text + "\n")
        for file in ["s.npy", "s.csv"] {
            let run = try scratch.run(
                ["topk", "--k", "2", "-i", "in.npy", "-o", "\(file).out.csv", "--row-streams", file])
            #expect(run.status == 0, "\(run.standardError)")
        }
        #expect(try scratch.read("s.npy.out.csv") == scratch.read("s.csv.out.csv"))
        let expected = try GumbelSoftmax.topK(
            logits: logits, rows: Self.rows, columns: Self.columns, k: 2, streams: Self.streams)
        let lines = parseCSV(String(decoding: try scratch.read("s.csv.out.csv"), as: UTF8.self))
        #expect(lines.flatMap { $0.map { Int($0)! } } == expected)
    }

    // MARK: Refusals: exit 1 (64 for a usage error), a message, no output file

    func expectRefused(
        _ arguments: [String], files: [(String, [UInt8])], status: Int32 = 1, message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode(testLogits(rows: 3, columns: 4), shape: [3, 4]))
        try scratch.write("in.csv", CSVText.rows(testLogits(rows: 3, columns: 4), columns: 4))
        for (name, text) in files { try scratch.write(name, text) }
        let before = try scratch.entries()
        let result = try scratch.run(arguments)
        #expect(result.status == status, "\(result.standardError)", sourceLocation: sourceLocation)
        if status == 1 {
            #expect(
                result.standardError.hasPrefix("error: "), "\(result.standardError)", sourceLocation: sourceLocation)
        }
        #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(try scratch.entries() == before, "an output file was left", sourceLocation: sourceLocation)
    }

    static let three = "1,2,3\n4,5,6\n7,8,9\n"

    @Test("a stream file with fewer or more rows than the logits is refused naming both counts")
    func countMismatch() throws {
        for input in ["in.npy", "in.csv"] {
            for blockRows in ["1", "2", "64"] {
                let base = ["categorical", "-i", input, "-o", "out.npy", "--block-rows", blockRows, "--row-streams"]
                try expectRefused(
                    base + ["s.csv"], files: [("s.csv", Array("1,2,3\n4,5,6\n".utf8))],
                    message: "s.csv has 2 row streams but the logits have 3 rows")
                try expectRefused(
                    base + ["s.csv"], files: [("s.csv", Array((Self.three + "10,11,12\n").utf8))],
                    message: "s.csv has 4 row streams but the logits have 3 rows")
                try expectRefused(
                    [
                        "sample", "-t", "1", "-i", input, "-o", "out.csv", "--block-rows", blockRows, "--row-streams",
                        "s.npy",
                    ],
                    files: [("s.npy", Self.npy(Array(Self.streams.prefix(1))))],
                    message: "s.npy has 1 row stream but the logits have 3 rows")
            }
        }
    }

    @Test("--row-streams with --seed, --stream or --position, with jax, or as - is a usage error")
    func bothOptions() throws {
        for option in ["--seed", "--stream", "--position"] {
            try expectRefused(
                ["topk", "--k", "1", "-i", "in.npy", "-o", "out.npy", "--row-streams", "s.csv", option, "0"],
                files: [("s.csv", Array(Self.three.utf8))], status: 64,
                message: "--row-streams and \(option) cannot be used together")
        }
        try expectRefused(
            ["categorical", "-i", "in.npy", "-o", "out.npy", "--row-streams", "s.csv", "--generator", "jax"],
            files: [("s.csv", Array(Self.three.utf8))], status: 64, message: "--generator philox")
        try expectRefused(
            ["categorical", "-i", "in.npy", "-o", "out.npy", "--row-streams", "-"], files: [], status: 64,
            message: "--row-streams cannot be -")
    }

    @Test("bad values are refused naming the line, the row and the value")
    func badValues() throws {
        let cases: [(String, String)] = [
            ("1,2,3\n4,-5,6\n7,8,9\n", "line 2 (row 2), value 2 (stream): '-5' is negative"),
            (
                "1,2,3\n\n4,5,18446744073709551616\n7,8,9\n",
                "line 3 (row 2), value 3 (position): 18446744073709551616"
                    + " is larger than 2^64 - 1"
            ),
            ("1.5,2,3\n4,5,6\n7,8,9\n", "line 1 (row 1), value 1 (seed): '1.5' is not an unsigned integer"),
            ("1,2,3\n4,5,6\n7,1e3,9\n", "line 3 (row 3), value 2 (stream): '1e3' is not an unsigned integer"),
            ("1,2,3\n4,5\n7,8,9\n", "line 2 (row 2) has 2 values"),
            ("1,2,3,4\n4,5,6\n7,8,9\n", "line 1 (row 1) has 4 values"),
            ("1,,3\n4,5,6\n7,8,9\n", "line 1 (row 1), value 2 (stream) is empty"),
        ]
        for (text, message) in cases {
            try expectRefused(
                ["sample", "-t", "1", "-i", "in.npy", "-o", "out.npy", "--row-streams", "s.csv"],
                files: [("s.csv", Array(text.utf8))], message: message)
        }
        // The largest value is accepted.
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.csv", "1,2\n")
        try scratch.write("s.csv", "18446744073709551615,18446744073709551615,18446744073709551615\n")
        let largest = try scratch.run(["categorical", "-i", "in.csv", "-o", "-", "--row-streams", "s.csv"])
        #expect(largest.status == 0, "\(largest.standardError)")
        let stream = RowStream(seed: .max, stream: .max, position: .max)
        let expected = try GumbelSoftmax.categorical(logits: [1, 2], rows: 1, columns: 2, streams: [stream])
        #expect(largest.standardOutput == "\(expected[0])\n")
    }

    @Test(".npy stream files must be uint64 of shape (B, 3)")
    func badNpy() throws {
        let int64 = NpyWriter.encode([Int64](repeating: 1, count: 9), shape: [3, 3])
        let wide = NpyWriter.encode([UInt64](repeating: 1, count: 12), shape: [3, 4])
        let flat = NpyWriter.encode([UInt64](repeating: 1, count: 3), shape: [3])
        var truncated = Self.npy(Array(Self.streams.prefix(3)))
        truncated.removeLast(5)
        let cases: [([UInt8], String)] = [
            (int64, "data type '<i8' is not supported for row streams"),
            (wide, "must have shape (B, 3)"),
            (flat, "must have shape (B, 3)"),
            (truncated, "s.npy"),
        ]
        for (bytes, message) in cases {
            let scratch = try Scratch()
            defer { scratch.cleanUp() }
            try scratch.write("in.npy", NpyWriter.encode(testLogits(rows: 3, columns: 4), shape: [3, 4]))
            try scratch.write("s.npy", bytes)
            let before = try scratch.entries()
            let result = try scratch.run(["categorical", "-i", "in.npy", "-o", "out.npy", "--row-streams", "s.npy"])
            #expect(result.status == 1 && result.standardError.hasPrefix("error: "))
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(try scratch.entries() == before)
        }
    }
}

/// CSV text of a row-major matrix, each value in a form that reads back as the same float.
enum CSVText {
    static func rows(_ values: [Float], columns: Int) -> String {
        stride(from: 0, to: values.count, by: columns).map { start in
            values[start..<(start + columns)].map { $0.description }.joined(separator: ",") + "\n"
        }.joined()
    }
}
