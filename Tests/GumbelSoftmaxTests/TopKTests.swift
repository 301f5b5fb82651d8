import Foundation
import Testing

@testable import GumbelSoftmax

/// A degenerate generator whose every word is the same: all noise is equal, so the perturbed
/// logits are the logits shifted by one constant and ties are exact.
private struct ConstantWordGenerator: CounterBasedRandomGenerator {
    var position: UInt64 = 0
    let word: UInt32
    static var uniformMapping: UniformMapping { .centered }

    mutating func next() -> UInt64 {
        position &+= 2
        return UInt64(word) | UInt64(word) << 32
    }

    func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>) {
        buffer.update(repeating: word)
    }

    func tailWord(at position: UInt64) -> UInt32 { word }
}

/// The k best indices of each row by a full sort of `logits + g`, the noise drawn separately from
/// the same words (`GumbelNoise.sample`), in Float as the sampler adds them.
private func referenceTopK(
    logits: [Float], rows: Int, columns: Int, k: Int, seed: UInt64, position: UInt64
) throws
    -> [Int]
{
    let noise = try GumbelNoise.sample(count: rows * columns, seed: seed, position: position)
    var result: [Int] = []
    for b in 0..<rows {
        let d = (0..<columns).map { logits[b * columns + $0] + noise[b * columns + $0] }
        let order = (0..<columns).filter { d[$0] != -.infinity }.sorted { d[$0] > d[$1] || (d[$0] == d[$1] && $0 < $1) }
        result += order.prefix(k)
    }
    return result
}

/// Upper 1e-6 quantile of chi-squared with 19 degrees of freedom, from scipy 1.17.1:
/// `scipy.stats.chi2.isf(1e-6, 19)`.
private let chiSquaredCritical19 = 63.677052285677995

@Suite("Gumbel-top-k (Kool et al. 2019)")
struct TopKTests {
    @Test func orderedPairsFollowSamplingWithoutReplacement() throws {
        // K = 5, k = 2: the 20 ordered pairs (i, j) have probability p_i * p_j / (1 - p_i).
        let logits: [Float] = [0.3, -0.5, 1.2, 0, -1]
        let columns = logits.count
        let rows = 200_000
        let batch = [Float]((0..<rows).flatMap { _ in logits })
        let picks = try GumbelSoftmax.topK(logits: batch, rows: rows, columns: columns, k: 2, seed: 2019, stream: 4)
        let m = logits.max()!
        let weights = logits.map { exp(Double($0 - m)) }
        let p = weights.map { $0 / weights.reduce(0, +) }
        var observed = [Int](repeating: 0, count: columns * columns)
        for b in 0..<rows {
            let (i, j) = (picks[2 * b], picks[2 * b + 1])
            #expect(i != j)
            observed[i * columns + j] += 1
        }
        var probabilities = [Double](repeating: 0, count: columns * columns)
        for i in 0..<columns {
            for j in 0..<columns where j != i { probabilities[i * columns + j] = p[i] * p[j] / (1 - p[i]) }
        }
        #expect(Swift.abs(probabilities.reduce(0, +) - 1) < 1e-12)
        for i in 0..<columns { #expect(observed[i * columns + i] == 0) }
        let statistic = chiSquared(observed: observed, probabilities: probabilities)
        #expect(statistic < chiSquaredCritical19, "chi-squared \(statistic) with 19 degrees of freedom")
    }

    @Test func firstIndexIsGumbelMax() throws {
        for (rows, columns, k) in [(50, 7, 3), (3, 3000, 4), (2, 40_000, 5)] {
            var logits = testLogits(count: rows * columns, seed: UInt64(columns))
            for i in stride(from: 1, to: logits.count, by: 5) { logits[i] = -.infinity }
            var a = PhiloxGenerator(seed: 7, stream: 1, position: 123)
            var b = a
            let top = try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: k, using: &a)
            let argmax = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, using: &b)
            #expect((0..<rows).map { top[$0 * k] } == argmax)
            #expect(a.position == b.position)
            let one = try GumbelSoftmax.topK(
                logits: logits, rows: rows, columns: columns, k: 1, seed: 7, stream: 1, position: 123)
            #expect(one == argmax)
        }
    }

    @Test func matchesAFullSortOfTheSameNoise() throws {
        // Short rows grouped in tiles, rows longer than a tile, and rows longer than a segment
        // (candidates merged across segments), each with any thread count.
        for (rows, columns, k) in [(64, 100, 10), (1, 5000, 5000), (3, 3000, 17), (2, 70_000, 6), (1, 40_000, 1)] {
            var logits = testLogits(count: rows * columns, seed: UInt64(rows * columns), scale: 4)
            logits[columns / 2] = -.infinity
            let expected = try referenceTopK(
                logits: logits, rows: rows, columns: columns, k: Swift.min(k, columns - 1), seed: 9, position: 40)
            for threads in [1, 2] {
                let top = try GumbelSoftmax.topK(
                    logits: logits, rows: rows, columns: columns, k: Swift.min(k, columns - 1), seed: 9, position: 40,
                    threads: threads)
                #expect(top == expected, "[\(rows), \(columns)] k \(k) threads \(threads)")
            }
        }
    }

    @Test func tiesGoToTheLowestIndex() throws {
        var generator = ConstantWordGenerator(word: 0x8000_0000)
        let logits: [Float] = [1, 2, 2, 1, 2, 0, 2, 1]
        #expect(
            try GumbelSoftmax.topK(logits: logits, rows: 2, columns: 4, k: 3, using: &generator) == [1, 2, 0, 0, 2, 3])
        #expect(generator.position == 8)
        // Equal values across the segments of a long row.
        let flat = [Float](repeating: 0, count: 70_000)
        generator.position = 0
        #expect(
            try GumbelSoftmax.topK(logits: flat, rows: 1, columns: flat.count, k: 3, using: &generator) == [0, 1, 2])
        var late = flat
        late[69_999] = 1
        late[40_000] = 1
        #expect(
            try GumbelSoftmax.topK(logits: late, rows: 1, columns: late.count, k: 3, using: &generator) == [
                40_000, 69_999, 0,
            ])
    }

    @Test func maskedCategoriesAreNeverChosen() throws {
        let logits: [Float] = [-.infinity, 0.5, -.infinity, -3, 2, -.infinity]
        for seed in 0..<50 as Range<UInt64> {
            let top = try GumbelSoftmax.topK(logits: logits, rows: 1, columns: 6, k: 3, seed: seed)
            #expect(Set(top) == [1, 3, 4])
        }
    }

    @Test func bufferFormAndGeneratorAdvance() throws {
        let logits = testLogits(count: 6 * 9, seed: 41)
        var generator = PhiloxGenerator(seed: 3, position: 10)
        let expected = try GumbelSoftmax.topK(logits: logits, rows: 6, columns: 9, k: 4, seed: 3, position: 10)
        var result = [Int](repeating: -1, count: 24)
        try logits.withUnsafeBufferPointer { l in
            try result.withUnsafeMutableBufferPointer { r in
                try GumbelSoftmax.topK(logits: l, rows: 6, columns: 9, k: 4, into: r, using: &generator)
            }
        }
        #expect(result == expected)
        #expect(generator.position == 10 + 54)
        // B = 0: empty, and the generator does not move.
        #expect(try GumbelSoftmax.topK(logits: [], rows: 0, columns: 9, k: 4, using: &generator) == [])
        #expect(generator.position == 64)
    }

    @Test func refusedInputs() throws {
        func error(_ body: () throws -> Void) -> GumbelSoftmaxError? {
            do {
                try body()
                return nil
            } catch { return error as? GumbelSoftmaxError }
        }
        var generator = PhiloxGenerator(seed: 1, position: 5)
        let ok: [Float] = [0, 1, 2, 3, 4, 5]
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: ok, rows: 2, columns: 3, k: 0, using: &generator) }
                == .invalidTopK(k: 0, categories: 3))
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: ok, rows: 2, columns: 3, k: 4, using: &generator) }
                == .invalidTopK(k: 4, categories: 3))
        #expect(
            error {
                _ = try GumbelSoftmax.topK(logits: [0, 1, .nan, 3, 4, 5], rows: 2, columns: 3, k: 2, using: &generator)
            } == .nanLogit(row: 0, column: 2))
        #expect(
            error {
                _ = try GumbelSoftmax.topK(
                    logits: [0, 1, 2, 3, .infinity, 5], rows: 2, columns: 3, k: 2, using: &generator)
            } == .infiniteLogit(row: 1, column: 1))
        #expect(
            error {
                _ = try GumbelSoftmax.topK(
                    logits: [0, 1, 2, -.infinity, -.infinity, -.infinity], rows: 2, columns: 3, k: 1, using: &generator)
            } == .allMaskedRow(row: 1))
        #expect(
            error {
                _ = try GumbelSoftmax.topK(
                    logits: [0, 1, 2, -.infinity, 1, -.infinity], rows: 2, columns: 3, k: 2, using: &generator)
            } == .insufficientCategories(row: 1, available: 1, k: 2))
        // The lowest refused row is reported, whatever its kind.
        #expect(
            error {
                _ = try GumbelSoftmax.topK(
                    logits: [0, -.infinity, -.infinity, 3, .nan, 5], rows: 2, columns: 3, k: 2, using: &generator)
            } == .insufficientCategories(row: 0, available: 1, k: 2))
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: ok, rows: 2, columns: 4, k: 2, using: &generator) }
                == .logitCountMismatch(expected: 8, actual: 6))
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: [], rows: 2, columns: 0, k: 1, using: &generator) }
                == .noCategories)
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: ok, rows: 2, columns: 3, k: 2, using: &generator, threads: 0) }
                == .invalidThreadCount(0))
        // A long row with too few unmasked categories, found in the merge of its segments.
        var long = [Float](repeating: -.infinity, count: 2 * 40_000)
        long[0] = 0
        long[40_000 + 3] = 1
        long[40_000 + 39_000] = 1
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: long, rows: 2, columns: 40_000, k: 2, using: &generator) }
                == .insufficientCategories(row: 0, available: 1, k: 2))
        long[1] = 2
        long[40_000 + 5] = .infinity
        #expect(
            error { _ = try GumbelSoftmax.topK(logits: long, rows: 2, columns: 40_000, k: 2, using: &generator) }
                == .infiniteLogit(row: 1, column: 5))
        // No refusal moved the generator.
        #expect(generator.position == 5)
        // A wrong-sized output buffer: refused before anything is written.
        var result = [Int](repeating: 9, count: 5)
        var caught: GumbelSoftmaxError?
        ok.withUnsafeBufferPointer { l in
            result.withUnsafeMutableBufferPointer { r in
                do throws(GumbelSoftmaxError) {
                    try GumbelSoftmax.topK(logits: l, rows: 2, columns: 3, k: 2, into: r, using: &generator)
                } catch {
                    caught = error
                }
            }
        }
        #expect(caught == .bufferSizeMismatch(name: "index output", expected: 4, actual: 5))
        #expect(result == [9, 9, 9, 9, 9])
    }
}
