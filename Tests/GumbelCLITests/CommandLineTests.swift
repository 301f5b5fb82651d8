import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// End-to-end runs of the `gumbel` executable, checked against the library called in-process
/// (the same build, so the bits must match exactly).
@Suite struct CommandLineTests {
    // MARK: .npy round trips

    @Test(arguments: [(3, 5, false), (1, 7, true), (4, 1, false), (2, 40000, false)])
    func sampleFloat32Npy(rows: Int, columns: Int, vector: Bool) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: rows, columns: columns)
        let shape = vector ? [columns] : [rows, columns]
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: shape))
        let result = try scratch.run(
            [
                "sample", "--input", "in.npy", "--output", "out.npy", "--temperature", "0.7", "--seed", "11",
                "--stream", "3", "--position", "5",
            ])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try readNpy(Float.self, try scratch.read("out.npy"))
        #expect(output.shape == shape)
        #expect(output.storedDType == .float32)
        let expected = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: 0.7, seed: 11, stream: 3, position: 5)
        #expect(output.values == expected)
        #expect(try scratch.entries() == ["in.npy", "out.npy"])
    }

    @Test(arguments: [[2, 6], [6]])
    func sampleFloat64NpyAsFloat32(shape: [Int]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let doubles: [Double] = [0.1, -1.3333333333, 2.5e-3, -.infinity, 4, 1e-60, -0.7, 3, 0, 1, 2, -2]
            .prefix(shape.reduce(1, *)).map { $0 }
        try scratch.write("in.npy", NpyWriter.encode(doubles, shape: shape, version: .v2))
        // --dtype float32: rounded to float32, then sampled in float32 (Float64Tests: the default).
        let result = try scratch.run(
            ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "2", "--log", "--seed", "0", "--dtype", "float32"])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try readNpy(Float.self, try scratch.read("out.npy"))
        #expect(output.shape == shape && output.storedDType == .float32)
        let columns = shape.last!
        let expected = try GumbelSoftmax.sample(
            logits: doubles.map { Float($0) }, rows: doubles.count / columns, columns: columns, temperature: 2,
            output: .log, seed: 0)
        #expect(output.values == expected)
        #expect(output.values[3] == -.infinity)
    }

    @Test func hardSampleAndThreadCountsGiveTheSameBytes() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 300, columns: 257, seed: 9)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [300, 257], version: .v3))
        var outputs: [[UInt8]] = []
        for threads in ["1", "2", "3"] {
            let result = try scratch.run(
                [
                    "sample", "-i", "in.npy", "-o", "out\(threads).npy", "-t", "0.3", "--hard", "--threads", threads,
                    "--seed", "0",
                ])
            #expect(result.status == 0, "\(result.standardError)")
            outputs.append(try scratch.read("out\(threads).npy"))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        let output = try readNpy(Float.self, outputs[0])
        let expected = try GumbelSoftmax.sample(
            logits: logits, rows: 300, columns: 257, temperature: 0.3, output: .hard, seed: 0)
        #expect(output.values == expected)
        #expect(output.values.reduce(0, +) == 300)
    }

    @Test func categoricalNpy() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 50, columns: 9, seed: 4)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [50, 9]))
        let result = try scratch.run([
            "categorical", "-i", "in.npy", "-o", "idx.npy", "--seed", "99", "--position", "7",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try readNpy(Int64.self, try scratch.read("idx.npy"))
        #expect(output.shape == [50] && output.storedDType == .int64)
        let expected = try GumbelSoftmax.categorical(logits: logits, rows: 50, columns: 9, seed: 99, position: 7)
        #expect(output.values == expected.map(Int64.init))
    }

    @Test func topKNpyAndCSV() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 20, columns: 12, seed: 5)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [20, 12]))
        let result = try scratch.run(["topk", "-i", "in.npy", "-o", "top.npy", "--k", "4", "--seed", "3"])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try readNpy(Int64.self, try scratch.read("top.npy"))
        #expect(output.shape == [20, 4])
        let expected = try GumbelSoftmax.topK(logits: logits, rows: 20, columns: 12, k: 4, seed: 3)
        #expect(output.values == expected.map(Int64.init))
        let csv = try scratch.run(["topk", "-i", "in.npy", "-o", "-", "--k", "4", "--seed", "3"])
        #expect(csv.status == 0)
        #expect(
            parseCSV(csv.standardOutput).map { $0.map { Int($0)! } }
                == (0..<20).map { Array(expected[4 * $0..<4 * $0 + 4]) })
        let tooMany = try scratch.run(["topk", "-i", "in.npy", "-o", "bad.npy", "--k", "13", "--seed", "3"])
        #expect(tooMany.status == 1 && tooMany.standardError.hasPrefix("error: "))
        #expect(!scratch.exists("bad.npy"))
        let zero = try scratch.run(["topk", "-i", "in.npy", "-o", "bad.npy", "--k", "0", "--seed", "3"])
        #expect(zero.status == 64)
    }

    @Test func emptyBatchGivesAnEmptyResult() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode([Float](), shape: [0, 3]))
        let result = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--seed", "0"])
        #expect(result.status == 0, "\(result.standardError)")
        let output = try readNpy(Float.self, try scratch.read("out.npy"))
        #expect(output.shape == [0, 3] && output.values.isEmpty)
    }

    // MARK: CSV, standard input and output

    @Test func csvFileInAndOut() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.csv", "1.5, -2,0.25\r\n\n3e-1,-inf ,7\n")
        let result = try scratch.run(["sample", "-i", "in.csv", "-o", "out.csv", "-t", "0.5", "--seed", "8"])
        #expect(result.status == 0, "\(result.standardError)")
        let rows = parseCSV(String(decoding: try scratch.read("out.csv"), as: UTF8.self))
        let expected = try GumbelSoftmax.sample(
            logits: [1.5, -2, 0.25, 0.3, -.infinity, 7], rows: 2, columns: 3, temperature: 0.5, seed: 8)
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 3 })
        #expect(rows.flatMap { $0 }.map { Float($0)! } == expected)
        // CSV in, .npy out: a [B, K] array.
        let npy = try scratch.run(["sample", "-i", "in.csv", "-o", "out.npy", "-t", "0.5", "--seed", "8"])
        #expect(npy.status == 0)
        let array = try readNpy(Float.self, try scratch.read("out.npy"))
        #expect(array.shape == [2, 3] && array.values == expected)
    }

    @Test func standardInputAndOutput() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(
            ["sample", "--input", "-", "--output", "-", "--temperature", "1", "--seed", "5"], input: "2,1,0.5\n0,0,0\n")
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.isEmpty)
        let values = parseCSV(result.standardOutput).flatMap { $0 }.map { Float($0)! }
        let expected = try GumbelSoftmax.sample(
            logits: [2, 1, 0.5, 0, 0, 0], rows: 2, columns: 3, temperature: 1, seed: 5)
        #expect(values == expected)
        let categories = try scratch.run(
            ["categorical", "-i", "-", "-o", "-", "--seed", "5"], input: "2,1,0.5\n0,0,0\n")
        #expect(categories.status == 0)
        let indices = try GumbelSoftmax.categorical(logits: [2, 1, 0.5, 0, 0, 0], rows: 2, columns: 3, seed: 5)
        #expect(categories.standardOutput == indices.map { "\($0)\n" }.joined())
        #expect(try scratch.entries().isEmpty)
    }

    @Test func csvByteOrderMarkAndExponents() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(
            ["sample", "-i", "-", "-o", "-", "-t", "0.25", "--log", "--threads", "1", "--seed", "0"],
            input: "\u{FEFF}1e-3,\t-INF, 2E+1 \n")
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try GumbelSoftmax.sample(
            logits: [0.001, -.infinity, 20], temperature: 0.25, output: .log, seed: 0)
        #expect(parseCSV(result.standardOutput).flatMap { $0 }.map { Float($0)! } == expected)
    }

    @Test func jaxGenerator() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 4, columns: 6, seed: 2)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [4, 6]))
        let result = try scratch.run([
            "sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--generator", "jax", "--seed", "42",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        var generator = ThreefryJAXGenerator(seed: 42)
        let expected = try GumbelSoftmax.sample(logits: logits, rows: 4, columns: 6, temperature: 1, using: &generator)
        #expect(try readNpy(Float.self, try scratch.read("out.npy")).values == expected)
        let philox = try GumbelSoftmax.sample(logits: logits, rows: 4, columns: 6, temperature: 1, seed: 42)
        #expect(philox != expected)
        let stream = try scratch.run(
            [
                "sample", "-i", "in.npy", "-o", "bad.npy", "-t", "1", "--generator", "jax", "--stream", "1", "--seed",
                "0",
            ])
        #expect(stream.status == 64 && stream.standardError.contains("--stream"))
        #expect(!scratch.exists("bad.npy"))
    }

    // MARK: Refused inputs: exit 1, `error:`, no output file

    /// Runs a command that must be refused and checks status, message and that nothing was written.
    func expectRefused(
        _ arguments: [String], input: String = "", files: [(String, [UInt8])], message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        for (name, bytes) in files { try scratch.write(name, bytes) }
        let before = try scratch.entries()
        let result = try scratch.run(arguments, input: input)
        #expect(result.status == 1, "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.hasPrefix("error: "), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.contains(message), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
        #expect(try scratch.entries() == before, "an output or temporary file was left", sourceLocation: sourceLocation)
    }

    static let good = NpyWriter.encode([Float](repeating: 1, count: 6), shape: [2, 3])

    @Test(arguments: [
        ("0", "got 0"), ("=-1", "got -1"), ("nan", "got nan"), ("inf", "got inf"), ("0e5", "got 0e5"),
        ("1e-46", "got 1e-46 (it rounds to 0 in float32"), ("3.5e38", "got 3.5e38 (it is too large for float32"),
    ])
    func badTemperature(value: String, shown: String) throws {
        let option = value.hasPrefix("=") ? ["--temperature" + value] : ["--temperature", value]
        try expectRefused(
            ["sample", "-i", "in.npy", "-o", "out.npy", "--seed", "0"] + option, files: [("in.npy", Self.good)],
            message: "temperature must be finite and > 0, \(shown)")
    }

    @Test func refusedLogits() throws {
        let cases: [([Float], [Int], String)] = [
            ([0, .nan, 1, 2], [2, 2], "logit at row 0, column 1 is NaN"),
            ([0, 1, 2, .infinity], [2, 2], "logit at row 1, column 1 is +inf"),
            ([0, 1, -.infinity, -.infinity], [2, 2], "every logit of row 1 is -inf"),
            ([], [3, 0], "the number of categories K is 0"),
            ([], [0], "the number of categories K is 0"),
        ]
        for (values, shape, message) in cases {
            let file = NpyWriter.encode(values, shape: shape)
            for command in [["sample", "-t", "1"], ["categorical"], ["topk", "--k", "1"]] {
                try expectRefused(
                    command + ["-i", "in.npy", "-o", "out.npy", "--seed", "0"], files: [("in.npy", file)],
                    message: message)
            }
        }
        try expectRefused(
            ["sample", "-i", "-", "-o", "-", "-t", "1", "--seed", "0"], input: "1,nan\n", files: [],
            message: "row 0, column 1 is NaN")
        try expectRefused(
            ["sample", "-i", "in.csv", "-o", "out.csv", "-t", "1", "--seed", "0"],
            files: [("in.csv", Array("1,inf\n".utf8))],
            message: "row 0, column 1 is +inf")
    }

    @Test func refusedCSV() throws {
        let cases: [(String, String)] = [
            ("1,2,3\n4,5\n", "line 2 has 2 values but line 1 has 3"),
            ("1,2\n\n3,4,5\n", "line 3 has 3 values but line 1 has 2"),
            ("", "no rows"),
            ("\n \n", "no rows"),
            ("1,,2\n", "line 1, value 2 is empty"),
            ("1,2,\n", "line 1, value 3 is empty"),
            ("1,abc\n", "line 1, value 2: 'abc' is not a number"),
            ("1,2 3\n", "line 1, value 2: '2 3' is not a number"),
            ("0\n1e39\n", "line 2, value 1: 1e39 is too large for float32"),
        ]
        for (text, message) in cases {
            try expectRefused(
                ["sample", "-i", "in.csv", "-o", "out.npy", "-t", "1", "--seed", "0"],
                files: [("in.csv", Array(text.utf8))],
                message: message)
            try expectRefused(
                ["categorical", "-i", "-", "-o", "out.csv", "--seed", "0"], input: text, files: [], message: message)
        }
    }

    @Test func refusedNpyFiles() throws {
        func file(_ dictionary: String, data: [UInt8] = [UInt8](repeating: 0, count: 24)) -> [UInt8] {
            let text = Array(dictionary.utf8) + [0x0A]
            return NpyHeader.magic + [1, 0, UInt8(text.count), 0] + text + data
        }
        let cases: [([UInt8], String)] = [
            (Array("not a numpy file at all".utf8), "does not start with the magic string"),
            ([], "header is truncated"),
            (file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "), "malformed .npy header"),
            (
                file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}"),
                "unexpected or repeated key 'x'"
            ),
            (
                file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"),
                "data type '<i4' is not supported for logits: save them as float32 '<f4' or float64 '<f8'"
            ),
            (
                file("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"),
                "data type '<i8' is not supported for logits: save them as float32 '<f4' or float64 '<f8'"
            ),
            (file("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }"), "big-endian"),
            (
                file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"),
                "Fortran (column-major) order: only C order is supported; save the array in C order"
                    + " (NumPy: np.save(path, np.ascontiguousarray(a)))"
            ),
            (file("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: [0, 0, 0, 0]), "0 dimensions"),
            (Array(Self.good.dropLast(2)), "data is truncated: the shape needs 24 bytes but the file has 22"),
            (Self.good + [1], "1 unexpected bytes after the data"),
            (NpyWriter.encode([1, 1e300] as [Double], shape: [2]), "too large for float32"),
        ]
        // --dtype float32, for the float64 value too large for float32.
        for (bytes, message) in cases {
            try expectRefused(
                ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--seed", "0", "--dtype", "float32"],
                files: [("in.npy", bytes)], message: "in.npy: ")
            try expectRefused(
                ["categorical", "-i", "in.npy", "-o", "out.csv", "--seed", "0", "--dtype", "float32"],
                files: [("in.npy", bytes)], message: message)
        }
        try expectRefused(
            ["sample", "-i", "missing.npy", "-o", "out.npy", "-t", "1", "--seed", "0"], files: [],
            message: "cannot open 'missing.npy': No such file or directory")
        try expectRefused(
            ["sample", "-i", "in.npy", "-o", "no/such/folder/out.npy", "-t", "1", "--seed", "0"],
            files: [("in.npy", Self.good)],
            message: "cannot create a temporary file in 'no/such/folder'")
    }

    @Test func existingOutputSurvivesAFailedRun() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let previous = NpyWriter.encode([Float](repeating: 0.5, count: 4), shape: [4])
        try scratch.write("out.npy", previous)
        try scratch.write("out.csv", "keep me\n")
        try scratch.write("in.npy", NpyWriter.encode([0, 1, .nan] as [Float], shape: [3]))
        for output in ["out.npy", "out.csv"] {
            let result = try scratch.run(["sample", "-i", "in.npy", "-o", output, "-t", "1", "--seed", "0"])
            #expect(result.status == 1 && result.standardError.hasPrefix("error: "))
        }
        let bad = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "-t", "0", "--seed", "0"])
        #expect(bad.status == 1)
        #expect(try scratch.read("out.npy") == previous)
        #expect(try scratch.read("out.csv") == Array("keep me\n".utf8))
        #expect(try scratch.entries() == ["in.npy", "out.csv", "out.npy"])
        // A successful run replaces it.
        try scratch.write("in.npy", NpyWriter.encode([0, 1, 2, 3] as [Float], shape: [4]))
        let good = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--seed", "0"])
        #expect(good.status == 0)
        #expect(try scratch.read("out.npy") != previous)
        #expect(try scratch.entries() == ["in.npy", "out.csv", "out.npy"])
    }

    // MARK: Usage errors: exit 64

    @Test(arguments: [
        ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1"],
        ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--hard", "--log", "--seed", "0"],
        ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "1", "--threads=-1", "--seed", "0"],
        ["sample", "-i", "in.txt", "-o", "out.npy", "-t", "1", "--seed", "0"],
        ["sample", "-i", "in.npy", "-o", "out.json", "-t", "1", "--seed", "0"],
        ["sample", "-i", "in.npy", "-o", "out.npy", "-t", "one", "--seed", "0"],
        ["categorical", "-i", "in.npy", "-o", "out.npy", "--seed", "-1"],
        ["categorical", "-i", "in.npy", "-o", "out.npy", "--jax-enable-x64", "--seed", "0"],
        ["bench", "--threads=-1"],
        ["bench", "--shape", "10by10"],
        ["bench", "--repeats", "0"],
        ["bench", "--temperature", "0"],
        ["bench", "--temperature", "nan"],
        ["frobnicate"],
    ])
    func usageErrors(arguments: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", Self.good)
        let result = try scratch.run(arguments)
        try scratch.expectRefused(result, status: 64) { $0.contains("Error:") || $0.contains("error:") }
    }

    // MARK: Help, demo and bench

    @Test(arguments: [[], ["demo"], ["sample"], ["categorical"], ["topk"], ["bench"]])
    func helpShowsExamples(command: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("Examples:"))
        #expect(result.standardOutput.contains("USAGE: gumbel \(command.first ?? "")"))
    }

    @Test func demo() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["demo"])
        #expect(result.status == 0, "\(result.standardError)")
        let text = result.standardOutput
        for needle in [
            "temperature", "0.1 ", "0.5 ", "1.0 ", "5.0 ", "hard", "Gumbel-max check: 100000 draws", "chi-squared",
        ] {
            #expect(text.contains(needle), "\(needle)")
        }
        #expect(text.contains("#"))
    }

    @Test func benchJSON() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        for output in ["soft", "categorical"] {
            let result = try scratch.run(
                [
                    "bench", "--shape", "3x50", "--shape", "2x7", "--threads", "1", "--repeats", "2", "--json",
                    "--output", output,
                ])
            #expect(result.status == 0, "\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n")
            #expect(lines.count == 2)
            let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects[0]?["shape"] as? [Int] == [3, 50])
            #expect(objects[1]?["shape"] as? [Int] == [2, 7])
            #expect(objects[0]?["threads"] as? Int == 1)
            #expect(objects[0]?["output"] as? String == output)
            #expect(objects[0]?["temperature"] as? Double == 1)
            #expect((objects[0]?["ns_per_element"] as? Double ?? -1) > 0)
            #expect((objects[0]?["elements_per_second"] as? Double ?? -1) > 0)
        }
        let warm = try scratch.run(["bench", "--shape", "2x8", "--repeats", "1", "--temperature", "0.7", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(warm.standardOutput.utf8)) as? [String: Any]
        #expect(warm.status == 0 && Float(object?["temperature"] as? Double ?? 0) == 0.7)
        let text = try scratch.run(["bench", "--shape", "2x8", "--repeats", "1"])
        #expect(
            text.status == 0 && text.standardOutput.contains("ns/element") && text.standardOutput.contains("elements/s")
        )
    }
}
