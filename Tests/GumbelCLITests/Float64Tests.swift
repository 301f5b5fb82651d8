import Foundation
import GumbelSoftmax
import NumpyFormat
import Testing

/// `--dtype`: float64 input is computed in float64 by default and equals the library's `Double`
/// overloads bit for bit; `--dtype float32` rounds it first.
@Suite struct Float64Tests {
    /// Logits whose float64 values are not float32 values, with a masked category.
    static func doubleLogits(rows: Int, columns: Int) -> [Double] {
        var logits = testLogits(rows: rows, columns: columns, seed: 5).enumerated().map { index, value in
            Double(value) + Double(index % 7) * 1e-12
        }
        logits[1] = -.infinity
        return logits
    }

    @Test(arguments: [("soft", GumbelSoftmax.Output.soft), ("log", .log), ("hard", .hard)])
    func float64NpySampleEqualsTheLibrary(form: String, output: GumbelSoftmax.Output) throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let (rows, columns) = (37, 53)
        let logits = Self.doubleLogits(rows: rows, columns: columns)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [rows, columns]))
        // Blocks of 5 rows and one block: the same bytes.
        for (name, extra) in [("a.npy", ["--block-rows", "5", "--threads", "1"]), ("b.npy", [])] {
            let result = try scratch.run(
                ["sample", "in.npy", name, "-t", "0.7", "--\(form)", "--seed", "11", "--stream", "2"] + extra)
            #expect(result.status == 0, "\(result.standardError)")
        }
        #expect(try scratch.read("a.npy") == scratch.read("b.npy"))
        let sample = try readNpy(Double.self, try scratch.read("a.npy"))
        #expect(sample.storedDType == .float64 && sample.shape == [rows, columns])
        let expected = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: 0.7, output: output, seed: 11, stream: 2)
        #expect(sample.values.map(\.bitPattern) == expected.map(\.bitPattern))
        // --dtype float32 on the same file: the float32 result of the rounded logits.
        let result = try scratch.run(
            [
                "sample", "in.npy", "c.npy", "-t", "0.7", "--\(form)", "--seed", "11", "--stream", "2", "--dtype",
                "float32",
            ])
        #expect(result.status == 0, "\(result.standardError)")
        let narrow = try readNpy(Float.self, try scratch.read("c.npy"))
        #expect(narrow.storedDType == .float32)
        let expectedNarrow = try GumbelSoftmax.sample(
            logits: logits.map { Float($0) }, rows: rows, columns: columns, temperature: 0.7, output: output,
            seed: 11, stream: 2)
        #expect(narrow.values.map(\.bitPattern) == expectedNarrow.map(\.bitPattern))
    }

    @Test func float64IndicesEqualTheLibrary() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let (rows, columns) = (29, 40)
        let logits = Self.doubleLogits(rows: rows, columns: columns)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [rows, columns]))
        var result = try scratch.run(["categorical", "in.npy", "cat.npy", "--seed", "3", "--block-rows", "4"])
        #expect(result.status == 0, "\(result.standardError)")
        result = try scratch.run(["topk", "in.npy", "top.npy", "--k", "4", "--seed", "3", "--position", "9"])
        #expect(result.status == 0, "\(result.standardError)")
        let categorical = try readNpy(Int64.self, try scratch.read("cat.npy"))
        #expect(
            categorical.values.map(Int.init)
                == (try GumbelSoftmax.categorical(
                    logits: logits, rows: rows, columns: columns, seed: 3)))
        let top = try readNpy(Int64.self, try scratch.read("top.npy"))
        #expect(top.shape == [rows, 4])
        #expect(
            top.values.map(Int.init)
                == (try GumbelSoftmax.topK(
                    logits: logits, rows: rows, columns: columns, k: 4, seed: 3, position: 9)))
    }

    @Test func csvWithDtypeFloat64PrintsSeventeenDigits() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let text = "0.1,0.2,0.30000000000000004,-inf\n1e-300,2,3,4.5\n"
        let logits: [Double] = [0.1, 0.2, 0.30000000000000004, -.infinity, 1e-300, 2, 3, 4.5]
        let result = try scratch.run(["sample", "-", "-", "--seed", "8", "--dtype", "float64", "--log"], input: text)
        #expect(result.status == 0, "\(result.standardError)")
        let expected = try GumbelSoftmax.sample(
            logits: logits, rows: 2, columns: 4, temperature: 1, output: .log, seed: 8)
        let lines = parseCSV(result.standardOutput)
        #expect(lines.flatMap { $0 }.map { Double($0)!.bitPattern } == expected.map(\.bitPattern))
        #expect(lines.flatMap { $0 }.map { String(format: "%.17g", Double($0)!) } == lines.flatMap { $0 })
        // The default for CSV stays float32.
        let narrow = try scratch.run(["sample", "-", "-", "--seed", "8", "--log"], input: text)
        let expectedNarrow = try GumbelSoftmax.sample(
            logits: logits.map { Float($0) }, rows: 2, columns: 4, temperature: 1, output: .log, seed: 8)
        #expect(parseCSV(narrow.standardOutput).flatMap { $0 }.map { Float($0)! } == expectedNarrow)
    }

    @Test func float32NpyWithDtypeFloat64IsWidenedExactly() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let logits = testLogits(rows: 6, columns: 9)
        try scratch.write("in.npy", NpyWriter.encode(logits, shape: [6, 9]))
        let result = try scratch.run(["sample", "in.npy", "out.npy", "--seed", "1", "-t", "0.1", "--dtype", "float64"])
        #expect(result.status == 0, "\(result.standardError)")
        let sample = try readNpy(Double.self, try scratch.read("out.npy"))
        #expect(sample.storedDType == .float64)
        let expected = try GumbelSoftmax.sample(
            logits: logits.map(Double.init), rows: 6, columns: 9, temperature: 0.1, seed: 1)
        #expect(sample.values == expected)
    }
}
