// swift-format-ignore-file: AlwaysUseLowerCamelCase

import CGumbelSoftmaxABI
import GumbelSoftmax

// The float64 functions of include/gumbel_softmax.h (contract 2.1, SPEC section 5): `gs_X_f64`
// takes `double` logits, temperatures and outputs and computes in float64 end to end. Each checks
// its raw arguments like its float32 counterpart (`Batch`: the thread count, the shape,
// non-NULL buffers where counted, outputs not overlapping inputs) and calls the library's Double
// API. `@c @implementation` holds each function to the type CGumbelSoftmaxABI.h declares for it.

/// Samples a float64 batch: soft, log-space or hard.
///
/// The C function is `gs_sample_f64`.
@c @implementation
func gs_swift_sample_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double,
    _ output: gs_output, _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sampleFloat64(
        logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// As `gs_sample_f64`, with JAX's threefry stream and JAX's float64 uniforms (`jax_enable_x64`).
///
/// The C function is `gs_sample_jax_f64`.
@c @implementation
func gs_swift_sample_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double,
    _ output: gs_output, _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sampleFloat64(
        logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// The body of `gs_sample_f64` and `gs_sample_jax_f64`.
private func sampleFloat64<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double,
    _ output: gs_output, _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature,
                output: kind, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

/// Samples a float64 batch with one temperature per row.
///
/// The C function is `gs_sample_per_row_f64`.
@c @implementation
func gs_swift_sample_per_row_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperatureCount: Int64, _ output: gs_output, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return samplePerRowFloat64(
        logits, logitsCount, rows, columns, temperatures, temperatureCount, output, &generator, threads, result,
        resultCount)
}

/// As `gs_sample_per_row_f64`, with JAX's threefry stream and JAX's float64 uniforms.
///
/// The C function is `gs_sample_per_row_jax_f64`.
@c @implementation
func gs_swift_sample_per_row_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperatureCount: Int64, _ output: gs_output, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return samplePerRowFloat64(
        logits, logitsCount, rows, columns, temperatures, temperatureCount, output, &generator, threads, result,
        resultCount)
}

/// The body of `gs_sample_per_row_f64` and `gs_sample_per_row_jax_f64`.
private func samplePerRowFloat64<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperatureCount: Int64, _ output: gs_output, _ generator: inout G,
    _ threads: Int32, _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temps = try batch.input(temperatures, count: temperatureCount, name: "temperatures")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                output: kind, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

/// Gumbel-max categorical indices of float64 logits, one per row.
///
/// The C function is `gs_categorical_f64`.
@c @implementation
func gs_swift_categorical_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return categoricalFloat64(logits, logitsCount, rows, columns, &generator, threads, indices, indexCount)
}

/// As `gs_categorical_f64`, with JAX's threefry stream and JAX's float64 uniforms
/// (`jax.random.categorical` under `jax_enable_x64`).
///
/// The C function is `gs_categorical_jax_f64`.
@c @implementation
func gs_swift_categorical_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return categoricalFloat64(logits, logitsCount, rows, columns, &generator, threads, indices, indexCount)
}

/// The body of `gs_categorical_f64` and `gs_categorical_jax_f64`.
private func categoricalFloat64<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ generator: inout G,
    _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.categorical(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, into: ints, using: &generator,
                    threads: batch.threads)
            }
        }
    }
}

/// Gumbel-top-k indices of float64 logits, `k` per row.
///
/// The C function is `gs_top_k_f64`.
@c @implementation
func gs_swift_top_k_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return topKFloat64(logits, logitsCount, rows, columns, k, &generator, threads, indices, indexCount)
}

/// As `gs_top_k_f64`, with JAX's threefry stream and JAX's float64 uniforms (`jax_enable_x64`).
///
/// The C function is `gs_top_k_jax_f64`.
@c @implementation
func gs_swift_top_k_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return topKFloat64(logits, logitsCount, rows, columns, k, &generator, threads, indices, indexCount)
}

/// The body of `gs_top_k_f64` and `gs_top_k_jax_f64`.
private func topKFloat64<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ generator: inout G, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        try MemoryProbe.topK(rows: batch.rows, columns: batch.columns, k: k)
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, into: ints,
                    using: &generator, threads: batch.threads)
            }
        }
    }
}

/// Raw float64 Gumbel(0, 1) noise.
///
/// The C function is `gs_gumbel_noise_f64`.
@c @implementation
func gs_swift_gumbel_noise_f64(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return gumbelNoiseFloat64(&generator, threads, result, resultCount)
}

/// As `gs_gumbel_noise_f64`, with JAX's threefry stream: `jax.random.gumbel(key, shape,
/// jnp.float64).ravel()` under `jax_enable_x64` at position 0.
///
/// The C function is `gs_gumbel_noise_jax_f64`.
@c @implementation
func gs_swift_gumbel_noise_jax_f64(
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return gumbelNoiseFloat64(&generator, threads, result, resultCount)
}

/// The body of `gs_gumbel_noise_f64` and `gs_gumbel_noise_jax_f64`.
private func gumbelNoiseFloat64<G: CounterBasedRandomGenerator>(
    _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let out = try Arguments.output(result, count: resultCount, name: "result")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelNoise.fill(out, using: &generator, threads: threads)
        }
    }
}

/// The float64 vector-Jacobian product of a float64 sample (noise held fixed), with one
/// temperature (`temperatureCount` 1) or one per row.
///
/// The body of `gs_gradient_f64` and `gs_gradient_per_row_f64`.
private func gradientFloat64(
    _ output: UnsafePointer<Double>?, _ outputCount: Int64, _ upstream: UnsafePointer<Double>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Double>?,
    _ temperaturesCount: Int64, perRow: Bool, _ kind: gs_output, _ threads: Int32,
    _ logitsGradient: UnsafeMutablePointer<Double>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Double>?, _ temperatureGradientCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let (rows, columns) = try Arguments.shape(rows: rows, columns: columns)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        let temps = try Arguments.input(temperatures, count: temperaturesCount, name: "temperatures")
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, temps)
        try callLibrary(output: "output") { () throws(GumbelSoftmaxError) in
            if perRow {
                try GumbelSoftmax.backward(
                    output: y, upstream: v, rows: rows, columns: columns, temperatures: temps, kind: kind,
                    logitsGradient: g, temperatureGradient: t, threads: threads)
            } else {
                try GumbelSoftmax.backward(
                    output: y, upstream: v, rows: rows, columns: columns, temperature: temps[0], kind: kind,
                    logitsGradient: g, temperatureGradient: t, threads: threads)
            }
        }
    }
}

/// The float64 vector-Jacobian product of a float64 sample (noise held fixed).
///
/// The C function is `gs_gradient_f64`.
@c @implementation
func gs_swift_gradient_f64(
    _ output: UnsafePointer<Double>?, _ outputCount: Int64, _ upstream: UnsafePointer<Double>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double, _ kind: gs_output,
    _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Double>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Double>?, _ temperatureGradientCount: Int64
) -> gs_status {
    withUnsafePointer(to: temperature) { t in
        gradientFloat64(
            output, outputCount, upstream, upstreamCount, rows, columns, t, 1, perRow: false, kind, threads,
            logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
    }
}

/// The float64 vector-Jacobian product of a float64 sample drawn with one temperature per row.
///
/// The C function is `gs_gradient_per_row_f64`.
@c @implementation
func gs_swift_gradient_per_row_f64(
    _ output: UnsafePointer<Double>?, _ outputCount: Int64, _ upstream: UnsafePointer<Double>?,
    _ upstreamCount: Int64, _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Double>?,
    _ temperaturesCount: Int64, _ kind: gs_output, _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Double>?,
    _ logitsGradientCount: Int64, _ temperatureGradient: UnsafeMutablePointer<Double>?,
    _ temperatureGradientCount: Int64
) -> gs_status {
    gradientFloat64(
        output, outputCount, upstream, upstreamCount, rows, columns, temperatures, temperaturesCount, perRow: true,
        kind, threads, logitsGradient, logitsGradientCount, temperatureGradient, temperatureGradientCount)
}

/// The Concrete log-density of float64 points under float64 logits, one temperature per row.
///
/// The C function is `gs_log_density_f64`.
@c @implementation
func gs_swift_log_density_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperatureCount: Int64, _ point: UnsafePointer<Double>?,
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
        let temps = try batch.input(temperatures, count: temperatureCount, name: "temperatures")
        let x = try batch.input(point, count: pointCount, name: "point")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try ConcreteDistribution.logDensity(
                of: x, logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                space: kind == .soft ? .simplex : .log, into: batch.result, threads: batch.threads)
        }
    }
}

/// Samples a float64 batch, one Philox stream per row.
///
/// The C function is `gs_sample_rows_f64`.
@c @implementation
func gs_swift_sample_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperaturesCount: Int64, _ output: gs_output,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        // One temperature for every row (temperatures_count 1), or one per row.
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount, of: batch)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                if temps.count == 1 && batch.rows != 1 {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temps[0],
                        output: kind, streams: streamBuffer, into: batch.result, threads: batch.threads)
                } else {
                    try GumbelSoftmax.sample(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                        output: kind, streams: streamBuffer, into: batch.result, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-max categorical indices of float64 logits, one Philox stream per row.
///
/// The C function is `gs_categorical_rows_f64`.
@c @implementation
func gs_swift_categorical_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount, of: batch)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try callLibrary { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.categorical(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}

/// Gumbel-top-k indices of float64 logits, one Philox stream per row.
///
/// The C function is `gs_top_k_rows_f64`.
@c @implementation
func gs_swift_top_k_rows_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seeds: UnsafePointer<UInt64>?, _ streams: UnsafePointer<UInt64>?, _ positions: UnsafePointer<UInt64>?,
    _ streamsCount: Int64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        try MemoryProbe.topK(rows: batch.rows, columns: batch.columns, k: k)
        let rowStreams = try rowStreams(seeds, streams, positions, count: streamsCount, of: batch)
        try rowStreams.withUnsafeBufferPointer { (streamBuffer) throws(CallError) in
            try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
                try callLibrary { () throws(GumbelSoftmaxError) in
                    try GumbelSoftmax.topK(
                        logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, streams: streamBuffer,
                        into: ints, threads: batch.threads)
                }
            }
        }
    }
}
