import ArgumentParser
@_spi(Exports) import GumbelSoftmax
import NumpyFormat

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The type that logits are read as and computed in: `--dtype`.
enum ElementType: String, ExpressibleByArgument, CaseIterable {
    case float32, float64
}

/// `--dtype` of `sample`, `categorical` and `topk`.
struct ElementTypeOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The type the logits are computed in, and of a sample's output: float32 or float64."
                + " (default: the input's: float64 for a float64 .npy file, float32 for float32 .npy and CSV)",
            discussion: "float64 is computed in float64 end to end; float32 rounds float64 input to float32 first."))
    var dtype: ElementType?
}

/// A type the tool computes in (`Float` or `Double`): a scalar of the library's generic API layer
/// (`GumbelScalar`, `@_spi(Exports)`), which the operations call, and how CSV text is read as it.
protocol LogitScalar: GumbelScalar, ResultElement, NpyElement, LosslessStringConvertible {
    /// The name in messages and of `--dtype`.
    static var elementType: ElementType { get }

    /// `strtof` or `strtod`.
    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Self
}

extension Float: LogitScalar {
    static var elementType: ElementType { .float32 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Float {
        strtof(text, end)
    }
}

extension Double: LogitScalar {
    static var elementType: ElementType { .float64 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Double {
        strtod(text, end)
    }
}
