import ArgumentParser
import GumbelSoftmax
import NumpyFormat

/// The `gumbel` command: Gumbel-Softmax samples, Gumbel-max categories and Gumbel-top-k indices of
/// logit files, a demonstration and a benchmark.
@main
struct Gumbel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gumbel",
        abstract: "Gumbel-Softmax sampling (Jang et al. 2017; Maddison et al. 2017) on the command line.",
        discussion: """
            Every sample is a pure function of (seed, stream, position, logits, temperature): the \
            same command gives the same bits on any thread count. Element (b, k) of a [B, K] batch \
            uses word position + b*K + k of the Philox4x32-10 stream (seed, stream); with \
            --row-streams FILE every row b has its own (seed_b, stream_b, position_b) and element \
            (b, k) uses word position_b + k, so a row's sample never depends on the other rows.

            Inputs: .npy (float32 or float64, C order, shape [..., K]: every dimension but the last \
            is a batch dimension), .csv (one row per line), or - for CSV on standard input. Outputs: \
            .npy, .csv, or - for CSV on standard output. Files are operands (gumbel sample IN OUT) \
            or options (-i IN -o OUT). Input is read, sampled and written a block of rows at a time, \
            so files larger than memory work. Files are written atomically: a failed or interrupted \
            run leaves no output and never touches an existing file, which keeps its permissions \
            when replaced.

            There is no default seed: --seed (or --row-streams) is required. The temperature is 1 \
            unless --temperature says otherwise, and --threads 0 means all cores, as without \
            --threads.

            Exit status:
              0      success
              1      a refused input or file, or no memory left ('error: ...')
              64     a usage error: argument-parser's 'Error:' line and the usage
              129    SIGHUP: the temporary output file is removed first
              130    SIGINT (likewise)
              141    SIGPIPE (likewise)
              143    SIGTERM (likewise)
            A signal that started ignored (as under nohup) stays ignored.

            Examples:
              gumbel demo
              gumbel sample logits.npy sample.npy --temperature 0.5 --seed 7
              echo "2,1,0.5" | gumbel sample --input - --output - --seed 7
              gumbel categorical --input logits.npy --output indices.npy --seed 7
              gumbel topk --input logits.npy --output top3.npy --k 3 --seed 7
              gumbel bench --shape 4096x1000 --json
            """,
        version: "gumbel \(GumbelSoftmax.versionDescription)",
        subcommands: [Demo.self, Sample.self, Categorical.self, TopK.self, Bench.self]
    )

    /// Runs the command; refused inputs print `error: ...` and exit with status 1, usage errors
    /// exit with 64 (argument-parser's `ExitCode.validationFailure`).
    static func main() {
        do {
            var command = try parseAsRoot()
            // Before any sampling code: a build for a tier this CPU lacks exits 1, never SIGILL.
            guard GumbelSoftmax.cpuSupport.isSupported else { refuse(GumbelSoftmax.cpuSupport.message) }
            try command.run()
        } catch let failure as CommandFailure {
            refuse(failure.message)
        } catch let error as GumbelSoftmaxError {
            refuse(error.description)
        } catch let error as NpyError {
            refuse(error.description)
        } catch {
            exit(withError: error)
        }
    }

    /// Prints the refusal and exits with 1 at once: `_exit` skips the exit handlers, so a library's
    /// shutdown (OpenBLAS joins its worker threads) cannot hold up a process that ran out of memory.
    private static func refuse(_ message: String) -> Never {
        printError("error: \(message)")
        _exit(ExitCode.failure.rawValue)
    }
}
