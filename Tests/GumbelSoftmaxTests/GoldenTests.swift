import Foundation
import Testing

@testable import GumbelSoftmax

@Suite("Known answers from golden/vectors.json")
struct GoldenTests {
    /// The committed copy is the one a clone outside the project's workspace tests against: it must
    /// exist and hold every section the suites read, each with cases (a missing file or section
    /// fails here, not by a crash elsewhere); where `shared/` is present, it must equal it.
    @Test func committedCopyHoldsEverySectionAndMatchesShared() throws {
        let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/golden/vectors.json")
        let copy = packageRoot.appendingPathComponent("Tests/golden/vectors.json")
        let copyData = try Data(contentsOf: copy)
        let sections = try #require(try JSONSerialization.jsonObject(with: copyData) as? [String: Any])
        for name in [
            "philox4x32_10_known_answers", "stream_words", "tail_words", "gumbel_from_words", "gumbel",
            "per_row_streams", "gumbel_softmax", "gumbel_softmax_f64",
        ] {
            let cases = (sections[name] as? [String: Any])?["cases"] as? [Any]
            #expect(cases?.isEmpty == false, "Tests/golden/vectors.json lacks the cases of section \(name)")
        }
        if FileManager.default.fileExists(atPath: shared.path) {
            #expect(try Data(contentsOf: shared) == copyData)
        }
    }

    @Test func philoxBlocks() {
        let cases = goldenCases("philox4x32_10_known_answers")
        #expect(cases.count == 3)
        for c in cases {
            let counter = (c["counter"] as! [Any]).map(hex32)
            let key = (c["key"] as! [Any]).map(hex32)
            let expected = (c["output"] as! [Any]).map(hex32)
            let out = Philox.block(counter: (counter[0], counter[1], counter[2], counter[3]), key: (key[0], key[1]))
            #expect([out.0, out.1, out.2, out.3] == expected)
        }
    }

    @Test func streamWords() {
        let cases = goldenCases("stream_words")
        #expect(cases.count == 4)
        for c in cases {
            let expected = (c["words"] as! [Any]).map(hex32)
            var generator = PhiloxGenerator(
                seed: decimal64(c["seed"]!), stream: decimal64(c["stream"]!), position: decimal64(c["position"]!))
            let start = generator.position
            // The scalar path, the bulk path, and every offset into the bulk path.
            let scalar = (0..<expected.count).map { generator.word(at: start &+ UInt64($0)) }
            #expect(scalar == expected)
            for skip in 0..<expected.count {
                var g = generator
                g.position = start &+ UInt64(skip)
                #expect(g.nextWords(expected.count - skip) == Array(expected[skip...]))
            }
            #expect(generator.nextWords(expected.count) == expected)
            #expect(generator.position == start &+ UInt64(expected.count))
        }
    }

    @Test func tailWords() {
        let cases = goldenCases("tail_words")
        #expect(cases.count == 3)
        for c in cases {
            let generator = PhiloxGenerator(seed: decimal64(c["seed"]!), stream: decimal64(c["stream"]!))
            let positions = (c["positions"] as! [Any]).map(decimal64)
            let words = (c["words"] as! [Any]).map(hex32)
            let tails = (c["tail_words"] as! [Any]).map(hex32)
            #expect(positions.count == tails.count && words.count == tails.count)
            for (p, (word, tail)) in zip(positions, zip(words, tails)) {
                #expect(generator.word(at: p) == word)
                #expect(generator.words(startingAt: p, count: 1) == [word])
                #expect(generator.tailWord(at: p) == tail, "tail word of position \(p)")
            }
        }
    }

    @Test func gumbelFromWords() {
        let cases = goldenCases("gumbel_from_words")
        #expect(cases.count == 27)
        for c in cases {
            let word = hex32(c["word"]!)
            let tail = hex32(c["tail_word"]!)
            let expected = number(c["g"]!)
            let g = GumbelNoise.gumbel(word: word, tailWord: tail)
            #expect(
                Swift.abs(Double(g) - expected) <= 2e-6 * Swift.max(1, Swift.abs(expected)),
                "word \(word) tail \(tail): \(g)")
            // The bulk loops (and their band fix-up) give the same bits as the scalar entry point.
            let bulk = NoiseAccuracyTests.kernelNoise([UInt32](repeating: word, count: 45)) { _ in tail }
            #expect(bulk.allSatisfy { $0.bitPattern == g.bitPattern })
        }
    }

    @Test(arguments: [1, 2])
    func gumbelNoise(threads: Int) throws {
        let cases = goldenCases("gumbel")
        #expect(cases.count == 4)
        for c in cases {
            let expected = (c["values"] as! [Any]).map(number)
            let generator = PhiloxGenerator(
                seed: decimal64(c["seed"]!), stream: decimal64(c["stream"]!), position: decimal64(c["position"]!))
            let values = try GumbelNoise.sample(
                count: expected.count, seed: generator.seed, stream: generator.stream, position: generator.position,
                threads: threads)
            for (i, (g, e)) in zip(values, expected).enumerated() {
                #expect(Swift.abs(Double(g) - e) <= 2e-6 * Swift.max(1, Swift.abs(e)), "g \(g) expected \(e)")
                #expect(g == GumbelNoise.gumbel(at: generator.position &+ UInt64(i), of: generator))
            }
        }
    }

    @Test(arguments: [1, 2])
    func gumbelSoftmax(threads: Int) throws {
        let cases = goldenCases("gumbel_softmax")
        #expect(cases.count == 10)
        for c in cases {
            let known = GoldenSampleCase(c)
            let zmax = Reference.sample(
                logits: known.logits.map { Float($0) }, rows: known.rows, columns: known.columns,
                temperatures: Array(repeating: Double(Float(known.temperature)), count: known.rows),
                generator: known.generator
            ).zmax
            try known.check(
                as: Float.self, threads: threads, sample: GumbelSoftmax.sample,
                categorical: GumbelSoftmax.categorical, topK: GumbelSoftmax.topK,
                softTolerance: { row, _ in Reference.softTolerance(zmax: zmax[row]) },
                logTolerance: { Reference.logTolerance(expected: $1, zmax: zmax[$0]) }, sumTolerance: 1e-5)
        }
    }
}
