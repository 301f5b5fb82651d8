import ArgumentParser
import GumbelSoftmax

/// `gumbel sample`: Gumbel-Softmax samples of every row of a logit file.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a Gumbel-Softmax sample of every row of a logit file.",
        discussion: """
            Per row: z = (logits + g) / temperature with Gumbel noise g, and the sample is \
            softmax(z) (default), log_softmax(z) (--log), or the one-hot of argmax(z) (--hard). -inf \
            logits mask a category: its output is exactly 0 (-inf with --log).

            The output has the input's shape; .npy output is float32. float64 input is rounded to \
            float32 first, and a finite float64 too large for float32 is refused. NaN and +inf \
            logits, an all -inf row, K == 0 and a temperature that is not finite and > 0 are refused \
            (exit status 1, no output file).

            Examples:
              gumbel sample -i logits.npy -o sample.npy --temperature 0.5 --seed 7
              gumbel sample -i logits.csv -o - --temperature 2 --log
              printf '1,2,3\\n0,0,-inf\\n' | gumbel sample -i - -o - --temperature 1 --hard
              gumbel sample -i logits.npy -o s.npy --temperature 1 --generator jax --seed 0
              gumbel sample -i logits.npy -o s.npy --temperature 1 --row-streams streams.npy
            """
    )

    /// The three forms of a sample.
    enum Form: String, EnumerableFlag {
        case soft
        case hard
        case log

        static func help(for value: Form) -> ArgumentHelp? {
            switch value {
            case .soft: return "softmax(z), a point on the simplex."
            case .hard: return "The one-hot of argmax(z), ties to the lowest index."
            case .log: return "log_softmax(z): accurate far into the tails where --soft underflows."
            }
        }
    }

    @OptionGroup var files: FileOptions

    @Option(
        name: [.customShort("t"), .long],
        help: "The temperature: finite and > 0. Write a negative value as --temperature=-1.")
    var temperature: TypedFloat

    @Flag(exclusivity: .exclusive)
    var form: Form = .soft

    @OptionGroup var random: RandomOptions

    func run() throws {
        let value = try temperature.positiveFinite("temperature")
        let output: GumbelSoftmax.Output
        switch form {
        case .soft: output = .soft
        case .hard: output = .hard
        case .log: output = .log
        }
        try random.run(.sample(output, temperature: value), files: files)
    }
}

/// `gumbel categorical`: one Gumbel-max category per row.
struct Categorical: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one category per row by the Gumbel-max trick: argmax(logits + g).",
        discussion: """
            The indices follow softmax(logits) exactly and do not depend on a temperature; they are \
            the argmax of the soft sample `gumbel sample` draws with the same seed, stream and \
            position. Output: int64 .npy of shape [B] (a 1-D input is one row, B = 1), or CSV with \
            one index per line.

            Examples:
              gumbel categorical --input logits.npy --output indices.npy --seed 7
              gumbel categorical -i logits.csv -o - --seed 7 --position 1000
              gumbel categorical -i logits.csv -o - --row-streams streams.csv
            """
    )

    @OptionGroup var files: FileOptions
    @OptionGroup var random: RandomOptions

    func run() throws {
        try random.run(.categorical, files: files)
    }
}
