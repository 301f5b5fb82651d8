import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// The functions of include/gumbel_softmax.h. Each checks its raw arguments, calls the library's
// buffer-based API, and returns a `gs_status`; nothing is thrown or trapped across the boundary.

/// `gs_output`.
enum OutputKind: Int32 {
    case soft = 0
    case log = 1
    case hard = 2

    var output: GumbelSoftmax.Output {
        switch self {
        case .soft: return .soft
        case .log: return .log
        case .hard: return .hard
        }
    }
}

/// The library version `gs_version` returns; the header's `GS_VERSION` must equal it.
let versionString = GumbelSoftmax.version
nonisolated(unsafe) let versionCString: UnsafeMutablePointer<CChar> = strdup(versionString)!

/// Status names for `gs_status_name`, allocated once.
nonisolated(unsafe) let statusNames: [UnsafeMutablePointer<CChar>] = Status.allCases.map { strdup($0.name)! }
nonisolated(unsafe) let unknownStatusName: UnsafeMutablePointer<CChar> = strdup("GS_UNKNOWN_STATUS")!

/// Returns the library version, a static string.
///
/// The corresponding C function is `gs_version` (include/gumbel_softmax.h).
@_cdecl("gs_version")
public func gsVersion() -> UnsafePointer<CChar> {
    UnsafePointer(versionCString)
}

/// Returns the name of a `gs_status` constant, a static string.
///
/// The corresponding C function is `gs_status_name` (include/gumbel_softmax.h).
@_cdecl("gs_status_name")
public func gsStatusName(_ status: Int32) -> UnsafePointer<CChar> {
    guard let known = Status(rawValue: status) else { return UnsafePointer(unknownStatusName) }
    return UnsafePointer(statusNames[Int(known.rawValue)])
}

/// Returns the calling thread's last error message, or "" after a success.
///
/// The corresponding C function is `gs_last_error_message` (include/gumbel_softmax.h).
@_cdecl("gs_last_error_message")
public func gsLastErrorMessage() -> UnsafePointer<CChar> {
    LastError.current
}

/// Copies the calling thread's last error message into a caller's buffer; returns its length.
///
/// The corresponding C function is `gs_copy_last_error_message` (include/gumbel_softmax.h).
@_cdecl("gs_copy_last_error_message")
public func gsCopyLastErrorMessage(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: UInt) -> UInt {
    let message = LastError.current
    let length = UInt(strlen(message))
    if let buffer, capacity > 0 {
        let n = min(length, capacity - 1)
        buffer.update(from: message, count: Int(n))
        buffer[Int(n)] = 0
    }
    return length
}

/// Samples a batch: soft, log-space or hard.
///
/// The corresponding C function is `gs_sample` (include/gumbel_softmax.h).
@_cdecl("gs_sample")
public func gsSample(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: Int32, _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let threads = try Arguments.threads(threads)
        let input = try Arguments.input(logits, count: logitsCount, name: "logits")
        let out = try Arguments.output(result, count: resultCount, name: "result")
        try Arguments.disjoint(input, "logits", out, "result")
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: input, rows: Int(rows), columns: Int(columns), temperature: temperature, output: kind.output,
                into: out, using: &generator, threads: threads)
        }
    }
}

/// Samples a batch with one temperature per row.
///
/// The corresponding C function is `gs_sample_per_row` (include/gumbel_softmax.h).
@_cdecl("gs_sample_per_row")
public func gsSamplePerRow(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperatureCount: Int64, _ output: Int32, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let threads = try Arguments.threads(threads)
        let input = try Arguments.input(logits, count: logitsCount, name: "logits")
        let temps = try Arguments.input(temperatures, count: temperatureCount, name: "temperatures")
        let out = try Arguments.output(result, count: resultCount, name: "result")
        try Arguments.disjoint(input, "logits", out, "result")
        try Arguments.disjoint(temps, "temperatures", out, "result")
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: input, rows: Int(rows), columns: Int(columns), temperatures: temps, output: kind.output,
                into: out, using: &generator, threads: threads)
        }
    }
}

/// Gumbel-max categorical indices, one per row.
///
/// The corresponding C function is `gs_categorical` (include/gumbel_softmax.h).
@_cdecl("gs_categorical")
public func gsCategorical(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let input = try Arguments.input(logits, count: logitsCount, name: "logits")
        let out = try Arguments.output(indices, count: indexCount, name: "indices")
        try Arguments.disjoint(input, "logits", out, "indices")
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        try out.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try library { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.categorical(
                    logits: input, rows: Int(rows), columns: Int(columns), into: ints, using: &generator,
                    threads: threads)
            }
        }
    }
}

/// Gumbel-top-k indices, `k` per row.
///
/// The corresponding C function is `gs_top_k` (include/gumbel_softmax.h).
@_cdecl("gs_top_k")
public func gsTopK(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let input = try Arguments.input(logits, count: logitsCount, name: "logits")
        let out = try Arguments.output(indices, count: indexCount, name: "indices")
        try Arguments.disjoint(input, "logits", out, "indices")
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        try out.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try library { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: input, rows: Int(rows), columns: Int(columns), k: Int(k), into: ints, using: &generator,
                    threads: threads)
            }
        }
    }
}

/// Raw Gumbel(0, 1) noise.
///
/// The corresponding C function is `gs_gumbel_noise` (include/gumbel_softmax.h).
@_cdecl("gs_gumbel_noise")
public func gsGumbelNoise(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let out = try Arguments.output(result, count: resultCount, name: "result")
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelNoise.fill(out, using: &generator, threads: threads)
        }
    }
}

/// The gradient's optional per-row temperature output: NULL with a count of 0 skips it.
private func optionalTemperatureGradient(
    _ pointer: UnsafeMutablePointer<Float>?, count: Int64
) throws(CallError)
    -> UnsafeMutableBufferPointer<Float>?
{
    if pointer == nil && count == 0 { return nil }
    return try Arguments.output(pointer, count: count, name: "temperature_gradient")
}

private func checkGradientBuffers(
    _ y: UnsafeBufferPointer<Float>, _ v: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>,
    _ t: UnsafeMutableBufferPointer<Float>?, _ temps: UnsafeBufferPointer<Float>?
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

/// The vector-Jacobian product of a sample (noise held fixed).
///
/// The corresponding C function is `gs_gradient` (include/gumbel_softmax.h).
@_cdecl("gs_gradient")
public func gsGradient(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperature: Float, _ kind: Int32, _ threads: Int32,
    _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, nil)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.backward(
                output: y, upstream: v, rows: Int(rows), columns: Int(columns), temperature: temperature,
                kind: kind.output, logitsGradient: g, temperatureGradient: t, threads: threads)
        }
    }
}

/// The vector-Jacobian product of a sample drawn with one temperature per row.
///
/// The corresponding C function is `gs_gradient_per_row` (include/gumbel_softmax.h).
@_cdecl("gs_gradient_per_row")
public func gsGradientPerRow(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64,
    _ kind: Int32, _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        let temps = try Arguments.input(temperatures, count: temperaturesCount, name: "temperatures")
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, temps)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.backward(
                output: y, upstream: v, rows: Int(rows), columns: Int(columns), temperatures: temps,
                kind: kind.output, logitsGradient: g, temperatureGradient: t, threads: threads)
        }
    }
}
