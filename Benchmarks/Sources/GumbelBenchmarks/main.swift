// The kernel harness behind `make bench-kernel` (Benchmarks/bench.py kernel). Prints one JSON
// object per line (or a table with `--table`): the median ns/element of the library's sampler for
// each standard shape, with one thread and with all cores, of the noise alone, and of a memory copy
// (the roof).
//
//   GumbelBenchmarks [--shapes 64x32000,...] [--label default] [--table] [--memory BxK]

import Foundation
@_spi(Benchmarks) import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

let standardShapes: [(Int, Int)] = [
    (1, 1_000_000), (1, 16_000_000), (64, 32000), (1024, 1024), (4096, 256), (65536, 16), (256, 128_256),
    (8, 4_000_000),
]

struct Options {
    var shapes = standardShapes
    var label = "default"
    var table = false
    var memoryShape: (Int, Int)?
    var minimumSeconds = 0.4
    var crossover = false

    init(_ arguments: [String]) {
        var i = 1
        func parseShape(_ text: String) -> (Int, Int) {
            let parts = text.split(separator: "x").compactMap { Int($0) }
            precondition(parts.count == 2, "shape must be BxK, got \(text)")
            return (parts[0], parts[1])
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--shapes":
                shapes = arguments[i + 1].split(separator: ",").map { parseShape(String($0)) }
                i += 1
            case "--label":
                label = arguments[i + 1]
                i += 1
            case "--table": table = true
            case "--crossover": crossover = true
            case "--memory":
                memoryShape = parseShape(arguments[i + 1])
                i += 1
            case "--seconds":
                minimumSeconds = Double(arguments[i + 1])!
                i += 1
            default:
                FileHandle.standardError.write("unknown argument \(arguments[i])\n".data(using: .utf8)!)
                exit(64)
            }
            i += 1
        }
    }
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

/// Median ns per call of `body` after two warm-up calls, over at least 5 calls and `seconds`.
func medianNanoseconds(seconds: Double, _ body: () -> Void) -> Double {
    body()
    body()
    var samples: [Double] = []
    let start = now()
    while samples.count < 5 || (now() - start < seconds * 1e9 && samples.count < 200) {
        let t0 = now()
        body()
        samples.append(now() - t0)
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// (steal, busy) jiffies of all CPUs from /proc/stat: on a shared VM the hypervisor's steal
/// time says how much of the machine the measurement really had.
func cpuJiffies() -> (steal: Double, busy: Double) {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = stat.split(separator: "\n").first
    else { return (0, 0) }
    let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard v.count >= 8 else { return (0, 0) }
    return (v[7], v[0] + v[1] + v[2] + v[7])
}

func randomLogits(_ n: Int) -> [Float] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<n).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) * 8 - 4
    }
}

func residentPeakKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

let options = Options(CommandLine.arguments)
let cores = ProcessInfo.processInfo.activeProcessorCount

func emit(_ fields: [(String, String)]) {
    if options.table {
        print(fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    } else {
        print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    }
}

if let (b, k) = options.memoryShape {
    // Peak resident memory of one call on the largest shape, against input + output.
    let n = b * k
    let logits = randomLogits(n)
    var output = [Float](repeating: 0, count: n)
    let before = residentPeakKiB()
    var generator = PhiloxGenerator(seed: 1)
    logits.withUnsafeBufferPointer { l in
        output.withUnsafeMutableBufferPointer { o in
            try! GumbelSoftmax.sample(logits: l, rows: b, columns: k, temperature: 0.5, into: o, using: &generator)
        }
    }
    let after = residentPeakKiB()
    emit([
        ("kind", "\"memory\""), ("shape", "[\(b), \(k)]"), ("input_output_kib", "\(2 * n * 4 / 1024)"),
        ("peak_before_call_kib", "\(before)"), ("peak_after_call_kib", "\(after)"),
        ("call_added_kib", "\(after - before)"),
    ])
    exit(0)
}

if options.crossover {
    // CBLAS against the fused Swift loops, per row length K, on [B, K] batches of 2^20 elements
    // (single thread): the add-noise step (`cblas_saxpy` over the tile vs the fused loop) and the
    // normalisation (`cblas_sscal` per row vs a Swift loop).
    for k in [16, 64, 256, 1024, 2048, 4096, 16384, 32768, 131_072, 1 << 20] {
        let b = (1 << 20) / k
        let logits = randomLogits(b * k)
        var output = [Float](repeating: 0, count: b * k)
        func measure(addNoise: Int, scale: Int) -> Double {
            var configuration = KernelConfiguration()
            configuration.blasAddNoiseMinimum = addNoise
            configuration.blasScaleMinimum = scale
            var generator = PhiloxGenerator(seed: 3)
            return logits.withUnsafeBufferPointer { l in
                output.withUnsafeMutableBufferPointer { o in
                    medianNanoseconds(seconds: options.minimumSeconds) {
                        try! GumbelSoftmax.sample(
                            logits: l, rows: b, columns: k, temperature: 0.5, into: o, using: &generator, threads: 1,
                            configuration: configuration)
                    }
                }
            } / Double(b * k)
        }
        let fused = measure(addNoise: Int.max, scale: Int.max)
        let saxpy = measure(addNoise: 0, scale: Int.max)
        let sscal = measure(addNoise: Int.max, scale: 0)
        emit([
            ("kind", "\"crossover\""), ("label", "\"\(options.label)\""), ("shape", "[\(b), \(k)]"),
            ("fused_ns_per_element", String(format: "%.4f", fused)),
            ("saxpy_add_noise_ns_per_element", String(format: "%.4f", saxpy)),
            ("sscal_normalise_ns_per_element", String(format: "%.4f", sscal)),
        ])
    }
    exit(0)
}

// The roof: copying B*K floats reads and writes as much memory as one sample.
do {
    let n = 16_000_000
    let source = randomLogits(n)
    var target = [Float](repeating: 0, count: n)
    let ns = medianNanoseconds(seconds: options.minimumSeconds) {
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                _ = memcpy(t.baseAddress!, s.baseAddress!, n * 4)
            }
        }
    }
    emit([
        ("kind", "\"memcpy\""), ("label", "\"\(options.label)\""), ("shape", "[1, \(n)]"), ("threads", "1"),
        ("ns_per_element", String(format: "%.4f", ns / Double(n))),
        ("elements_per_second", String(format: "%.4e", Double(n) / ns * 1e9)),
        ("gigabytes_per_second", String(format: "%.2f", Double(2 * n * 4) / ns)),
    ])
}

for (b, k) in options.shapes {
    let n = b * k
    let logits = randomLogits(n)
    var output = [Float](repeating: 0, count: n)
    for threads in Array(Set([1, cores])).sorted() {
        var generator = PhiloxGenerator(seed: 7)
        let before = cpuJiffies()
        let ns = logits.withUnsafeBufferPointer { l in
            output.withUnsafeMutableBufferPointer { o in
                medianNanoseconds(seconds: options.minimumSeconds) {
                    try! GumbelSoftmax.sample(
                        logits: l, rows: b, columns: k, temperature: 0.5, into: o, using: &generator, threads: threads)
                }
            }
        }
        let after = cpuJiffies()
        let stolen = after.busy > before.busy ? 100 * (after.steal - before.steal) / (after.busy - before.busy) : 0
        emit([
            ("kind", "\"sample\""), ("label", "\"\(options.label)\""), ("shape", "[\(b), \(k)]"),
            ("threads", "\(threads)"), ("ns_per_element", String(format: "%.4f", ns / Double(n))),
            ("elements_per_second", String(format: "%.4e", Double(n) / ns * 1e9)),
            ("steal_percent", String(format: "%.1f", stolen)),
        ])
        var noiseGenerator = PhiloxGenerator(seed: 8)
        let noiseNs = output.withUnsafeMutableBufferPointer { o in
            medianNanoseconds(seconds: options.minimumSeconds / 2) {
                try! GumbelNoise.fill(o, using: &noiseGenerator, threads: threads)
            }
        }
        emit([
            ("kind", "\"noise\""), ("label", "\"\(options.label)\""), ("shape", "[\(b), \(k)]"),
            ("threads", "\(threads)"), ("ns_per_element", String(format: "%.4f", noiseNs / Double(n))),
            ("elements_per_second", String(format: "%.4e", Double(n) / noiseNs * 1e9)),
        ])
    }
}
