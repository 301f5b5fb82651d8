/// An input that the sampler refuses (SPEC section 4), with where the problem is.
///
/// Rows and columns are counted from 0.
public enum GumbelSoftmaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The temperature is NaN, infinite, zero or negative.
    case invalidTemperature(Float)
    /// The temperature of one row (per-row temperatures) is NaN, infinite, zero or negative.
    case invalidRowTemperature(row: Int, value: Float)
    /// A logit is NaN.
    case nanLogit(row: Int, column: Int)
    /// A logit is `+infinity`.
    case infiniteLogit(row: Int, column: Int)
    /// Every logit of a row is `-infinity`: the row has no category to choose.
    case allMaskedRow(row: Int)
    /// The number of categories `K` is 0.
    case noCategories
    /// The shape has a negative dimension, or `B * K` overflows.
    case invalidShape(rows: Int, columns: Int)
    /// The logits buffer does not hold `B * K` elements.
    case logitCountMismatch(expected: Int, actual: Int)
    /// An output (or other input) buffer does not hold the number of elements the shape needs.
    case bufferSizeMismatch(name: String, expected: Int, actual: Int)
    /// The per-row temperature vector does not have one entry per row.
    case temperatureCountMismatch(expected: Int, actual: Int)
    /// Gumbel-top-k asked for `k` outside `1 ... K`.
    case invalidTopK(k: Int, categories: Int)
    /// A thread count below 1.
    case invalidThreadCount(Int)
    /// Gumbel-top-k needs `k` distinct categories, but a row has only `available` unmasked
    /// (not `-infinity`) logits: the other picks would have probability 0.
    case insufficientCategories(row: Int, available: Int, k: Int)
    /// A point given to a Concrete log-density is NaN, `+infinity`, or (on the simplex) negative.
    case invalidPoint(row: Int, column: Int, value: Float)

    public var description: String {
        switch self {
        case .invalidTemperature(let value):
            return "temperature must be finite and > 0, got \(value)"
        case .invalidRowTemperature(let row, let value):
            return "temperature of row \(row) must be finite and > 0, got \(value)"
        case .nanLogit(let row, let column):
            return "logit at row \(row), column \(column) is NaN"
        case .infiniteLogit(let row, let column):
            return "logit at row \(row), column \(column) is +inf (only -inf, a masked category, is allowed)"
        case .allMaskedRow(let row):
            return "every logit of row \(row) is -inf: nothing to sample"
        case .noCategories:
            return "the number of categories K is 0: a row needs at least one category"
        case .invalidShape(let rows, let columns):
            return "shape [\(rows), \(columns)] is invalid: dimensions must be >= 0 and B*K must fit in Int"
        case .logitCountMismatch(let expected, let actual):
            return "logits hold \(actual) elements but the shape needs B*K = \(expected)"
        case .bufferSizeMismatch(let name, let expected, let actual):
            return "\(name) holds \(actual) elements but the shape needs \(expected)"
        case .temperatureCountMismatch(let expected, let actual):
            return "per-row temperatures hold \(actual) values but there are \(expected) rows"
        case .invalidTopK(let k, let categories):
            return "k must be in 1...\(categories) (the number of categories), got \(k)"
        case .invalidThreadCount(let count):
            return "thread count must be >= 1, got \(count)"
        case .insufficientCategories(let row, let available, let k):
            return "row \(row) has \(available) unmasked categories but top-k needs k = \(k) distinct ones"
        case .invalidPoint(let row, let column, let value):
            return "point at row \(row), column \(column) is \(value): not a valid coordinate"
        }
    }
}
