import ArgumentParser
import GumbelSoftmax

/// Which counter-based generator makes the random words.
enum GeneratorKind: String, ExpressibleByArgument, CaseIterable {
    /// Philox4x32-10 (this package's contract, SPEC section 1).
    case philox
    /// JAX's threefry2x32 stream, as `jax.random.gumbel` uses it.
    case jax
}

/// The options that name the random stream: seed, stream, position (or per-row streams), generator and
/// threads.
struct RandomOptions: ParsableArguments {
    @Option(help: "The generator's 64-bit seed (key). (default: 0)")
    var seed: UInt64?

    @Option(
        help: "The Philox stream number: independent streams for the same seed. Must be 0 for jax. (default: 0)")
    var stream: UInt64?

    @Option(help: "The first word of the stream to use; row b, column k uses word position + b*K + k. (default: 0)")
    var position: UInt64?

    @Option(
        help: ArgumentHelp(
            "Per-row streams: a .npy (uint64, shape (B, 3)) or .csv file of seed,stream,position per logits row.",
            discussion: "Row b, column k then uses word position_b + k of (seed_b, stream_b): a row's sample does not"
                + " depend on the other rows. Replaces --seed, --stream and --position; Philox only.",
            valueName: "file"))
    var rowStreams: String?

    @OptionGroup var threading: ThreadOptions

    @Option(help: "The random-word generator: philox (this package's Philox4x32-10) or jax (jax.random's threefry).")
    var generator: GeneratorKind = .philox

    @Flag(help: "With --generator jax: the key of jax.random.PRNGKey(seed) under jax_enable_x64=True.")
    var jaxEnableX64 = false

    func validate() throws {
        if let rowStreams {
            let given = [("--seed", seed), ("--stream", stream), ("--position", position)].filter { $0.1 != nil }
            if let first = given.first {
                throw ValidationError(
                    "--row-streams and \(first.0) cannot be used together: the file gives every row its own seed,"
                        + " stream and position")
            }
            if generator != .philox {
                throw ValidationError("--row-streams needs --generator philox (per-row streams are Philox streams)")
            }
            if rowStreams == "-" {
                throw ValidationError(
                    "--row-streams cannot be - (standard input may hold the logits): name a .npy or .csv file")
            }
            guard let kind = FileKind(path: rowStreams), kind != .standardStream else {
                throw ValidationError("--row-streams must end in .npy or .csv; got '\(rowStreams)'")
            }
        }
        if generator == .jax && (stream ?? 0) != 0 {
            throw ValidationError("--stream is not meaningful for --generator jax (JAX keys have no stream); omit it")
        }
        if generator != .jax && jaxEnableX64 { throw ValidationError("--jax-enable-x64 needs --generator jax") }
    }

    /// Streams `files.input` through `operation` into `files.output` with this stream, removing the
    /// temporary output file on SIGINT, SIGTERM, SIGHUP and SIGPIPE.
    func run(_ operation: Pipeline.Operation, files: FileOptions) throws {
        Platform.installTerminationHandlers()
        var pipeline = Pipeline(operation: operation, threads: threading.threads, blockRows: files.blockRows)
        if let rowStreams { pipeline.rowStreams = try openRowStreams(path: rowStreams) }
        var generator = makeGenerator()
        try pipeline.run(input: files.input, output: files.output, using: &generator)
    }

    /// A generator of the chosen kind at `position`.
    ///
    /// Sampling functions open the existential, so each call runs the generic library code once.
    func makeGenerator() -> any CounterBasedRandomGenerator {
        switch generator {
        case .philox: return PhiloxGenerator(seed: seed ?? 0, stream: stream ?? 0, position: position ?? 0)
        case .jax: return ThreefryJAXGenerator(seed: seed ?? 0, position: position ?? 0, enableX64: jaxEnableX64)
        }
    }
}

/// `--threads`, shared by every command that samples.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores). Never changes the result.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

/// A float option that keeps the text as typed, so that a refusal can quote it (`1e-46` rounds to
/// 0 and `3.5e38` to infinity in float32).
struct TypedFloat: ExpressibleByArgument {
    var text: String
    var value: Float

    init?(argument: String) {
        guard let value = Float(argument) else { return nil }
        self.text = argument
        self.value = value
    }

    /// The value, or a refusal quoting the text when it is not finite and > 0.
    func positiveFinite(_ name: String) throws(CommandFailure) -> Float {
        if value.isFinite && value > 0 { return value }
        var reason = ""
        let mantissa = text.lowercased().split(separator: "e", maxSplits: 1).first ?? ""
        let typedNonzero = mantissa.contains { ("1"..."9").contains($0) }
        if value == 0 && typedNonzero {
            reason = " (it rounds to 0 in float32, whose smallest positive value is 1e-45)"
        } else if value.isInfinite && typedNonzero && !text.lowercased().contains("inf") {
            reason = " (it is too large for float32, whose largest value is 3.4028235e38)"
        }
        throw CommandFailure("\(name) must be finite and > 0, got \(text)\(reason)")
    }
}

/// `--input` and `--output`.
struct FileOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: "Logits: a .npy file (float32 or float64, 1-D or 2-D), a .csv file, or - for CSV on standard input.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write: a .npy file, a .csv file, or - for CSV on standard output.")
    var output: String

    /// Rows per block (testing): the output is the same for any value.
    @Option(help: .hidden)
    var blockRows: Int?

    func validate() throws {
        if let blockRows, blockRows < 1 { throw ValidationError("--block-rows must be at least 1, got \(blockRows)") }
        guard FileKind(path: input) != nil else {
            throw ValidationError("--input must end in .npy or .csv, or be - (CSV on standard input); got '\(input)'")
        }
        guard FileKind(path: output) != nil else {
            throw ValidationError(
                "--output must end in .npy or .csv, or be - (CSV on standard output); got '\(output)'")
        }
    }
}
