import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// The tool's defaults (one rule per setting for every interface, docs/cli.md), its `[..., K]`
/// inputs, its file operands and the messages of its usage errors.
@Suite struct DefaultsTests {
    static let logits = testLogits(rows: 4, columns: 6, seed: 12)

    /// A scratch folder holding `in.npy`, the `[4, 6]` test logits.
    func scratchWithLogits() throws -> Scratch {
        let scratch = try Scratch()
        try scratch.write("in.npy", NpyWriter.encode(Self.logits, shape: [4, 6]))
        return scratch
    }

    // MARK: Seed: required, never a silent fixed default

    @Test(arguments: [["sample"], ["sample", "-t", "0.5"], ["categorical"], ["topk", "--k", "2"]])
    func seedIsRequired(command: [String]) throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(command + ["-i", "in.npy", "-o", "out.npy"])
        try scratch.expectRefused(result, status: 64) { $0.contains("--seed is required") }
    }

    // MARK: Threads: 0 means all cores

    @Test func threadsZeroMeansAllCores() throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        for (command, output) in [
            (["sample", "-t", "0.5"], "s"), (["categorical"], "c"), (["topk", "--k", "3"], "k"),
        ] {
            for threads in ["0", "1"] {
                let result = try scratch.run(
                    command + ["-i", "in.npy", "-o", "\(output)\(threads).npy", "--seed", "9", "--threads", threads])
                #expect(result.status == 0, "\(result.standardError)")
            }
            #expect(try scratch.read("\(output)0.npy") == scratch.read("\(output)1.npy"))
        }
        let expected = try GumbelSoftmax.sample(logits: Self.logits, rows: 4, columns: 6, temperature: 0.5, seed: 9)
        #expect(try readNpy(Float.self, scratch.read("s0.npy")).values == expected)
        // bench reports the thread count it used: all cores for 0, as without --threads.
        var counts: [Int] = []
        for threads in [["--threads", "0"], []] {
            let bench = try scratch.run(["bench", "--shape", "2x8", "--repeats", "1", "--json"] + threads)
            #expect(bench.status == 0, "\(bench.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any]
            counts.append(object?["threads"] as? Int ?? -1)
        }
        #expect(counts[0] == counts[1] && counts[0] >= 1)
    }

    // MARK: Temperature: 1 by default, for sample and bench

    @Test func temperatureDefaultsToOne() throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "--seed", "4"])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try GumbelSoftmax.sample(logits: Self.logits, rows: 4, columns: 6, temperature: 1, seed: 4)
        #expect(try readNpy(Float.self, scratch.read("out.npy")).values == expected)
        let bench = try scratch.run(["bench", "--shape", "2x8", "--repeats", "1", "--json"])
        #expect(bench.status == 0, "\(bench.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any]
        #expect(object?["temperature"] as? Double == 1)
    }

    /// Every default is written in the option's own help text, which both `--help` and the man page
    /// print: argument-parser appends a declared default to `--help` only.
    @Test(arguments: [["sample"], ["categorical"], ["topk"], ["demo"], ["bench"]])
    func helpTextsNameEveryDefault(command: [String]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let result = try scratch.run(command + ["--experimental-dump-help"])
        #expect(result.status == 0, "\(result.standardError)")
        let root = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let arguments = (root?["command"] as? [String: Any])?["arguments"] as? [[String: Any]] ?? []
        #expect(arguments.count > 3)
        var abstracts: [String: String] = [:]
        for argument in arguments {
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(argument["defaultValue"] == nil, "\(names) has a default only --help shows")
            for name in names { abstracts[name] = argument["abstract"] as? String ?? "" }
        }
        let defaults: [String: String] = [
            "temperature": "(default: 1)", "threads": "(default: all cores)", "stream": "(default: 0)",
            "position": "(default: 0)", "generator": "(default: philox)", "draws": "(default: 100000)",
            "repeats": "(default: 11)", "shape": "(default: 4096x1000)", "output": "(default: soft)",
        ]
        for (name, text) in defaults {
            guard let abstract = abstracts[name], command == ["bench"] || name != "output" else { continue }
            #expect(abstract.contains(text), "--\(name): \(abstract)")
        }
        if command == ["demo"] { #expect(abstracts["seed"]?.contains("(default: 42)") == true) }
        if command == ["sample"] { #expect(abstracts["soft"]?.contains("(the default)") == true) }
    }

    // MARK: [..., K] inputs of any rank

    /// `[..., K]` gives `[...]` and `[..., k]`, as in Python: `[K]` gives a 0-d array and `[k]`.
    @Test(arguments: [[2, 3, 5], [2, 1, 2, 4], [3, 1, 1, 1, 2], [2, 0, 3], [5]])
    func npyOfAnyRank(shape: [Int]) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let columns = shape.last!
        let batch = Array(shape.dropLast())
        let rows = batch.reduce(1, *)
        let logits = testLogits(rows: rows, columns: columns, seed: 6)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: shape))
        let options = ["-i", "in.npy", "--seed", "21", "--position", "3", "--block-rows", "2"]
        let sample = try scratch.run(["sample", "-o", "s.npy", "-t", "0.5"] + options)
        #expect(sample.status == 0, "\(sample.standardError)")
        let samples = try readNpy(Float.self, scratch.read("s.npy"))
        #expect(samples.shape == shape)
        #expect(
            samples.values
                == (try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: 0.5, seed: 21, position: 3)))
        let categorical = try scratch.run(["categorical", "-o", "c.npy"] + options)
        #expect(categorical.status == 0, "\(categorical.standardError)")
        let categories = try readNpy(Int64.self, scratch.read("c.npy"))
        #expect(categories.shape == batch && categories.storedDType == .int64)
        #expect(
            categories.values
                == (try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, seed: 21, position: 3))
                .map(Int64.init))
        let topK = try scratch.run(["topk", "--k", "2", "-o", "k.npy"] + options)
        #expect(topK.status == 0, "\(topK.standardError)")
        let indices = try readNpy(Int64.self, scratch.read("k.npy"))
        #expect(indices.shape == batch + [2])
        #expect(
            indices.values
                == (try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: 2, seed: 21, position: 3))
                .map(Int64.init))
        // CSV output: one line per row of the flattened batch.
        let csv = try scratch.run(["sample", "-o", "-", "-t", "0.5"] + options)
        #expect(csv.status == 0 && csv.standardOutput.split(separator: "\n").count == rows)
    }

    @Test func npyOfAnyRankStillRefusesAScalar() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        try scratch.write("in.npy", NpyWriter.encode([1] as [Float], shape: []))
        let result = try scratch.run(["categorical", "-i", "in.npy", "-o", "out.npy", "--seed", "0"])
        try scratch.expectRefused(result, status: 1) { $0.contains("0 dimensions (a scalar)") }
    }

    // MARK: Messages

    @Test func fortranOrderRefusalNamesTheFix() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let text = Array("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n".utf8)
        let file = NpyHeader.magic + [1, 0, UInt8(text.count), 0] + text + [UInt8](repeating: 0, count: 24)
        try scratch.write("in.npy", file)
        let result = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "--seed", "0"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("np.ascontiguousarray"), "\(result.standardError)")
    }

    @Test(arguments: [
        (["--hard", "--log"], "--hard and --log cannot be used together"),
        (["--log", "--soft"], "--log and --soft cannot be used together"),
        (["--soft", "--hard", "--soft", "--log"], "--soft and --hard and --log cannot be used together"),
    ])
    func conflictingFormsAreNamed(flags: [String], message: String) throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "--seed", "0"] + flags)
        try scratch.expectRefused(result, status: 64) { $0.contains(message) }
        #expect(!result.standardError.contains("had already been set"), "\(result.standardError)")
    }

    @Test func aRepeatedFormIsOneForm() throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["sample", "-i", "in.npy", "-o", "out.npy", "--seed", "2", "--hard", "--hard"])
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try GumbelSoftmax.sample(
            logits: Self.logits, rows: 4, columns: 6, temperature: 1, output: .hard, seed: 2)
        #expect(try readNpy(Float.self, scratch.read("out.npy")).values == expected)
    }

    // MARK: File operands

    @Test func filesAsOperands() throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let options = ["--seed", "5", "-t", "0.5"]
        let named = try scratch.run(["sample", "-i", "in.npy", "-o", "named.npy"] + options)
        let operands = try scratch.run(["sample", "in.npy", "operands.npy"] + options)
        let mixed = try scratch.run(["sample", "in.npy", "-o", "mixed.npy"] + options)
        let inputOption = try scratch.run(["sample", "-i", "in.npy", "input-option.npy"] + options)
        for result in [named, operands, mixed, inputOption] {
            #expect(result.status == 0, "\(result.standardError)")
        }
        #expect(try scratch.read("operands.npy") == scratch.read("named.npy"))
        #expect(try scratch.read("mixed.npy") == scratch.read("named.npy"))
        #expect(try scratch.read("input-option.npy") == scratch.read("named.npy"))
        let piped = try scratch.run(["categorical", "-", "-", "--seed", "5"], input: "1,2,3\n")
        #expect(piped.status == 0, "\(piped.standardError)")
        let expected = try GumbelSoftmax.categorical(logits: [1, 2, 3], rows: 1, columns: 3, seed: 5)
        #expect(piped.standardOutput == "\(expected[0])\n")
    }

    @Test(arguments: [
        (["in.npy", "out.npy", "-i", "in.npy"], "the input is given twice"),
        (["in.npy", "out.npy", "-o", "other.npy"], "the output is given twice"),
        (["-i", "in.npy", "out.npy", "-o", "other.npy"], "the output is given twice"),
        (["-o", "out.npy"], "missing the input: give it as <in> or --input"),
        (["in.npy"], "missing the output: give it as <out> or --output"),
        (["in.npy", "out.txt"], "the output must end in .npy or .csv"),
    ])
    func operandMistakesAreUsageErrors(arguments: [String], message: String) throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["topk", "--k", "1", "--seed", "1"] + arguments)
        try scratch.expectRefused(result, status: 64) { $0.contains(message) }
    }

    /// A negative number is read as the option's value and refused with the range.
    @Test(arguments: [
        (["--seed", "-1"], "give an integer in 0 ... 2^64 - 1"),
        (["--seed", "1", "--position", "-5"], "give an integer in 0 ... 2^64 - 1"),
        (["--seed", "1", "--threads", "-1"], "--threads must be 0 (all cores) or more, got -1"),
    ])
    func negativeNumbersAreRefusedWithTheRange(options: [String], message: String) throws {
        let scratch = try scratchWithLogits()
        defer { scratch.cleanUp() }
        let result = try scratch.run(["sample", "in.npy", "out.npy"] + options)
        try scratch.expectRefused(result, status: 64) { $0.contains(message) }
        #expect(!result.standardError.contains("Missing value"), "\(result.standardError)")
    }
}
