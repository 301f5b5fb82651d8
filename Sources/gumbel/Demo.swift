import ArgumentParser
import GumbelSoftmax

/// `gumbel demo`: samples of a built-in logit vector at several temperatures, and a Gumbel-max
/// check of 100000 draws against `softmax(logits)`.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show Gumbel-Softmax samples at several temperatures and check the Gumbel-max trick.",
        discussion: """
            Uses a built-in logit vector, no input. Shows one soft sample at temperatures 0.1, 0.5, \
            1 and 5 (the same noise for each row, so only the temperature changes), the hard \
            sample, and the category frequencies of 100000 Gumbel-max draws beside softmax(logits) \
            with a bar chart and a chi-squared statistic.

            Examples:
              gumbel demo
              gumbel demo --seed 7 --draws 1000000
            """
    )

    @Option(help: "The Philox seed. (default: 42)")
    var seed: UInt64?

    @Option(help: "The number of Gumbel-max draws for the frequency check. (default: 100000)")
    var draws: Int?

    @OptionGroup var threading: ThreadOptions

    static let logits: [Float] = [2.0, 1.0, 0.5, 0.0, -1.0, -.infinity]
    static let temperatures: [Float] = [0.1, 0.5, 1, 5]

    func validate() throws {
        if let draws, draws < 1 { throw ValidationError("--draws must be at least 1, got \(draws)") }
    }

    func run() throws {
        let seed = seed ?? 42
        let logits = Self.logits
        let k = logits.count
        var lines: [String] = []
        lines.append("Gumbel-Softmax demo (Philox4x32-10, seed \(seed), stream 0, position 0)")
        lines.append("logits: [" + logits.map { $0.description }.joined(separator: ", ") + "]  (-inf masks a category)")
        lines.append("")
        lines.append("Soft samples softmax((logits + g) / temperature), the same noise g in every row:")
        let width = 9
        let header = Format.padRight("temperature", 12) + (0..<k).map { Format.pad("c\($0)", width) }.joined()
        lines.append(header)
        for temperature in Self.temperatures {
            let sample = try GumbelSoftmax.sample(
                logits: logits, temperature: temperature, seed: seed, threads: threading.count)
            lines.append(
                Format.padRight(temperature.description, 12)
                    + sample.map { Format.pad(Format.fixed(Double($0), 4), width) }.joined())
        }
        let hard = try GumbelSoftmax.sample(
            logits: logits, temperature: 1, output: .hard, seed: seed, threads: threading.count)
        let chosen = hard.firstIndex(of: 1) ?? 0
        lines.append(
            Format.padRight("hard", 12) + hard.map { Format.pad(Format.fixed(Double($0), 0), width) }.joined()
                + "   (one-hot of argmax(logits + g): category c\(chosen), at any temperature)")
        lines.append("")
        lines += try gumbelMaxCheck(logits, seed: seed, draws: draws ?? 100_000)
        print(lines.joined(separator: "\n"))
    }

    /// Draws `draws` categories of the repeated logits and compares the frequencies with softmax.
    private func gumbelMaxCheck(_ logits: [Float], seed: UInt64, draws: Int) throws -> [String] {
        let k = logits.count
        var batch = [Float]()
        batch.reserveCapacity(draws * k)
        for _ in 0..<draws { batch += logits }
        // Position after the words the samples above used, so the check draws fresh noise.
        let indices = try GumbelSoftmax.categorical(
            logits: batch, rows: draws, columns: k, seed: seed, position: UInt64(k), threads: threading.count)
        var counts = [Int](repeating: 0, count: k)
        for index in indices { counts[index] += 1 }
        let maximum = logits.map(Double.init).max()!
        let weights = logits.map { exp(Double($0) - maximum) }
        let total = weights.reduce(0, +)
        let probabilities = weights.map { $0 / total }

        var lines = ["Gumbel-max check: \(draws) draws of argmax(logits + g) against softmax(logits)"]
        lines.append(
            Format.padRight("category", 10) + Format.pad("logit", 7) + Format.pad("softmax", 10)
                + Format.pad("observed", 10) + Format.pad("diff", 9) + "  observed (#), softmax (|)")
        var chiSquared = 0.0
        var degrees = -1
        let barWidth = 40
        for category in 0..<k {
            let p = probabilities[category]
            let observed = Double(counts[category]) / Double(draws)
            if p > 0 {
                let expected = p * Double(draws)
                chiSquared += (Double(counts[category]) - expected) * (Double(counts[category]) - expected) / expected
                degrees += 1
            }
            let filled = Int((observed * Double(barWidth)).rounded())
            var bar = Array(repeating: Character(" "), count: barWidth + 1)
            for column in 0..<filled { bar[column] = "#" }
            let marker = Int((p * Double(barWidth)).rounded())
            if p > 0 { bar[marker] = "|" }
            var trimmed = String(bar)
            while trimmed.last == " " { trimmed.removeLast() }
            lines.append(
                Format.padRight("c\(category)", 10) + Format.pad(logits[category].description, 7)
                    + Format.pad(Format.fixed(p, 4), 10) + Format.pad(Format.fixed(observed, 4), 10)
                    + Format.pad((observed >= p ? "+" : "") + Format.fixed(observed - p, 4), 9) + "  " + trimmed)
        }
        let largest = zip(probabilities, counts).map { abs(Double($1) / Double(draws) - $0) }.max() ?? 0
        lines.append("")
        lines.append(
            "largest |observed - softmax| = \(Format.fixed(largest, 4)); chi-squared = \(Format.fixed(chiSquared, 2))"
                + " with \(degrees) degrees of freedom (mean \(degrees), 99.9% below"
                + " \(Format.fixed(chiSquaredQuantile(degrees), 1)))"
        )
        return lines
    }

    /// The 0.999 quantile of chi-squared with `degrees` degrees of freedom (Wilson-Hilferty).
    private func chiSquaredQuantile(_ degrees: Int) -> Double {
        let k = Double(max(degrees, 1))
        let z = 3.090232  // the standard normal's 0.999 quantile
        let term = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
        return k * term * term * term
    }
}
