// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
@_spi(Exports) import GumbelSoftmax

// The sampling functions of include/gumbel_softmax.h: sample, sample per row, categorical, top-k
// and noise, in float32 (`gs_X`) and float64 (`gs_X_f64`), on Philox's stream (here) or JAX's
// (JAXExports.swift). Each is a thin wrapper over one generic body, generic over the element type
// (`ExportScalar`) and the generator, that checks the raw arguments (the preamble shared by the
// batch functions is `Batch`, in Arguments.swift), calls the library's buffer-based API (its
// generic layer, `@_spi(Exports)`) and returns a `gs_status`; nothing is thrown or trapped across
// the boundary. `@c @implementation` holds each function to the type CGumbelSoftmaxABI.h declares
// for it, the type of the header's `gs_X`: a mismatch fails to compile.

// MARK: One generic body per function

func sample<Scalar: ExportScalar, G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperature: Temperature<Scalar>, _ output: gs_output, _ generator: G, _ threads: Int32,
    _ result: UnsafeMutablePointer<Scalar>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let output = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temperatures: GumbelSoftmax.Temperatures<Scalar>
        switch temperature {
        case .scalar(let temperature):
            temperatures = .scalar(temperature)
        case .perRow(let pointer, let count):
            temperatures = .perRow(try batch.input(pointer, count: count, name: "temperatures"))
        }
        var generator = generator
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temperatures,
                output: output,
                into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

func categorical<Scalar: ExportScalar, G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ generator: G,
    _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        var generator = generator
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.categorical(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, into: ints, using: &generator,
                    threads: batch.threads)
            }
        }
    }
}

func topK<Scalar: ExportScalar, G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Scalar>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ generator: G, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        try MemoryProbe.topK(of: Scalar.self, rows: batch.rows, columns: batch.columns, k: k)
        var generator = generator
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, into: ints, using: &generator,
                    threads: batch.threads)
            }
        }
    }
}

func gumbelNoise<Scalar: ExportScalar, G: CounterBasedRandomGenerator>(
    _ generator: G, _ threads: Int32, _ result: UnsafeMutablePointer<Scalar>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let out = try Arguments.output(result, count: resultCount, name: "result")
        var generator = generator
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelNoise.fill(out, using: &generator, threads: threads)
        }
    }
}

// MARK: Philox

/// Samples a batch: soft, log-space or hard. The C function is `gs_sample`.
@c @implementation
func gs_swift_sample(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: gs_output, _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(
        logits, logitsCount, rows, columns, .scalar(temperature), output, generator, threads, result, resultCount)
}

/// Samples a batch with one temperature per row. The C function is `gs_sample_per_row`.
@c @implementation
func gs_swift_sample_per_row(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(
        logits, logitsCount, rows, columns, .perRow(temperatures, count: temperaturesCount), output, generator,
        threads, result, resultCount)
}

/// Gumbel-max categorical indices, one per row. The C function is `gs_categorical`.
@c @implementation
func gs_swift_categorical(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return categorical(logits, logitsCount, rows, columns, generator, threads, indices, indicesCount)
}

/// Gumbel-top-k indices, `k` per row. The C function is `gs_top_k`.
@c @implementation
func gs_swift_top_k(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return topK(logits, logitsCount, rows, columns, k, generator, threads, indices, indicesCount)
}

/// Raw Gumbel(0, 1) noise. The C function is `gs_gumbel_noise`.
@c @implementation
func gs_swift_gumbel_noise(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    gumbelNoise(PhiloxGenerator(seed: seed, stream: stream, position: position), threads, result, resultCount)
}

// MARK: Philox, float64 (contract 2.1, SPEC section 5: computed in float64 end to end)

/// Samples a float64 batch: soft, log-space or hard. The C function is `gs_sample_f64`.
@c @implementation
func gs_swift_sample_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double,
    _ output: gs_output, _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(
        logits, logitsCount, rows, columns, .scalar(temperature), output, generator, threads, result, resultCount)
}

/// Samples a float64 batch with one temperature per row. The C function is `gs_sample_per_row_f64`.
@c @implementation
func gs_swift_sample_per_row_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperaturesCount: Int64, _ output: gs_output, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(
        logits, logitsCount, rows, columns, .perRow(temperatures, count: temperaturesCount), output, generator,
        threads, result, resultCount)
}

/// Gumbel-max categorical indices of float64 logits. The C function is `gs_categorical_f64`.
@c @implementation
func gs_swift_categorical_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return categorical(logits, logitsCount, rows, columns, generator, threads, indices, indicesCount)
}

/// Gumbel-top-k indices of float64 logits, `k` per row. The C function is `gs_top_k_f64`.
@c @implementation
func gs_swift_top_k_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return topK(logits, logitsCount, rows, columns, k, generator, threads, indices, indicesCount)
}

/// Raw float64 Gumbel(0, 1) noise. The C function is `gs_gumbel_noise_f64`.
@c @implementation
func gs_swift_gumbel_noise_f64(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    gumbelNoise(PhiloxGenerator(seed: seed, stream: stream, position: position), threads, result, resultCount)
}
