@_spi(Kernel) import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// The functions of include/gumbel_softmax.h. Each checks its raw arguments (the preamble shared
// by the batch functions is `Batch`, in Arguments.swift), calls the library's buffer-based API,
// and returns a `gs_status`; nothing is thrown or trapped across the boundary. Sampling exports
// come in pairs, one per generator: `gs_X` (Philox: seed, stream, position) and `gs_X_jax` (JAX's
// threefry: key words, position), both thin wrappers over one generic function.

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
/// (It must equal `GumbelSoftmax.version`; the C and Python tests compare the three.)
let versionString: StaticString = "0.2.0"

/// Returns the library version, a static string.
///
/// The corresponding C function is `gs_version` (include/gumbel_softmax.h).
@_cdecl("gs_swift_version")
public func gsVersion() -> UnsafePointer<CChar> {
    cString(versionString)
}

/// Returns the name of a `gs_status` constant, a static string.
///
/// The corresponding C function is `gs_status_name` (include/gumbel_softmax.h).
@_cdecl("gs_swift_status_name")
public func gsStatusName(_ status: Int32) -> UnsafePointer<CChar> {
    guard let known = Status(rawValue: status) else { return cString("GS_UNKNOWN_STATUS") }
    return cString(known.name)
}

/// Returns the calling thread's last error message, or "" after a success.
///
/// The corresponding C function is `gs_last_error_message` (include/gumbel_softmax.h).
@_cdecl("gs_swift_last_error_message")
public func gsLastErrorMessage() -> UnsafePointer<CChar> {
    LastError.current
}

/// Copies the calling thread's last error message into a caller's buffer; returns its length.
///
/// The corresponding C function is `gs_copy_last_error_message` (include/gumbel_softmax.h).
@_cdecl("gs_swift_copy_last_error_message")
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

// MARK: Sampling, one generic body per function

func sample<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: Int32, _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperature: temperature,
                output: kind.output, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

func samplePerRow<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperatureCount: Int64, _ output: Int32, _ generator: inout G,
    _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: output)
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temps = try batch.input(temperatures, count: temperatureCount, name: "temperatures")
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.sample(
                logits: batch.logits, rows: batch.rows, columns: batch.columns, temperatures: temps,
                output: kind.output, into: batch.result, using: &generator, threads: batch.threads)
        }
    }
}

func categorical<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ generator: inout G,
    _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try library { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.categorical(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, into: ints, using: &generator,
                    threads: batch.threads)
            }
        }
    }
}

func topK<G: CounterBasedRandomGenerator>(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ generator: inout G, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?, _ indexCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: indices, resultCount: indexCount, resultName: "indices")
        let k = try Arguments.k(k, columns: batch.columns)
        try Scratch.topK(rows: batch.rows, columns: batch.columns, k: k)
        try batch.result.withMemoryRebound(to: Int.self) { (ints) throws(CallError) in
            try library { () throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: batch.logits, rows: batch.rows, columns: batch.columns, k: k, into: ints,
                    using: &generator, threads: batch.threads)
            }
        }
    }
}

func gumbelNoise<G: CounterBasedRandomGenerator>(
    _ generator: inout G, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let threads = try Arguments.threads(threads)
        let out = try Arguments.output(result, count: resultCount, name: "result")
        try library { () throws(GumbelSoftmaxError) in
            try GumbelNoise.fill(out, using: &generator, threads: threads)
        }
    }
}

/// Memory the library will allocate for a call, checked before the call: the library allocates
/// with Swift's `allocate` and `Array`, which trap when `malloc` fails, so this maps the same
/// number of bytes first, as `malloc` does for a large block (private, anonymous, read-write: the
/// address-space limit and the kernel's overcommit check both apply), and refuses with
/// `GS_OUT_OF_MEMORY` if it cannot have them. (A `malloc` and `free` pair whose result is unused
/// may be removed by the optimiser, so the probe calls `mmap` itself.)
enum Scratch {
    /// Refuses with `GS_OUT_OF_MEMORY` unless `bytes` (nil: more than an `Int` holds) can be mapped.
    static func reserve(_ bytes: Int?, for what: @autoclosure () -> String) throws(CallError) {
        if let bytes {
            guard bytes > 0 else { return }
            let probe = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let probe, probe != MAP_FAILED {
                munmap(probe, bytes)
                return
            }
        }
        let size = bytes.map { "\($0) bytes" } ?? "more bytes than the address space holds"
        throw CallError(.outOfMemory, "out of memory: \(what()) needs \(size) of scratch")
    }

    /// `a * b + c` bytes, or nil on overflow.
    static func bytes(_ a: Int, times b: Int, plus c: Int = 0) -> Int? {
        let (product, o1) = a.multipliedReportingOverflow(by: b)
        let (sum, o2) = product.addingReportingOverflow(c)
        return o1 || o2 ? nil : sum
    }

    // Mirrors TopKSelection, with the scheduler's tiling (`Tiling.tile`, `Tiling.segment`): rows
    // longer than a tile keep up to min(k, segment) candidates (a Float and an Int each) per
    // segment, plus two Ints per segment; a worker holds a heap of k candidates for the merge.
    static func topK(rows: Int, columns: Int, k: Int) throws(CallError) {
        // Shapes and k the library refuses are left to its own messages.
        guard rows > 0, columns > 0, k >= 1, k <= columns else { return }
        let candidate = MemoryLayout<Float>.stride + MemoryLayout<Int>.stride
        var needed = bytes(k, times: candidate)
        if columns > Tiling.tile, let heap = needed {
            let segments = columns / Tiling.segment + (columns % Tiling.segment == 0 ? 0 : 1)
            needed = bytes(rows, times: segments).flatMap { units in
                bytes(units, times: Swift.min(k, Tiling.segment)).flatMap { slots in
                    bytes(units, times: 2 * MemoryLayout<Int>.stride, plus: heap).flatMap { rest in
                        bytes(slots, times: candidate, plus: rest)
                    }
                }
            }
        }
        try reserve(needed, for: "top-k of [\(rows), \(columns)] with k = \(k)")
    }

    /// ConcreteDistribution copies the logits and temperatures into arrays, and each worker
    /// holds one row of doubles.
    static func density(rows: Int, columns: Int) throws(CallError) {
        guard rows > 0, columns > 0 else { return }
        let needed = bytes(rows, times: columns, plus: rows).flatMap { floats in
            bytes(columns, times: MemoryLayout<Double>.stride).flatMap { row in
                bytes(floats, times: MemoryLayout<Float>.stride, plus: row)
            }
        }
        try reserve(needed, for: "the log-density of [\(rows), \(columns)]")
    }
}

// MARK: Philox exports

/// Samples a batch: soft, log-space or hard.
///
/// The corresponding C function is `gs_sample` (include/gumbel_softmax.h).
@_cdecl("gs_swift_sample")
public func gsSample(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: Int32, _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return sample(logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// Samples a batch with one temperature per row.
///
/// The corresponding C function is `gs_sample_per_row` (include/gumbel_softmax.h).
@_cdecl("gs_swift_sample_per_row")
public func gsSamplePerRow(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperatureCount: Int64, _ output: Int32, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return samplePerRow(
        logits, logitsCount, rows, columns, temperatures, temperatureCount, output, &generator, threads, result,
        resultCount)
}

/// Gumbel-max categorical indices, one per row.
///
/// The corresponding C function is `gs_categorical` (include/gumbel_softmax.h).
@_cdecl("gs_swift_categorical")
public func gsCategorical(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ seed: UInt64,
    _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return categorical(logits, logitsCount, rows, columns, &generator, threads, indices, indexCount)
}

/// Gumbel-top-k indices, `k` per row.
///
/// The corresponding C function is `gs_top_k` (include/gumbel_softmax.h).
@_cdecl("gs_swift_top_k")
public func gsTopK(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return topK(logits, logitsCount, rows, columns, k, &generator, threads, indices, indexCount)
}

/// Raw Gumbel(0, 1) noise.
///
/// The corresponding C function is `gs_gumbel_noise` (include/gumbel_softmax.h).
@_cdecl("gs_swift_gumbel_noise")
public func gsGumbelNoise(
    _ seed: UInt64, _ stream: UInt64, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
    return gumbelNoise(&generator, threads, result, resultCount)
}

// MARK: JAX threefry exports

/// Writes the key words of `jax.random.PRNGKey(seed)`.
///
/// The corresponding C function is `gs_jax_key` (include/gumbel_softmax.h).
@_cdecl("gs_swift_jax_key")
public func gsJAXKey(_ seed: Int64, _ enableX64: Int32, _ key: UnsafeMutablePointer<UInt32>?) -> Int32 {
    exported { () throws(CallError) in
        guard enableX64 == 0 || enableX64 == 1 else {
            throw CallError(.invalidArgument, "enable_x64 must be 0 or 1, got \(enableX64)")
        }
        guard let key else { throw CallError(.nullPointer, "key is NULL") }
        let generator = ThreefryJAXGenerator(seed: UInt64(bitPattern: seed), enableX64: enableX64 == 1)
        (key[0], key[1]) = generator.key
    }
}

/// As `gs_sample`, with JAX's threefry stream of the key `(key0, key1)`.
///
/// The corresponding C function is `gs_sample_jax` (include/gumbel_softmax.h).
@_cdecl("gs_swift_sample_jax")
public func gsSampleJAX(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ temperature: Float,
    _ output: Int32, _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32,
    _ result: UnsafeMutablePointer<Float>?, _ resultCount: Int64
) -> Int32 {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return sample(logits, logitsCount, rows, columns, temperature, output, &generator, threads, result, resultCount)
}

/// As `gs_sample_per_row`, with JAX's threefry stream.
///
/// The corresponding C function is `gs_sample_per_row_jax` (include/gumbel_softmax.h).
@_cdecl("gs_swift_sample_per_row_jax")
public func gsSamplePerRowJAX(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperatureCount: Int64, _ output: Int32, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return samplePerRow(
        logits, logitsCount, rows, columns, temperatures, temperatureCount, output, &generator, threads, result,
        resultCount)
}

/// As `gs_categorical`, with JAX's threefry stream (`jax.random.categorical`).
///
/// The corresponding C function is `gs_categorical_jax` (include/gumbel_softmax.h).
@_cdecl("gs_swift_categorical_jax")
public func gsCategoricalJAX(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ key0: UInt32,
    _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return categorical(logits, logitsCount, rows, columns, &generator, threads, indices, indexCount)
}

/// As `gs_top_k`, with JAX's threefry stream.
///
/// The corresponding C function is `gs_top_k_jax` (include/gumbel_softmax.h).
@_cdecl("gs_swift_top_k_jax")
public func gsTopKJAX(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64, _ k: Int64,
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ indices: UnsafeMutablePointer<Int64>?,
    _ indexCount: Int64
) -> Int32 {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return topK(logits, logitsCount, rows, columns, k, &generator, threads, indices, indexCount)
}

/// As `gs_gumbel_noise`, with JAX's threefry stream (`jax.random.gumbel`).
///
/// The corresponding C function is `gs_gumbel_noise_jax` (include/gumbel_softmax.h).
@_cdecl("gs_swift_gumbel_noise_jax")
public func gsGumbelNoiseJAX(
    _ key0: UInt32, _ key1: UInt32, _ position: UInt64, _ threads: Int32, _ result: UnsafeMutablePointer<Float>?,
    _ resultCount: Int64
) -> Int32 {
    var generator = ThreefryJAXGenerator(key: (key0, key1), position: position)
    return gumbelNoise(&generator, threads, result, resultCount)
}

// MARK: Concrete density

/// The Concrete or ExpConcrete log-density of each row of a point.
///
/// The corresponding C function is `gs_log_density` (include/gumbel_softmax.h).
@_cdecl("gs_swift_log_density")
public func gsLogDensity(
    _ logits: UnsafePointer<Float>?, _ logitsCount: Int64, _ rows: Int64, _ columns: Int64,
    _ temperatures: UnsafePointer<Float>?, _ temperatureCount: Int64, _ point: UnsafePointer<Float>?,
    _ pointCount: Int64, _ space: Int32, _ threads: Int32, _ result: UnsafeMutablePointer<Double>?,
    _ resultCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: space, name: "space")
        guard kind != .hard else {
            throw CallError(
                .invalidArgument,
                "space must be GS_OUTPUT_SOFT (0, the simplex) or GS_OUTPUT_LOG (1, log space), got 2: "
                    + "a one-hot point has no density")
        }
        let batch = try Batch(
            logits: logits, logitsCount: logitsCount, rows: rows, columns: columns, threads: threads,
            result: result, resultCount: resultCount, resultName: "result")
        let temps = try batch.input(temperatures, count: temperatureCount, name: "temperatures")
        let x = try batch.input(point, count: pointCount, name: "point")
        try Scratch.density(rows: batch.rows, columns: batch.columns)
        try library { () throws(GumbelSoftmaxError) in
            let distribution = try ConcreteDistribution(
                logits: Array(batch.logits), rows: batch.rows, columns: batch.columns, temperatures: Array(temps))
            try distribution.logDensity(
                x, space: kind == .soft ? .simplex : .log, into: batch.result, threads: batch.threads)
        }
    }
}

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

/// The vector-Jacobian product of a sample (noise held fixed).
///
/// The corresponding C function is `gs_gradient` (include/gumbel_softmax.h).
@_cdecl("gs_swift_gradient")
public func gsGradient(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperature: Float, _ kind: Int32, _ threads: Int32,
    _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let (rows, columns) = try Arguments.shape(rows: rows, columns: columns)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, nil)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.backward(
                output: y, upstream: v, rows: rows, columns: columns, temperature: temperature,
                kind: kind.output, logitsGradient: g, temperatureGradient: t, threads: threads)
        }
    }
}

/// The vector-Jacobian product of a sample drawn with one temperature per row.
///
/// The corresponding C function is `gs_gradient_per_row` (include/gumbel_softmax.h).
@_cdecl("gs_swift_gradient_per_row")
public func gsGradientPerRow(
    _ output: UnsafePointer<Float>?, _ outputCount: Int64, _ upstream: UnsafePointer<Float>?, _ upstreamCount: Int64,
    _ rows: Int64, _ columns: Int64, _ temperatures: UnsafePointer<Float>?, _ temperaturesCount: Int64,
    _ kind: Int32, _ threads: Int32, _ logitsGradient: UnsafeMutablePointer<Float>?, _ logitsGradientCount: Int64,
    _ temperatureGradient: UnsafeMutablePointer<Float>?, _ temperatureGradientCount: Int64
) -> Int32 {
    exported { () throws(CallError) in
        let kind = try Arguments.output(kind: kind, name: "kind")
        let threads = try Arguments.threads(threads)
        let (rows, columns) = try Arguments.shape(rows: rows, columns: columns)
        let y = try Arguments.input(output, count: outputCount, name: "output")
        let v = try Arguments.input(upstream, count: upstreamCount, name: "upstream")
        let temps = try Arguments.input(temperatures, count: temperaturesCount, name: "temperatures")
        let g = try Arguments.output(logitsGradient, count: logitsGradientCount, name: "logits_gradient")
        let t = try optionalTemperatureGradient(temperatureGradient, count: temperatureGradientCount)
        try checkGradientBuffers(y, v, g, t, temps)
        try library { () throws(GumbelSoftmaxError) in
            try GumbelSoftmax.backward(
                output: y, upstream: v, rows: rows, columns: columns, temperatures: temps,
                kind: kind.output, logitsGradient: g, temperatureGradient: t, threads: threads)
        }
    }
}
