// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
import GumbelSoftmax

// The sampling functions of include/gumbel_softmax.h: sample, sample per row, categorical, top-k
// and noise, each in two forms, one per generator: `gs_X` (Philox: seed, stream, position) and
// `gs_X_jax` (JAX's threefry: key words, position), thin wrappers over one generic body. Each
// checks its raw arguments (the preamble shared by the batch functions is `Batch`, in
// Arguments.swift), calls the library's buffer-based API and returns a `gs_status`; nothing is
// thrown or trapped across the boundary. `@c @implementation` holds each function to the type
// CGumbelSoftmaxABI.h declares for it, the type of the header's `gs_X`: a mismatch fails to compile.

// MARK: One generic body per function

func sample<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: gs_output, _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let output = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature,
                output: output, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

func samplePerRow<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output, _ generator: inout G,
    _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let output = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temps = try batch.input(temperatures, count: temperaturesCount, name: "temperatures")
        try callLibrary { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                output: output, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

func categorical<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ generator: inout G,
    _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try callLibrary { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.categorical(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, into: ints, using: &generator,
                    threads: batch.threads)
            }
        }
    }
}

func topK<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ generator: inout G, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indicesCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indicesCount, resultName: "indices")
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

func gumbelNoise<G: CounterBasedRandomGenerator>(
    _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    runCall { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let out = try Arguments.output(result, count: resultCount, name: "result")
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
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// Samples a batch with one temperature per row. The C function is `gs_sample_per_row`.
@c @implementation
func gs_swift_sample_per_row(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return samplePerRow(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, output, &generator, threads, result,
        resultCount)
}

/// Gumbel-max categorical indices, one per row. The C function is `gs_categorical`.
@c @implementation
func gs_swift_categorical(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return categorical(logits, logitsCount, rows, columns, &generator, threads, indices, indicesCount)
}

/// Gumbel-top-k indices, `k` per row. The C function is `gs_top_k`.
@c @implementation
func gs_swift_top_k(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return topK(logits, logitsCount, rows, columns, k, &generator, threads, indices, indicesCount)
}

/// Raw Gumbel(0, 1) noise. The C function is `gs_gumbel_noise`.
@c @implementation
func gs_swift_gumbel_noise(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return gumbelNoise(&generator, threads, result, resultCount)
}

// MARK: JAX's threefry

/// Writes the key words of `jax.random.PRNGKey(seed)`. The C function is `gs_jax_key`, the one
/// source of that key for Python too.
@c @implementation
func gs_swift_jax_key(_ seed: Int64, _ enableX64: Int32, _ key: UnsafeMutablePointer<UInt32>?) -> gs_status {
    runCall { () throws(CallError) in
        guard enableX64 == 0 || enableX64 == 1 else {
            throw CallError(GS_INVALID_ARGUMENT, "enable_x64 must be 0 or 1, got \(enableX64)")
        }
        guard let key else { throw CallError(GS_NULL_POINTER, "key is NULL") }
        let generator = ThreefryJAXGenerator(seed: UInt64(bitPattern: seed), enableX64: enableX64 == 1)
        (key[0], key[1]) = generator.key
    }
}

/// As `gs_sample`, with JAX's threefry stream of the key `(key0, key1)`. The C function is `gs_sample_jax`.
@c @implementation
func gs_swift_sample_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: gs_output, _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// As `gs_sample_per_row`, with JAX's threefry stream. The C function is `gs_sample_per_row_jax`.
@c @implementation
func gs_swift_sample_per_row_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return samplePerRow(
        logits, logitsCount, rows, columns, temperatures, temperaturesCount, output, &generator, threads, result,
        resultCount)
}

/// As `gs_categorical`, with JAX's threefry stream (`jax.random.categorical`). The C function is
/// `gs_categorical_jax`.
@c @implementation
func gs_swift_categorical_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return categorical(logits, logitsCount, rows, columns, &generator, threads, indices, indicesCount)
}

/// As `gs_top_k`, with JAX's threefry stream. The C function is `gs_top_k_jax`.
@c @implementation
func gs_swift_top_k_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return topK(logits, logitsCount, rows, columns, k, &generator, threads, indices, indicesCount)
}

/// As `gs_gumbel_noise`, with JAX's threefry stream (`jax.random.gumbel`). The C function is
/// `gs_gumbel_noise_jax`.
@c @implementation
func gs_swift_gumbel_noise_jax(
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return gumbelNoise(&generator, threads, result, resultCount)
}
