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
}
