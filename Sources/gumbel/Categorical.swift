import ArgumentParser

/// `gumbel categorical`: one Gumbel-max category per row.
struct Categorical: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one category per row by the Gumbel-max trick: argmax(logits + g).",
        discussion: """
            The indices follow softmax(logits) exactly and do not depend on a temperature; they are \
            the argmax of the soft sample `gumbel sample` draws with the same seed, stream and \
            position. float64 input is computed in float64 unless --dtype float32. Output: int64 .npy \
            of the input's batch shape ([...] for [..., K]; 0-d for a \
            1-D input, one row), or CSV with one index per line.

            Examples:
              gumbel categorical --input logits.npy --output indices.npy --seed 7
              gumbel categorical -i logits.csv -o - --seed 7 --position 1000
              gumbel categorical -i logits.csv -o - --row-streams streams.csv
            """
    )

    @OptionGroup var files: FileOptions
    @OptionGroup var random: RandomOptions
    @OptionGroup var elementType: ElementTypeOption

    func run() throws {
        try random.run(files: files, dtype: elementType.dtype) { type in
            switch type {
            case .float32: CategoricalOperation<Float>()
            case .float64: CategoricalOperation<Double>()
            }
        }
    }
}
