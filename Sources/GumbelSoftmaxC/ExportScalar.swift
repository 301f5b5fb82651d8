import CGumbelSoftmaxABI
@_spi(Exports) import GumbelSoftmax

// The element types of the C ABI: `float` (the `gs_X` functions) and `double` (the `gs_X_f64`
// functions). Each export's body (the checks of its raw arguments, then the library call) is
// written once, generic over `ExportScalar`, and calls the library's API layer, itself generic
// over `GumbelScalar` (its `@_spi(Exports)` entry points, prespecialised for Float and Double).
// Only the log-density differs per type: float32's goes through `ConcreteDistribution`, which
// copies its inputs, float64's reads them in place.

/// `Float` or `Double`: a scalar of the library's generic API layer, and its log-density call.
protocol ExportScalar: GumbelScalar {
    /// The Concrete log-density into `batch.result`: the library call, and any memory probe it needs.
    static func logDensity(
        of point: UnsafeBufferPointer<Self>, _ batch: Batch<Self, Double>, temperatures: UnsafeBufferPointer<Self>,
        space: ConcreteDistribution.Space
    ) throws(CallError)
}

extension Float: ExportScalar {
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
