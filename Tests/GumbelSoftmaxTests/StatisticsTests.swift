import Foundation
import Testing

@testable import GumbelSoftmax

/// Seeded statistical checks with 1e-6 tails, so CI never flakes and a real bias still fails.
@Suite("Statistics of the noise and of Gumbel-max sampling")
struct StatisticsTests {
    @Test func gumbelMeanAndVariance() throws {
        let n = 4_000_000
        let g = try GumbelNoise.sample(count: n, seed: 2024, stream: 3)
        var sum = 0.0
        var sumSquares = 0.0
        for x in g {
            sum += Double(x)
            sumSquares += Double(x) * Double(x)
        }
        let mean = sum / Double(n)
        let variance = sumSquares / Double(n) - mean * mean
        let eulerGamma = 0.577_215_664_901_532_9
        let trueVariance = Double.pi * Double.pi / 6
        // Standard errors: sqrt(var / n) for the mean; the variance's uses the fourth moment,
        // Var(s^2) ~ (mu4 - sigma^4) / n with mu4 = 2.4 sigma^4 (excess kurtosis 12/5 + 3 = 5.4).
        let meanSE = (trueVariance / Double(n)).squareRoot()
        let varianceSE = ((5.4 - 1) * trueVariance * trueVariance / Double(n)).squareRoot()
        let z = 4.891_638_475_698_591  // two-sided 1e-6: scipy.stats.norm.isf(0.5e-6)
        #expect(Swift.abs(mean - eulerGamma) <= z * meanSE, "mean \(mean)")
        #expect(Swift.abs(variance - trueVariance) <= z * varianceSE, "variance \(variance)")
    }

    @Test(arguments: [2, 10, 1000])
    func gumbelMaxFollowsSoftmax(categories: Int) throws {
        let logits = testLogits(count: categories, seed: UInt64(categories), scale: 2)
        let rows = categories == 1000 ? 400_000 : 200_000
        var batch = [Float]()
        batch.reserveCapacity(rows * categories)
        for _ in 0..<rows { batch.append(contentsOf: logits) }
        let indices = try GumbelSoftmax.categorical(logits: batch, rows: rows, columns: categories, seed: 99)
        var counts = [Int](repeating: 0, count: categories)
        for i in indices { counts[i] += 1 }
        let m = logits.max()!
        let weights = logits.map { Foundation.exp(Double($0 - m)) }
        let total = weights.reduce(0, +)
        let p = weights.map { $0 / total }
        let statistic = chiSquared(observed: counts, probabilities: p)
        let critical = chiSquaredCritical[categories - 1]!
        #expect(statistic <= critical, "chi-squared \(statistic) > \(critical) for K = \(categories)")
        // And the test has power: the frequencies of a uniform distribution are rejected.
        let uniform = [Double](repeating: 1 / Double(categories), count: categories)
        #expect(chiSquared(observed: counts, probabilities: uniform) > critical)
    }

    /// Gumbel-max in the far tail, where version 1 of the contract was wrong (its noise stopped at
    /// 16.6, so a category 18 below the maximum won 84% too rarely and one 21 below never).
    /// Rows of K = 65536: one logit at 0, 12288 at -18 and 53247 at -21. Each group's wins are
    /// Poisson with mean `rows * p_group` (p18 = 1.9e-4, p21 = 4.0e-5 per row); both are checked
    /// against two-sided 1e-6 bounds. At 393216 rows (2.6e10 elements, about a minute on two cores)
    /// the -18 group expects 73.5 wins and the -21 group 15.9: the -21 group's lower bound is 1, so
    /// it must appear (version 1 could never draw it), and version 1's -18 mean (16% of the true
    /// one) lies below the -18 group's lower bound.
    @Test func farTailOfGumbelMax() throws {
        let columns = 65536
        let (n18, n21) = (12288, 53247)
        var row = [Float](repeating: -18, count: columns)
        row[0] = 0
        for k in (1 + n18)..<columns { row[k] = -21 }
        let batchRows = 256
        let batch = [Float]((0..<batchRows).map { _ in row }.joined())
        let rows = 393_216
        var generator = PhiloxGenerator(seed: 0x7A11, stream: 21)
        var counts = (zero: 0, minus18: 0, minus21: 0)
        var indices = [Int](repeating: 0, count: batchRows)
        for _ in 0..<(rows / batchRows) {
            try batch.withUnsafeBufferPointer { logits in
                try indices.withUnsafeMutableBufferPointer { out in
                    try GumbelSoftmax.categorical(
                        logits: logits, rows: batchRows, columns: columns, into: out, using: &generator)
                }
            }
            for index in indices {
                if index == 0 {
                    counts.zero += 1
                } else if index <= n18 {
                    counts.minus18 += 1
                } else {
                    counts.minus21 += 1
                }
            }
        }
        let z = 1 + Double(n18) * Foundation.exp(-18.0) + Double(n21) * Foundation.exp(-21.0)
        let mean18 = Double(rows) * Double(n18) * Foundation.exp(-18.0) / z
        let mean21 = Double(rows) * Double(n21) * Foundation.exp(-21.0) / z
        let bounds18 = poissonBounds(mean: mean18, tail: 0.5e-6)
        let bounds21 = poissonBounds(mean: mean21, tail: 0.5e-6)
        #expect(
            bounds18.contains(counts.minus18), "-18 group: \(counts.minus18) wins, mean \(mean18), bounds \(bounds18)")
        #expect(
            bounds21.contains(counts.minus21), "-21 group: \(counts.minus21) wins, mean \(mean21), bounds \(bounds21)")
        #expect(counts.zero + counts.minus18 + counts.minus21 == rows)
        // The power: the -21 group must appear, and version 1's mean for the -18 group (16% of the
        // true one) lies below the bounds.
        #expect(bounds21.lowerBound >= 1)
        #expect(0.16 * mean18 < Double(bounds18.lowerBound))
    }
}

/// The smallest range `lo ... hi` with `P(X < lo) <= tail` and `P(X > hi) <= tail` for
/// X ~ Poisson(mean), from the probabilities summed in Double.
func poissonBounds(mean: Double, tail: Double) -> ClosedRange<Int> {
    var probabilities: [Double] = []
    var p = Foundation.exp(-mean)
    var n = 0
    while n < 10 * Int(mean) + 100 {
        probabilities.append(p)
        n += 1
        p *= mean / Double(n)
    }
    var lo = 0
    var below = 0.0
    while below + probabilities[lo] <= tail {
        below += probabilities[lo]
        lo += 1
    }
    var hi = probabilities.count - 1
    var above = 0.0
    while above + probabilities[hi] <= tail {
        above += probabilities[hi]
        hi -= 1
    }
    return lo...hi
}
