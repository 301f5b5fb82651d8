// swift-format-ignore-file: AlwaysUseLowerCamelCase
import CGumbelSoftmaxABI
import GumbelSoftmax

// The `_jax` functions of include/gumbel_softmax.h: the sampling functions of SamplingExports.swift
// (the same generic bodies) on JAX's threefry stream of a key `(key0, key1)` at `position`, in
// float32 (`gs_X_jax`) and float64 (`gs_X_jax_f64`, with JAX's float64 uniforms, as under
// `jax_enable_x64`), and the key of a JAX seed.

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

// MARK: float32

/// As `gs_sample`, with JAX's threefry stream of the key `(key0, key1)`. The C function is `gs_sample_jax`.
@c @implementation
func gs_swift_sample_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: gs_output, _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(
        logits, logitsCount, rows, columns, .scalar(temperature), output, generator, threads, result, resultCount)
}

/// As `gs_sample_per_row`, with JAX's threefry stream. The C function is `gs_sample_per_row_jax`.
@c @implementation
func gs_swift_sample_per_row_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64, _ output: gs_output, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(
        logits, logitsCount, rows, columns, .perRow(temperatures, count: temperaturesCount), output, generator,
        threads, result, resultCount)
}

/// As `gs_categorical`, with JAX's threefry stream (`jax.random.categorical`). The C function is
/// `gs_categorical_jax`.
@c @implementation
func gs_swift_categorical_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return categorical(logits, logitsCount, rows, columns, generator, threads, indices, indicesCount)
}

/// As `gs_top_k`, with JAX's threefry stream. The C function is `gs_top_k_jax`.
@c @implementation
func gs_swift_top_k_jax(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return topK(logits, logitsCount, rows, columns, k, generator, threads, indices, indicesCount)
}

/// As `gs_gumbel_noise`, with JAX's threefry stream (`jax.random.gumbel`). The C function is
/// `gs_gumbel_noise_jax`.
@c @implementation
func gs_swift_gumbel_noise_jax(
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> gs_status {
    gumbelNoise(ThreefryJAXGenerator(key: (key0, key1), position: position), threads, result, resultCount)
}

// MARK: float64, with JAX's float64 uniforms (`jax_enable_x64`)

/// As `gs_sample_f64`, with JAX's threefry stream. The C function is `gs_sample_jax_f64`.
@c @implementation
func gs_swift_sample_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Double,
    _ output: gs_output, _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Double>?, _ resultCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(
        logits, logitsCount, rows, columns, .scalar(temperature), output, generator, threads, result, resultCount)
}

/// As `gs_sample_per_row_f64`, with JAX's threefry stream. The C function is
/// `gs_sample_per_row_jax_f64`.
@c @implementation
func gs_swift_sample_per_row_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Double>?, _ temperaturesCount: Int64, _ output: gs_output, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(
        logits, logitsCount, rows, columns, .perRow(temperatures, count: temperaturesCount), output, generator,
        threads, result, resultCount)
}

/// As `gs_categorical_f64`, with JAX's threefry stream (`jax.random.categorical` of float64
/// logits). The C function is `gs_categorical_jax_f64`.
@c @implementation
func gs_swift_categorical_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return categorical(logits, logitsCount, rows, columns, generator, threads, indices, indicesCount)
}

/// As `gs_top_k_f64`, with JAX's threefry stream. The C function is `gs_top_k_jax_f64`.
@c @implementation
func gs_swift_top_k_jax_f64(
    _ logits: UnsafePointer<Double>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indicesCount: Int64
) -> gs_status {
    let generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return topK(logits, logitsCount, rows, columns, k, generator, threads, indices, indicesCount)
}

/// As `gs_gumbel_noise_f64`, with JAX's threefry stream: `jax.random.gumbel(key, shape,
/// jnp.float64).ravel()` under `jax_enable_x64` at position 0. The C function is
/// `gs_gumbel_noise_jax_f64`.
@c @implementation
func gs_swift_gumbel_noise_jax_f64(
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> gs_status {
    gumbelNoise(ThreefryJAXGenerator(key: (key0, key1), position: position), threads, result, resultCount)
}
