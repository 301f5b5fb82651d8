// The API layer's entry points for the C exports (GumbelSoftmaxC) and the `gumbel` tool: the
// buffer-based functions, generic over `GumbelScalar`, so that a caller written once over the
// element type calls them directly instead of choosing between the per-type public overloads.
//
// They are `@_spi(Exports)`: outside the documented API (a client sees them only with
// `@_spi(Exports) import GumbelSoftmax`). Each is prespecialised (`@_specialize(exported: true)`)
// for Float and Double, and those taking a generator for the two generators the callers use,
// Philox and JAX's Threefry, so a caller in another module runs code specialised for both types;
// with another generator type it runs unspecialised over the generator, as a public function
// does. Each body is the public functions': `advancing(rows:columns:_:)` to the words, then the
// generic over the scalar type.

@_spi(Exports)
extension GumbelSoftmax {
    /// `sample(logits:rows:columns:temperature:output:into:using:threads:)` and its per-row form.
    @_specialize(exported:true,where Scalar == Float, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Double, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Float, G == ThreefryJAXGenerator)
    @_specialize(exported:true,where Scalar == Double, G == ThreefryJAXGenerator)
    public static func sample<Scalar: GumbelScalar, G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, temperatures: Temperatures<Scalar>,
        output: Output, into result: UnsafeMutableBufferPointer<Scalar>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: temperatures, kind: output.kind,
                output: result, indices: nil, words: words, threads: threads)
        }
    }

    /// `sample(logits:rows:columns:temperature:output:streams:into:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func sample<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, temperature: Scalar, output: Output,
        streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Scalar>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// `sample(logits:rows:columns:temperatures:output:streams:into:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func sample<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, temperatures: UnsafeBufferPointer<Scalar>,
        output: Output, streams: UnsafeBufferPointer<RowStream>, into result: UnsafeMutableBufferPointer<Scalar>,
        threads: Int?
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .perRow(temperatures), kind: output.kind,
            output: result, indices: nil, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// `categorical(logits:rows:columns:into:using:threads:)`.
    @_specialize(exported:true,where Scalar == Float, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Double, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Float, G == ThreefryJAXGenerator)
    @_specialize(exported:true,where Scalar == Double, G == ThreefryJAXGenerator)
    public static func categorical<Scalar: GumbelScalar, G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try run(
                logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical,
                output: nil, indices: result, words: words, threads: threads)
        }
    }

    /// `categorical(logits:rows:columns:streams:into:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func categorical<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try run(
            logits: logits, rows: rows, columns: columns, temperatures: .scalar(1), kind: .categorical, output: nil,
            indices: result, words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// `topK(logits:rows:columns:k:into:using:threads:)`.
    @_specialize(exported:true,where Scalar == Float, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Double, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Float, G == ThreefryJAXGenerator)
    @_specialize(exported:true,where Scalar == Double, G == ThreefryJAXGenerator)
    public static func topK<Scalar: GumbelScalar, G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try runTopK(
                logits: logits, rows: rows, columns: columns, k: k, into: result, words: words, threads: threads)
        }
    }

    /// `topK(logits:rows:columns:k:streams:into:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func topK<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, k: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try runTopK(
            logits: logits, rows: rows, columns: columns, k: k, into: result,
            words: try rowWords(streams, rows: rows, columns: columns), threads: threads)
    }

    /// `backward(output:upstream:rows:columns:temperature:kind:logitsGradient:temperatureGradient:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func backward<Scalar: GumbelScalar>(
        output: UnsafeBufferPointer<Scalar>, upstream: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
        temperature: Scalar, kind: Output, logitsGradient: UnsafeMutableBufferPointer<Scalar>,
        temperatureGradient: UnsafeMutableBufferPointer<Scalar>?, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try runBackward(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .scalar(temperature),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }

    /// `backward(output:upstream:rows:columns:temperatures:kind:logitsGradient:temperatureGradient:threads:)`.
    @_specialize(exported:true,where Scalar == Float)
    @_specialize(exported:true,where Scalar == Double)
    public static func backward<Scalar: GumbelScalar>(
        output: UnsafeBufferPointer<Scalar>, upstream: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
        temperatures: UnsafeBufferPointer<Scalar>, kind: Output, logitsGradient: UnsafeMutableBufferPointer<Scalar>,
        temperatureGradient: UnsafeMutableBufferPointer<Scalar>?, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try runBackward(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .perRow(temperatures),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }
}

@_spi(Exports)
extension GumbelNoise {
    /// `fill(_:using:threads:)`.
    @_specialize(exported:true,where Scalar == Float, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Double, G == PhiloxGenerator)
    @_specialize(exported:true,where Scalar == Float, G == ThreefryJAXGenerator)
    @_specialize(exported:true,where Scalar == Double, G == ThreefryJAXGenerator)
    public static func fill<Scalar: GumbelScalar, G: CounterBasedRandomGenerator>(
        _ buffer: UnsafeMutableBufferPointer<Scalar>, using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: 1, columns: buffer.count) { (words) throws(GumbelSoftmaxError) in
            try fillNoise(buffer, words: words, threads: threads)
        }
    }
}
