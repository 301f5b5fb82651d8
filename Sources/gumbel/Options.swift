import ArgumentParser
import GumbelSoftmax

/// Which counter-based generator makes the random words.
enum GeneratorKind: String, ExpressibleByArgument, CaseIterable {
    /// Philox4x32-10 (this package's contract, SPEC section 1).
    case philox
    /// JAX's threefry2x32 stream, as `jax.random.gumbel` uses it.
    case jax
}

/// The options that name the random stream: seed, stream, position, generator and threads.
struct RandomOptions: ParsableArguments {
    @Option(help: "The generator's 64-bit seed (key).")
    var seed: UInt64 = 0

    @Option(help: "The Philox stream number: independent streams for the same seed. Must be 0 for jax.")
    var stream: UInt64 = 0

    @Option(help: "The first word of the stream to use; row b, column k uses word position + b*K + k.")
    var position: UInt64 = 0

    @Option(help: "Worker threads (default: all cores). Never changes the result.")
    var threads: Int?

    @Option(help: "The random-word generator: philox (this package's Philox4x32-10) or jax (jax.random's threefry).")
    var generator: GeneratorKind = .philox

    @Flag(help: "With --generator jax: the key of jax.random.PRNGKey(seed) under jax_enable_x64=True.")
    var jaxEnableX64 = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if generator == .jax && stream != 0 {
            throw ValidationError("--stream is not meaningful for --generator jax (JAX keys have no stream); omit it")
        }
        if generator != .jax && jaxEnableX64 { throw ValidationError("--jax-enable-x64 needs --generator jax") }
    }

    /// A generator of the chosen kind at `position`.
    ///
    /// Sampling functions open the existential, so each call runs the generic library code once.
    func makeGenerator() -> any CounterBasedRandomGenerator {
        switch generator {
        case .philox: return PhiloxGenerator(seed: seed, stream: stream, position: position)
        case .jax: return ThreefryJAXGenerator(seed: seed, position: position, enableX64: jaxEnableX64)
        }
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

    func validate() throws {
        guard FileKind(path: input) != nil else {
            throw ValidationError("--input must end in .npy or .csv, or be - (CSV on standard input); got '\(input)'")
        }
        guard FileKind(path: output) != nil else {
            throw ValidationError(
                "--output must end in .npy or .csv, or be - (CSV on standard output); got '\(output)'")
        }
    }
}
