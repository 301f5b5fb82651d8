import ArgumentParser
import GumbelSoftmax

/// `gumbel topk`: the Gumbel-top-k indices of every row.
struct TopK: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topk",
        abstract: "Draw k categories per row without replacement by the Gumbel-top-k trick.",
        discussion: """
            The indices of the k largest logits + g per row, largest first (Kool et al. 2019): a \
            sample of k distinct categories without replacement, in order. The first index is the \
            Gumbel-max category of `gumbel categorical` with the same seed, stream and position. \
            Output: int64 .npy of shape [..., k] for [..., K] logits ([k] for a 1-D input, one \
            row), or CSV with k indices per line. k must be at most K, the number of categories, \
            and at most the number of categories that are not masked with -inf.

            Examples:
              gumbel topk --input logits.npy --output top3.npy --k 3 --seed 7
              gumbel topk logits.csv - --k 2 --seed 7
            """
    )

    @OptionGroup var files: FileOptions

    @Option(name: .customLong("k"), help: "The number of categories per row, 1 ... K.")
    var k: Int

    @OptionGroup var random: RandomOptions
    @OptionGroup var elementType: ElementTypeOption

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
    }

    func run() throws {
        try random.run(files: files, dtype: elementType.dtype) { type in
            switch type {
            case .float32: TopKOperation<Float>(k: k)
            case .float64: TopKOperation<Double>(k: k)
            }
        }
    }
}
