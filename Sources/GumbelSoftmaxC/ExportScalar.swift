import CGumbelSoftmaxABI
import GumbelSoftmax

// The element types of the C ABI: `float` (the `gs_X` functions) and `double` (the `gs_X_f64`
// functions). Each export's body (the checks of its raw arguments, then the library call) is
// written once, generic over `ExportScalar`; a conformance only routes each library call to the
// library's public API of its type, whose float32 and float64 functions are overloads that a
// generic body cannot choose between.

/// `Float` or `Double`: the library's API of that element type, one requirement per library
/// call the exports make. `batch` carries the checked logits, shape, result and thread count.
protocol ExportScalar: BinaryFloatingPoint {
    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Self, Self>, temperature: Self, output: GumbelSoftmax.Output, using generator: inout G
    ) throws(GumbelSoftmaxError)

    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Self, Self>, temperatures: UnsafeBufferPointer<Self>, output: GumbelSoftmax.Output,
        using generator: inout G
    ) throws(GumbelSoftmaxError)

    static func sample(
        _ batch: Batch<Self, Self>, temperature: Self, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError)

    static func sample(
        _ batch: Batch<Self, Self>, temperatures: UnsafeBufferPointer<Self>, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError)

    static func categorical<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Self, Int64>, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError)

    static func categorical(
        _ batch: Batch<Self, Int64>, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError)

    static func topK<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Self, Int64>, k: Int, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError)

    static func topK(
        _ batch: Batch<Self, Int64>, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError)

    static func gumbelNoise<G: CounterBasedRandomGenerator>(
        _ noise: UnsafeMutableBufferPointer<Self>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError)

    static func backward(_ gradient: GradientBuffers<Self>, temperature: Self) throws(GumbelSoftmaxError)

    static func backward(
        _ gradient: GradientBuffers<Self>, temperatures: UnsafeBufferPointer<Self>
    ) throws(GumbelSoftmaxError)

    /// The Concrete log-density into `batch.result`: the library call, and any memory probe it needs.
    static func logDensity(
        of point: UnsafeBufferPointer<Self>, _ batch: Batch<Self, Double>, temperatures: UnsafeBufferPointer<Self>,
        space: ConcreteDistribution.Space
    ) throws(CallError)
}

/// The checked buffers of a gradient export.
struct GradientBuffers<Scalar> {
    let output: UnsafeBufferPointer<Scalar>
    let upstream: UnsafeBufferPointer<Scalar>
    let rows: Int
    let columns: Int
    let kind: GumbelSoftmax.Output
    let logitsGradient: UnsafeMutableBufferPointer<Scalar>
    let temperatureGradient: UnsafeMutableBufferPointer<Scalar>?
    let threads: Int?
}

extension Float: ExportScalar {
    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Float, Float>, temperature: Float, output: GumbelSoftmax.Output, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature, output: output,
            into: batch.result, using: &generator, threads: batch.threads)
    }

    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Float, Float>, temperatures: UnsafeBufferPointer<Float>, output: GumbelSoftmax.Output,
        using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
            output: output, into: batch.result, using: &generator, threads: batch.threads)
    }

    static func sample(
        _ batch: Batch<Float, Float>, temperature: Float, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature, output: output,
            streams: streams, into: batch.result, threads: batch.threads)
    }

    static func sample(
        _ batch: Batch<Float, Float>, temperatures: UnsafeBufferPointer<Float>, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
            output: output, streams: streams, into: batch.result, threads: batch.threads)
    }

    static func categorical<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Float, Int64>, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, into: indices, using: &generator,
            threads: batch.threads)
    }

    static func categorical(
        _ batch: Batch<Float, Int64>, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streams, into: indices,
            threads: batch.threads)
    }

    static func topK<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Float, Int64>, k: Int, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, into: indices, using: &generator,
            threads: batch.threads)
    }

    static func topK(
        _ batch: Batch<Float, Int64>, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streams, into: indices,
            threads: batch.threads)
    }

    static func gumbelNoise<G: CounterBasedRandomGenerator>(
        _ noise: UnsafeMutableBufferPointer<Float>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelNoise.fill(noise, using: &generator, threads: threads)
    }

    static func backward(_ gradient: GradientBuffers<Float>, temperature: Float) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.backward(
            output: gradient.output, upstream: gradient.upstream, rows: gradient.rows, columns: gradient.columns,
            temperature: temperature, kind: gradient.kind, logitsGradient: gradient.logitsGradient,
            temperatureGradient: gradient.temperatureGradient, threads: gradient.threads)
    }

    static func backward(
        _ gradient: GradientBuffers<Float>, temperatures: UnsafeBufferPointer<Float>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.backward(
            output: gradient.output, upstream: gradient.upstream, rows: gradient.rows, columns: gradient.columns,
            temperatures: temperatures, kind: gradient.kind, logitsGradient: gradient.logitsGradient,
            temperatureGradient: gradient.temperatureGradient, threads: gradient.threads)
    }

    /// The float32 density copies the logits and temperatures into a `ConcreteDistribution`:
    /// their memory is probed first (GS_OUT_OF_MEMORY instead of a trap).
    static func logDensity(
        of point: UnsafeBufferPointer<Float>, _ batch: Batch<Float, Double>, temperatures: UnsafeBufferPointer<Float>,
        space: ConcreteDistribution.Space
    ) throws(CallError) {
        try MemoryProbe.density(rows: batch.rows, columns: batch.columns)
        try callLibrary { () throws(GumbelSoftmaxError) in
            let distribution = try ConcreteDistribution(
                logits: Array(batch.logits), rows: batch.rows, columns: batch.columns,
                temperatures: Array(temperatures))
            try distribution.logDensity(point, space: space, into: batch.result, threads: batch.threads)
        }
    }
}

extension Double: ExportScalar {
    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Double, Double>, temperature: Double, output: GumbelSoftmax.Output, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature, output: output,
            into: batch.result, using: &generator, threads: batch.threads)
    }

    static func sample<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Double, Double>, temperatures: UnsafeBufferPointer<Double>, output: GumbelSoftmax.Output,
        using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
            output: output, into: batch.result, using: &generator, threads: batch.threads)
    }

    static func sample(
        _ batch: Batch<Double, Double>, temperature: Double, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature, output: output,
            streams: streams, into: batch.result, threads: batch.threads)
    }

    static func sample(
        _ batch: Batch<Double, Double>, temperatures: UnsafeBufferPointer<Double>, output: GumbelSoftmax.Output,
        streams: UnsafeBufferPointer<RowStream>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.sample(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
            output: output, streams: streams, into: batch.result, threads: batch.threads)
    }

    static func categorical<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Double, Int64>, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, into: indices, using: &generator,
            threads: batch.threads)
    }

    static func categorical(
        _ batch: Batch<Double, Int64>, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.categorical(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streams, into: indices,
            threads: batch.threads)
    }

    static func topK<G: CounterBasedRandomGenerator>(
        _ batch: Batch<Double, Int64>, k: Int, into indices: UnsafeMutableBufferPointer<Int>, using generator: inout G
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, into: indices, using: &generator,
            threads: batch.threads)
    }

    static func topK(
        _ batch: Batch<Double, Int64>, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into indices: UnsafeMutableBufferPointer<Int>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.topK(
            logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streams, into: indices,
            threads: batch.threads)
    }

    static func gumbelNoise<G: CounterBasedRandomGenerator>(
        _ noise: UnsafeMutableBufferPointer<Double>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try GumbelNoise.fill(noise, using: &generator, threads: threads)
    }

    static func backward(_ gradient: GradientBuffers<Double>, temperature: Double) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.backward(
            output: gradient.output, upstream: gradient.upstream, rows: gradient.rows, columns: gradient.columns,
            temperature: temperature, kind: gradient.kind, logitsGradient: gradient.logitsGradient,
            temperatureGradient: gradient.temperatureGradient, threads: gradient.threads)
    }

    static func backward(
        _ gradient: GradientBuffers<Double>, temperatures: UnsafeBufferPointer<Double>
    ) throws(GumbelSoftmaxError) {
        try GumbelSoftmax.backward(
            output: gradient.output, upstream: gradient.upstream, rows: gradient.rows, columns: gradient.columns,
            temperatures: temperatures, kind: gradient.kind, logitsGradient: gradient.logitsGradient,
            temperatureGradient: gradient.temperatureGradient, threads: gradient.threads)
    }

    /// The float64 density reads the caller's buffers in place: no copies to probe for.
    static func logDensity(
        of point: UnsafeBufferPointer<Double>, _ batch: Batch<Double, Double>,
        temperatures: UnsafeBufferPointer<Double>, space: ConcreteDistribution.Space
    ) throws(CallError) {
        try callLibrary { () throws(GumbelSoftmaxError) in
            try ConcreteDistribution.logDensity(
                of: point, logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
                space: space, into: batch.result, threads: batch.threads)
        }
    }
}
