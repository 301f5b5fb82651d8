// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
import GumbelSoftmax

// The Concrete log-density functions of include/gumbel_softmax.h (Maddison et al. 2017), float32
// and float64 points and logits (one generic body), evaluated in double.

/// The body of `gs_log_density` and `gs_log_density_f64`.
private func logDensity<Scalar: ExportScalar>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Scalar>?, _ temperaturesCount: Int64, _ point: UnsafePointer<Scalar>?,
    _ pointCount: Int64, _ space: gs_output, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: space, name: "space")
        guard kind != .hard else {
            throw CallError(
                GS_INVALID_ARGUMENT,
                "space must be GS_OUTPUT_SOFT (0, the simplex) or GS_OUTPUT_LOG (1, log space), got 2: "
                    + "a one-hot point has no density")
        }
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        let x = try batch.input(point, count: pointCount, name: "point")
        try Scalar.logDensity(of: x, batch, temperatures: temps, space: kind == .soft ? .simplex : .log)
    }
}

/// The Concrete or ExpConcrete log-density of each row of a point. The C function is `gs_log_density`.
@c @implementation
func gs_swift_log_density(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ point: UnsafePointer<Float>?,
    _ pointCount: Int64, _ space: gs_output, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    logDensity(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, point, pointCount, space, threads, result,
        resultCount)
}

/// The Concrete log-density of float64 points under float64 logits. The C function is
/// `gs_log_density_f64`.
@c @implementation
func gs_swift_log_density_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperaturesCount: Int64, _ point: UnsafePointer<Double>?,
    _ pointCount: Int64, _ space: gs_output, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    logDensity(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, point, pointCount, space, threads, result,
        resultCount)
}
