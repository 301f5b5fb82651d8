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

/// A type the tool computes in (`Float` or `Double`): the library's overloads for it, and how CSV
/// text is read as it.
protocol LogitScalar: ResultElement, NpyElement, BinaryFloatingPoint, LosslessStringConvertible {
    /// The name in messages and of `--dtype`.
    static var elementType: ElementType { get }

    /// `strtof` or `strtod`.
    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Self

    static func sample<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, temperature: Self,
        output: GumbelSoftmax.Output, into result: UnsafeMutableBufferPointer<Self>, using generator: inout G,
        threads: Int?
    ) throws(GumbelSoftmaxError)

    static func sample(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, temperature: Self,
        output: GumbelSoftmax.Output, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Self>, threads: Int?
    ) throws(GumbelSoftmaxError)

    static func categorical<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError)

    static func categorical(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError)

    static func topK<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError)

    static func topK(
        _ logits: UnsafeBufferPointer<Self>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError)
}

// The two conformances forward to the library's Float and Double overloads of the same names: the
// bodies read alike, and overload resolution picks a different function in each.

extension Float: LogitScalar {
    static var elementType: ElementType { .float32 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Float {
        strtof(text, end)
    }

    static func sample<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float,
        output: GumbelSoftmax.Output, into result: UnsafeMutableBufferPointer<Float>, using generator: inout G,
        threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, into: result,
            using: &generator, threads: threads)
    }

    static func sample(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, temperature: Float,
        output: GumbelSoftmax.Output, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Float>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, streams: streams,
            into: result, threads: threads)
    }

    static func categorical<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: logits, rows: rows, columns: columns, into: result, using: &generator, threads: threads)
    }

    static func categorical(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: logits, rows: rows, columns: columns, streams: streams, into: result, threads: threads)
    }

    static func topK<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: logits, rows: rows, columns: columns, k: k, into: result, using: &generator, threads: threads)
    }

    static func topK(
        _ logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: logits, rows: rows, columns: columns, k: k, streams: streams, into: result, threads: threads)
    }
}

extension Double: LogitScalar {
    static var elementType: ElementType { .float64 }

    static func parse(_ text: UnsafePointer<CChar>, end: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Double {
        strtod(text, end)
    }

    static func sample<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double,
        output: GumbelSoftmax.Output, into result: UnsafeMutableBufferPointer<Double>, using generator: inout G,
        threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, into: result,
            using: &generator, threads: threads)
    }

    static func sample(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, temperature: Double,
        output: GumbelSoftmax.Output, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Double>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, streams: streams,
            into: result, threads: threads)
    }

    static func categorical<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: logits, rows: rows, columns: columns, into: result, using: &generator, threads: threads)
    }

    static func categorical(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: logits, rows: rows, columns: columns, streams: streams, into: result, threads: threads)
    }

    static func topK<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: logits, rows: rows, columns: columns, k: k, into: result, using: &generator, threads: threads)
    }

    static func topK(
        _ logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: logits, rows: rows, columns: columns, k: k, streams: streams, into: result, threads: threads)
    }
}
