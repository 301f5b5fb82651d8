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

            The output has the input's shape ([..., K]) and is computed in --dtype: by default \
            float64 for a float64 .npy file, float32 for float32 .npy and CSV. --dtype float32 \
            rounds float64 input to float32 first (a finite float64 too large for float32 is \
            refused); --dtype float64 on CSV input prints 17 significant digits. NaN and \
            +inf logits, an all -inf row, K == 0 and a temperature that is not finite and > 0 are \
            refused (exit status 1, no output file).

            Examples:
              gumbel sample logits.npy sample.npy --temperature 0.5 --seed 7
              gumbel sample -i logits.csv -o - --temperature 2 --log --seed 7
              printf '1,2,3\\n0,0,-inf\\n' | gumbel sample - - --hard --seed 7
              gumbel sample -i logits.npy -o s.npy --generator jax --seed 0
              gumbel sample -i logits.npy -o s.npy --row-streams streams.npy
            """
    )

    /// The three forms of a sample.
    enum Form: String, EnumerableFlag {
        case soft
        case hard
        case log

        static func help(for value: Form) -> ArgumentHelp? {
            switch value {
            case .soft: return "softmax(z), a point on the simplex. (the default)"
            case .hard: return "The one-hot of argmax(z), ties to the lowest index."
            case .log: return "log_softmax(z): accurate far into the tails where --soft underflows."
            }
        }

        var output: GumbelSoftmax.Output {
            switch self {
            case .soft: return .soft
            case .hard: return .hard
            case .log: return .log
            }
        }
    }

    @OptionGroup var files: FileOptions

    @Option(
        name: [.customShort("t"), .long],
        help: "The temperature: finite and > 0. Write a negative value as --temperature=-1. (default: 1)")
    var temperature: TypedFloat?

    /// The forms given; more than one different form is refused by `validate()`.
    @Flag var forms: [Form] = []

    @OptionGroup var random: RandomOptions

    @OptionGroup var elementType: ElementTypeOption

    func validate() throws {
        var given: [Form] = []
        for form in forms where !given.contains(form) { given.append(form) }
        if given.count > 1 {
            let names = given.map { "--\($0.rawValue)" }.joined(separator: " and ")
            throw ValidationError(
                "\(names) cannot be used together: a sample has one form, --soft (the default), --hard or --log")
        }
    }

    func run() throws {
        let typed = temperature ?? TypedFloat.one
        let output = (forms.first ?? .soft).output
        try random.run(files: files, dtype: elementType.dtype) { type in
            switch type {
            case .float32:
                SampleOperation(output: output, temperature: try typed.positiveFinite("temperature", as: Float.self))
            case .float64:
                SampleOperation(output: output, temperature: try typed.positiveFinite("temperature", as: Double.self))
            }
        }
    }
}
