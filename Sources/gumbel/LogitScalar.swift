import ArgumentParser
import GumbelSoftmax
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

/// A type the tool computes in (`Float` or `Double`): the library's functions for it, and how CSV
/// text is read as it.
protocol LogitScalar: ResultElement, NpyElement, BinaryFloatingPoint, LosslessStringConvertible {
    /// The name in messages and of `--dtype`.
    static var elementType: ElementType { get }

    /// `strtof` or `strtod`.
    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Self

    /// The library's functions for this type with a generator of type `G`.
    static func library<G: CounterBasedRandomGenerator>(using _: G.Type) -> LibraryFunctions<Self, G>
}

/// The library's sampling functions that the tool calls, for one element type (`Scalar`) and one
/// generator type (`G`), as values with their arguments in the library's order.
///
/// A conformance of `LogitScalar` names each function once: the property's type picks the library's
/// overload for the element type, so a conformance holds no forwarding code.
struct LibraryFunctions<Scalar, G: CounterBasedRandomGenerator> {
    typealias Logits = UnsafeBufferPointer<Scalar>
    typealias Streams = UnsafeBufferPointer<RowStream>
    typealias Samples = UnsafeMutableBufferPointer<Scalar>
    typealias Indices = UnsafeMutableBufferPointer<Int>
    typealias Output = GumbelSoftmax.Output

    /// `GumbelSoftmax.sample(logits:rows:columns:temperature:output:into:using:threads:)`
    let sample: (Logits, Int, Int, Scalar, Output, Samples, inout G, Int?) throws(GumbelSoftmaxError) -> Void
    /// `GumbelSoftmax.sample(logits:rows:columns:temperature:output:streams:into:threads:)`
    let sampleRows: (Logits, Int, Int, Scalar, Output, Streams, Samples, Int?) throws(GumbelSoftmaxError) -> Void
    /// `GumbelSoftmax.categorical(logits:rows:columns:into:using:threads:)`
    let categorical: (Logits, Int, Int, Indices, inout G, Int?) throws(GumbelSoftmaxError) -> Void
    /// `GumbelSoftmax.categorical(logits:rows:columns:streams:into:threads:)`
    let categoricalRows: (Logits, Int, Int, Streams, Indices, Int?) throws(GumbelSoftmaxError) -> Void
    /// `GumbelSoftmax.topK(logits:rows:columns:k:into:using:threads:)`
    let topK: (Logits, Int, Int, Int, Indices, inout G, Int?) throws(GumbelSoftmaxError) -> Void
    /// `GumbelSoftmax.topK(logits:rows:columns:k:streams:into:threads:)`
    let topKRows: (Logits, Int, Int, Int, Streams, Indices, Int?) throws(GumbelSoftmaxError) -> Void
}

extension Float: LogitScalar {
    static var elementType: ElementType { .float32 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Float {
        strtof(text, end)
    }

    static func library<G: CounterBasedRandomGenerator>(using _: G.Type) -> LibraryFunctions<Float, G> {
        LibraryFunctions(
            sample: GumbelSoftmax.sample, sampleRows: GumbelSoftmax.sample, categorical: GumbelSoftmax.categorical,
            categoricalRows: GumbelSoftmax.categorical, topK: GumbelSoftmax.topK, topKRows: GumbelSoftmax.topK)
    }
}

extension Double: LogitScalar {
    static var elementType: ElementType { .float64 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Double {
        strtod(text, end)
    }

    static func library<G: CounterBasedRandomGenerator>(using _: G.Type) -> LibraryFunctions<Double, G> {
        LibraryFunctions(
            sample: GumbelSoftmax.sample, sampleRows: GumbelSoftmax.sample, categorical: GumbelSoftmax.categorical,
            categoricalRows: GumbelSoftmax.categorical, topK: GumbelSoftmax.topK, topKRows: GumbelSoftmax.topK)
    }
}
