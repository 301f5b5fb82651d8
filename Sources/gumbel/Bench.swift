import ArgumentParser
import GumbelSoftmax

/// A `BxK` batch shape on the command line.
struct BatchShape: ExpressibleByArgument, CustomStringConvertible {
    var rows: Int
    var columns: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let rows = Int(parts[0]), let columns = Int(parts[1]), rows >= 1, columns >= 1 else {
            return nil
        }
        self.rows = rows
        self.columns = columns
    }

    var description: String { "\(rows)x\(columns)" }
}

/// `gumbel bench`: times the library's no-allocation sampling call.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time GumbelSoftmax.sample into a preallocated buffer on random in-memory logits.",
        discussion: """
            For each --shape, runs the call for at least half a second to warm up (OpenBLAS's \
            threads busy-wait for a while after it loads), then --repeats times, and reports the \
            median with a monotonic clock (ContinuousClock): ns per element and elements per \
            second. With --json, one JSON object per line with the keys shape ([B, K]), output, \
            temperature, generator, threads, repeats, median_seconds, ns_per_element and elements_per_second.

            Examples:
              gumbel bench --shape 4096x1000
              gumbel bench --shape 1x1000000 --shape 65536x32 --threads 1 --json
              gumbel bench --shape 4096x1000 --output categorical --repeats 21
              gumbel bench --shape 1024x1024 --temperature 0.7
            """
    )

    /// What the timed call computes.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case soft, log, hard, categorical

        /// The form of a sample; nil for categorical.
        var sampleOutput: GumbelSoftmax.Output? {
            switch self {
            case .soft: return .soft
            case .log: return .log
            case .hard: return .hard
            case .categorical: return nil
            }
        }
    }

    @Option(help: "The batch shape BxK; repeat the option for several shapes. (default: 4096x1000)")
    var shape: [BatchShape] = []

    @OptionGroup var threading: ThreadOptions

    @Option(help: "What to compute: soft, log, hard or categorical. (default: soft)")
    var output: Kind?

    @Option(
        help: """
            The temperature: finite and > 0. 1 and 0.5 take the power form (one logarithm per \
            element), others the general form (two); the peers' benchmark uses 0.5. (default: 1)
            """)
    var temperature: TypedFloat?

    @Option(help: "The number of timed runs; the median is reported. (default: 11)")
    var repeats: Int?

    @Option(help: "The random-word generator: philox or jax. (default: philox)")
    var generator: GeneratorKind?

    @Option(
        help: "The logits' and output's type: float32 or float64 (computed in float64 end to end). (default: float32)")
    var dtype: ElementType?

    @Flag(help: "Print one JSON object per line instead of text.")
    var json = false

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        do {
            _ = try (temperature ?? .one).positiveFinite("--temperature", as: Float.self)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        for shape in shape.isEmpty ? [BatchShape(argument: "4096x1000")!] : shape {
            switch generator ?? .philox {
            case .philox:
                var random = PhiloxGenerator(seed: 1)
                try measure(shape, using: &random)
            case .jax:
                var random = ThreefryJAXGenerator(seed: 1)
                try measure(shape, using: &random)
            }
        }
    }

    private func measure<G: CounterBasedRandomGenerator>(_ shape: BatchShape, using random: inout G) throws {
        let (count, overflow) = shape.rows.multipliedReportingOverflow(by: shape.columns)
        guard !overflow, count <= 1 << 32 else { throw ValidationError("--shape \(shape) is too large") }
        // Random logits in about [-4, 4]: scaled Gumbel noise of another seed.
        let logits = try GumbelNoise.sample(count: count, seed: 0x5EED, threads: threading.count)
            .map { $0 * 0.5 }
        let times: [Duration]
        switch dtype ?? .float32 {
        case .float32: times = try time(logits, shape: shape, using: &random)
        case .float64: times = try time(logits.map(Double.init), shape: shape, using: &random)
        }
        report(shape: shape, median: seconds(times.sorted()[times.count / 2]))
    }

    /// The durations of the timed calls of `--output` on `logits` in their own type.
    private func time<Scalar: LogitScalar, G: CounterBasedRandomGenerator>(
        _ logits: [Scalar], shape: BatchShape, using random: inout G
    ) throws -> [Duration] {
        guard let form = (output ?? .soft).sampleOutput else {
            return try time(CategoricalOperation<Scalar>(), logits, shape, &random)
        }
        let temperature = Scalar((temperature ?? .one).value)
        return try time(SampleOperation(output: form, temperature: temperature), logits, shape, &random)
    }

    /// Runs `operation` on the whole batch, each run from position 0, into a preallocated result:
    /// the warm-up, then `--repeats` timed runs, whose durations it returns.
    private func time<Operation: BlockOperation, G: CounterBasedRandomGenerator>(
        _ operation: Operation, _ logits: [Operation.Scalar], _ shape: BatchShape, _ random: inout G
    ) throws -> [Duration] {
        let call = operation.calls(using: G.self).withGenerator
        let result = UnsafeMutableBufferPointer<Operation.Result>.allocate(
            capacity: shape.rows * operation.resultsPerRow(columns: shape.columns))
        defer { result.deallocate() }
        let repeats = repeats ?? 11
        let clock = ContinuousClock()
        var times: [Duration] = []
        try logits.withUnsafeBufferPointer { buffer in
            // Warm-up: at least one call and half a second. OpenBLAS's worker threads busy-wait for a
            // while after the library loads (whether or not any call of ours uses them), and on a
            // small machine they take cores from the sampler's own threads until they go to sleep.
            let warmUpEnd = clock.now + .milliseconds(500)
            var warmUps = 0
            while times.count < repeats {
                random.position = 0
                let start = clock.now
                try call(buffer, shape.rows, shape.columns, result, &random, threading.count)
                let end = clock.now
                if warmUps == 0 || end < warmUpEnd {
                    warmUps += 1
                } else {
                    times.append(end - start)
                }
            }
        }
        return times
    }

    /// Prints the median run of `shape` and what it was a run of: one JSON object with `--json`.
    private func report(shape: BatchShape, median: Double) {
        let count = Double(shape.rows * shape.columns)
        let (output, dtype, generator) = (output ?? .soft, dtype ?? .float32, generator ?? .philox)
        let (temperature, repeats) = ((temperature ?? .one).value, repeats ?? 11)
        let nanosecondsPerElement = median * 1e9 / count
        let elementsPerSecond = count / max(median, 1e-12)
        let threadCount = threading.count ?? Platform.processorCount
        if json {
            print(
                "{\"shape\": [\(shape.rows), \(shape.columns)], \"output\": \"\(output.rawValue)\", "
                    + "\"dtype\": \"\(dtype.rawValue)\", "
                    + "\"temperature\": \(temperature), "
                    + "\"generator\": \"\(generator.rawValue)\", \"threads\": \(threadCount), \"repeats\": \(repeats), "
                    + "\"median_seconds\": \(median), \"ns_per_element\": \(nanosecondsPerElement), "
                    + "\"elements_per_second\": \(elementsPerSecond)}")
        } else {
            print(
                "shape [\(shape.rows), \(shape.columns)]  output \(output.rawValue)  dtype \(dtype.rawValue)"
                    + "  temperature \(temperature)"
                    + "  generator \(generator.rawValue)"
                    + "  threads \(threadCount)\(threading.count == nil ? " (all cores)" : "")  repeats \(repeats)")
            print(
                "  median \(Format.fixed(median * 1e3, 3)) ms  \(Format.fixed(nanosecondsPerElement, 3)) ns/element  "
                    + "\(Format.scientific(elementsPerSecond, 3)) elements/s")
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
