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
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The generator's 64-bit seed (key), 0 ... 2^64 - 1. Required unless --row-streams is given.",
            discussion: "The same seed gives the same output: there is no default seed."),
        transform: parseWord)
    var seed: UInt64?

    @Option(
        parsing: .unconditional,
        help: "The Philox stream number: independent streams for the same seed. Must be 0 for jax. (default: 0)",
        transform: parseWord)
    var stream: UInt64?

    @Option(
        parsing: .unconditional,
        help: "The first word of the stream to use; row b, column k uses word position + b*K + k. (default: 0)",
        transform: parseWord)
    var position: UInt64?

    @Option(
        help: ArgumentHelp(
            "Per-row streams: a .npy (uint64, shape (B, 3)) or .csv file of seed,stream,position per logits row.",
            discussion: "Row b, column k then uses word position_b + k of (seed_b, stream_b): a row's sample does not"
                + " depend on the other rows. Replaces --seed, --stream and --position; Philox only.",
            valueName: "file"))
    var rowStreams: DataFile?

    @OptionGroup var threading: ThreadOptions

    @Option(
        help:
            "The random-word generator: philox (this package's Philox4x32-10) or jax (jax.random's threefry). (default: philox)"
    )
    var generator: GeneratorKind?

    @Flag(help: "With --generator jax: the key of jax.random.PRNGKey(seed) under jax_enable_x64=True.")
    var jaxEnableX64 = false

    func validate() throws {
        let generator = generator ?? .philox
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
            if rowStreams.kind == .standardStream {
                throw ValidationError(
                    "--row-streams cannot be - (standard input may hold the logits): name a .npy or .csv file")
            }
            guard rowStreams.kind != nil else {
                throw ValidationError("--row-streams must end in .npy or .csv; got '\(rowStreams.path)'")
            }
        } else if seed == nil {
            throw ValidationError(
                "--seed is required: the output is a function of the seed, so there is no default;"
                    + " give any integer in 0 ... 2^64 - 1 (the same seed repeats a run), or --row-streams FILE")
        }
        if generator == .jax && (stream ?? 0) != 0 {
            throw ValidationError("--stream is not meaningful for --generator jax (JAX keys have no stream); omit it")
        }
        if generator != .jax && jaxEnableX64 { throw ValidationError("--jax-enable-x64 needs --generator jax") }
    }

    /// Streams the input through the operation `makeOperation` returns for the compute type (`dtype`,
    /// or the input's: float64 for a float64 `.npy` file, float32 otherwise) into the output with
    /// this stream, removing the temporary output file on SIGINT, SIGTERM, SIGHUP and SIGPIPE.
    func run(
        files: FileOptions, dtype: ElementType?, _ makeOperation: (ElementType) throws -> any BlockOperation
    ) throws {
        Platform.installTerminationHandlers()
        let source = try openLogits(files.inputFile)
        try run(makeOperation(try dtype ?? source.storedElementType()), source: source, files: files)
    }

    private func run<Operation: BlockOperation>(
        _ operation: Operation, source: any LogitSource, files: FileOptions
    ) throws {
        var pipeline = Pipeline(operation: operation, threads: threading.count, blockRows: files.blockRows)
        if let rowStreams { pipeline.rowStreams = try openRowStreams(rowStreams) }
        var generator = makeGenerator()
        try pipeline.run(source: source, output: files.outputFile, using: &generator)
    }

    /// A generator of the chosen kind at `position` (with per-row streams, a placeholder that is not
    /// used).
    ///
    /// Sampling functions open the existential, so each call runs the generic library code once.
    func makeGenerator() -> any CounterBasedRandomGenerator {
        switch generator ?? .philox {
        case .philox: return PhiloxGenerator(seed: seed ?? 0, stream: stream ?? 0, position: position ?? 0)
        case .jax: return ThreefryJAXGenerator(seed: seed ?? 0, position: position ?? 0, enableX64: jaxEnableX64)
        }
    }
}

/// A 64-bit word option's value (`--seed`, `--stream`, `--position`); what is not an integer in
/// its range, a negative number included, is refused with the range.
func parseWord(_ text: String) throws -> UInt64 {
    guard let value = UInt64(text) else { throw ValidationError("give an integer in 0 ... 2^64 - 1") }
    return value
}

/// `--threads`, shared by every command that samples.
struct ThreadOptions: ParsableArguments {
    // Unconditional: `--threads -1` is read as the value -1, which `validate()` refuses.
    @Option(
        parsing: .unconditional,
        help: "Worker threads; 0 means all cores. Never changes the result. (default: all cores)")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 0 {
            throw ValidationError("--threads must be 0 (all cores) or more, got \(threads)")
        }
    }

    /// The thread count for the library: nil for all cores.
    var count: Int? { threads == 0 ? nil : threads }
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

    /// 1, the default temperature.
    static let one = TypedFloat(argument: "1")!

    /// The value as `Scalar`, or a refusal quoting the text when it is not finite and > 0.
    func positiveFinite<Scalar: LogitScalar>(_ name: String, as type: Scalar.Type) throws(CommandFailure) -> Scalar {
        // The text parsed as `Scalar`, not the float32 value widened.
        let value = Scalar(text) ?? Scalar(self.value)
        if value.isFinite && value > 0 { return value }
        var reason = ""
        let mantissa = text.lowercased().split(separator: "e", maxSplits: 1).first ?? ""
        let typedNonzero = mantissa.contains { ("1"..."9").contains($0) }
        if value == 0 && typedNonzero {
            reason =
                " (it rounds to 0 in \(Scalar.elementType.rawValue), whose smallest positive value is"
                + " \(Scalar.leastNonzeroMagnitude))"
        } else if value.isInfinite && typedNonzero && !text.lowercased().contains("inf") {
            reason =
                " (it is too large for \(Scalar.elementType.rawValue), whose largest value is "
                + (Scalar.elementType == .float32 ? "3.4028235e38)" : "1.7976931348623157e308)")
        }
        throw CommandFailure("\(name) must be finite and > 0, got \(text)\(reason)")
    }
}

/// The input and the output: operands (`gumbel sample IN OUT`) or `--input` and `--output`.
struct FileOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The logits, as for --input.", valueName: "in"))
    var inputOperand: DataFile?

    @Argument(help: ArgumentHelp("Where to write, as for --output.", valueName: "out"))
    var outputOperand: DataFile?

    @Option(
        name: .shortAndLong,
        help: "Logits: a .npy file (float32 or float64, shape [..., K]), a .csv file, or - for CSV on standard input.")
    var input: DataFile?

    @Option(name: .shortAndLong, help: "Where to write: a .npy file, a .csv file, or - for CSV on standard output.")
    var output: DataFile?

    /// Rows per block (testing): the output is the same for any value.
    @Option(help: .hidden)
    var blockRows: Int?

    mutating func validate() throws {
        if let blockRows, blockRows < 1 { throw ValidationError("--block-rows must be at least 1, got \(blockRows)") }
        if input != nil && outputOperand == nil {  // `-i IN OUT`: the one operand is the output
            (inputOperand, outputOperand) = (nil, inputOperand)
        }
        let input = try Self.one(inputOperand, input, names: ("input", "<in>", "--input"))
        guard input.kind != nil else {
            throw ValidationError(
                "the input must end in .npy or .csv, or be - (CSV on standard input); got '\(input.path)'")
        }
        let output = try Self.one(outputOperand, output, names: ("output", "<out>", "--output"))
        guard output.kind != nil else {
            throw ValidationError(
                "the output must end in .npy or .csv, or be - (CSV on standard output); got '\(output.path)'")
        }
    }

    /// The input, checked by `validate()`.
    var inputFile: DataFile { inputOperand ?? input! }

    /// The output, checked by `validate()`.
    var outputFile: DataFile { outputOperand ?? output! }

    /// The file given as an operand or as an option, refusing both or neither.
    private static func one(
        _ operand: DataFile?, _ option: DataFile?, names: (file: String, operand: String, option: String)
    ) throws -> DataFile {
        switch (operand, option) {
        case (let file?, nil), (nil, let file?): return file
        case (let first?, let second?):
            throw ValidationError(
                "the \(names.file) is given twice, as \(names.operand) '\(first.path)' and as \(names.option)"
                    + " '\(second.path)': give it once")
        case (nil, nil):
            throw ValidationError("missing the \(names.file): give it as \(names.operand) or \(names.option)")
        }
    }
}

extension DataFile: ExpressibleByArgument {
    init(argument: String) {
        self.init(path: argument)
    }

    static var defaultCompletionKind: CompletionKind { .file(extensions: ["npy", "csv"]) }
}
