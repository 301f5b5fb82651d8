// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
@_spi(Exports) import GumbelSoftmax

// The gradient functions of include/gumbel_softmax.h: the vector-Jacobian product of a sample with
// the noise held fixed, for one temperature or one per row, in float32 and float64 (one generic
// body). Arguments are checked as in SamplingExports.swift, and no output may overlap an input.

/// The gradient's optional per-row temperature output: NULL with a count of 0 skips it.
func optionalTemperatureGradient<Scalar>(
    _ pointer: UnsafeMutablePointer<Scalar>?, count: Int64
) throws(CallError)
    -> UnsafeMutableBufferPointer<Scalar>?
{
    if pointer == nil && count == 0 { return nil }
    return try Arguments.output(pointer, count: count, name: "temperature_gradient")
}

func checkGradientBuffers<Scalar>(
    _ y: UnsafeBufferPointer<Scalar>, _ v: UnsafeBufferPointer<Scalar>, _ g: UnsafeMutableBufferPointer<Scalar>,
    _ t: UnsafeMutableBufferPointer<Scalar>?, _ temps: UnsafeBufferPointer<Scalar>?
) throws(CallError) {
    try Arguments.disjoint(y, "output", g, "logits_gradient")
    try Arguments.disjoint(v, "upstream", g, "logits_gradient")
    if let temps { try Arguments.disjoint(temps, "temperatures", g, "logits_gradient") }
    if let t {
        try Arguments.disjoint(y, "output", t, "temperature_gradient")
        try Arguments.disjoint(v, "upstream", t, "temperature_gradient")
        try Arguments.disjoint(UnsafeBufferPointer(g), "logits_gradient", t, "temperature_gradient")
        if let temps { try Arguments.disjoint(temps, "temperatures", t, "temperature_gradient") }
    }
}

/// The body of every gradient export, float32 and float64.
private func gradient<Scalar: ExportScalar>(
    _ output: UnsafePointer<Scalar>?, _ outputCount: Int64, _ upstream: UnsafePointer<Scalar>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Temperature<Scalar>, _ kind: gs_output,
    _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Scalar>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Scalar>?, _ temperatureGradientCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let (rows, columns) = try Arguments.shape(rows: rows, columns: columns)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        var scalar: Scalar = 0
        var temps: UnsafeBufferPointer<Scalar>?
        switch temperature {
        case .scalar(let value): scalar = value
        case .perRow(let pointer, let count): temps = try Arguments.input(pointer, count: count, name: "temperatures")
        }
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, temps)
        try callLibrary(output: "output") { () throws(GumbelSoftmaxError) in
            if let temps {
                try GumbelSoftmax.backward(
                    output: y, upstream: v, rows: rows, columns: columns, temperatures: temps, kind: kind,
                    logitsGradient: g, temperatureGradient: t, threads: threads)
            } else {
                try GumbelSoftmax.backward(
                    output: y, upstream: v, rows: rows, columns: columns, temperature: scalar, kind: kind,
                    logitsGradient: g, temperatureGradient: t, threads: threads)
            }
        }
    }
}

/// The vector-Jacobian product of a sample (noise held fixed). The C function is `gs_gradient`.
@c @implementation
func gs_swift_gradient(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperature: Float, _ kind: gs_output, _ threads: Int32,
    _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> gs_status {
    gradient(
        output, outputCount, upstream, upstreamCount, rows, columns, .scalar(temperature), kind, threads,
        logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
}

/// The vector-Jacobian product of a sample drawn with one temperature per row. The C function is
/// `gs_gradient_per_row`.
@c @implementation
func gs_swift_gradient_per_row(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64,
    _ kind: gs_output, _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> gs_status {
    gradient(
        output, outputCount, upstream, upstreamCount, rows, columns, .perRow(temperatures, count: temperaturesCount),
        kind, threads, logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
}

/// The float64 vector-Jacobian product of a float64 sample (noise held fixed). The C function is
/// `gs_gradient_f64`.
@c @implementation
func gs_swift_gradient_f64(
    _ output: UnsafePointer<Double>?, _ outputCount: Int64, _ upstream: UnsafePointer<Double>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double, _ kind: gs_output,
    _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Double>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Double>?, _ temperatureGradientCount: Int64
) -> gs_status {
    gradient(
        output, outputCount, upstream, upstreamCount, rows, columns, .scalar(temperature), kind, threads,
        logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
}

/// The float64 vector-Jacobian product of a float64 sample drawn with one temperature per row.
/// The C function is `gs_gradient_per_row_f64`.
@c @implementation
func gs_swift_gradient_per_row_f64(
    _ output: UnsafePointer<Double>?, _ outputCount: Int64, _ upstream: UnsafePointer<Double>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Double>?,
    _ temperaturesCount: Int64, _ kind: gs_output, _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Double>?,
    _ logitsGradientCount: Int64, _ temperatureGradient: UnsafeMutablePointer<Double>?,
    _ temperatureGradientCount: Int64
) -> gs_status {
    gradient(
        output, outputCount, upstream, upstreamCount, rows, columns, .perRow(temperatures, count: temperaturesCount),
        kind, threads, logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
}
