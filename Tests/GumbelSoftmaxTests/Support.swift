import Foundation
import GumbelSoftmax
import Testing

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// `../shared/golden/vectors.json` beside the package when present, else the copy committed in
/// `Tests/golden/` (a fresh clone has only that one; a test checks the two are identical).
let goldenURL: URL = {
    let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/golden/vectors.json")
    if FileManager.default.fileExists(atPath: shared.path) { return shared }
    return packageRoot.appendingPathComponent("Tests/golden/vectors.json")
}()

nonisolated(unsafe) let golden: [String: Any] = {
    let data = try! Data(contentsOf: goldenURL)
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}()

func goldenCases(_ section: String) -> [[String: Any]] {
    (golden[section] as! [String: Any])["cases"] as! [[String: Any]]
}

func hex32(_ any: Any) -> UInt32 {
    let s = (any as! String).dropFirst(2)
    return UInt32(s, radix: 16)!
}

func decimal64(_ any: Any) -> UInt64 { UInt64(any as! String)! }

/// A JSON number, or the strings "inf" / "-inf".
func number(_ any: Any) -> Double {
    if let s = any as? String {
        switch s {
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(s)!
        }
    }
    return (any as! NSNumber).doubleValue
}

/// One case of a golden Gumbel-Softmax section (`gumbel_softmax`, `gumbel_softmax_f64`): the fields
/// both element types read.
struct GoldenSampleCase {
    let name: String
    let rows: Int
    let columns: Int
    let logits: [Double]
    let temperature: Double
    let soft: [Double]
    let log: [Double]
    let argmax: [Int]
    let seed: UInt64
    let stream: UInt64
    let position: UInt64

    init(_ c: [String: Any]) {
        name = c["name"] as! String
        let shape = c["shape"] as! [Int]
        (rows, columns) = shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1])
        logits = (c["logits"] as! [Any]).map(number)
        temperature = number(c["temperature"]!)
        soft = (c["soft"] as! [Any]).map(number)
        log = (c["log_soft"] as! [Any]).map(number)
        argmax = c["argmax"] as! [Int]
        (seed, stream, position) = (decimal64(c["seed"]!), decimal64(c["stream"]!), decimal64(c["position"]!))
    }

    /// The case's generator.
    var generator: PhiloxGenerator { PhiloxGenerator(seed: seed, stream: stream, position: position) }

    /// Checks the library's seed forms for element type `Scalar` (`sample`, `categorical`, `topK`:
    /// the overloads for `Scalar`, named by the caller) on the case, the logits and temperature rounded to `Scalar`: soft
    /// and log samples within the tolerances of their row (`(row, expected) -> bound`), masked
    /// categories exactly 0 and `-inf`, the hard sample, categorical and top-1 equal to the argmax,
    /// and each soft row's sum in `Scalar` within `sumTolerance` of 1.
    func check<Scalar: BinaryFloatingPoint>(
        as _: Scalar.Type, threads: Int,
        sample: ([Scalar], Int, Int, Scalar, GumbelSoftmax.Output, UInt64, UInt64, UInt64, Int?) throws -> [Scalar],
        categorical: ([Scalar], Int, Int, UInt64, UInt64, UInt64, Int?) throws -> [Int],
        topK: ([Scalar], Int, Int, Int, UInt64, UInt64, UInt64, Int?) throws -> [Int],
        softTolerance: (_ row: Int, _ expected: Double) -> Double,
        logTolerance: (_ row: Int, _ expected: Double) -> Double, sumTolerance: Scalar
    ) throws {
        let logits = self.logits.map { Scalar($0) }
        let temperature = Scalar(self.temperature)
        func sampled(_ output: GumbelSoftmax.Output) throws -> [Scalar] {
            try sample(logits, rows, columns, temperature, output, seed, stream, position, threads)
        }
        let (soft, log, hard) = (try sampled(.soft), try sampled(.log), try sampled(.hard))
        let indices = try categorical(logits, rows, columns, seed, stream, position, threads)
        #expect(indices == argmax, "\(name)")
        let top = try topK(logits, rows, columns, 1, seed, stream, position, threads)
        #expect(top == argmax, "\(name) top-1")
        for b in 0..<rows {
            var sum: Scalar = 0
            for k in 0..<columns {
                let i = b * columns + k
                sum += soft[i]
                #expect(
                    Swift.abs(Double(soft[i]) - self.soft[i]) <= softTolerance(b, self.soft[i]),
                    "\(name) soft[\(i)] = \(soft[i]), expected \(self.soft[i])")
                if self.log[i] == -.infinity {
                    #expect(log[i] == -.infinity, "\(name) log[\(i)]")
                    #expect(soft[i] == 0, "\(name) soft[\(i)] masked")
                } else {
                    #expect(
                        Swift.abs(Double(log[i]) - self.log[i]) <= logTolerance(b, self.log[i]),
                        "\(name) log[\(i)] = \(log[i]), expected \(self.log[i])")
                }
                #expect(hard[i] == (k == argmax[b] ? 1 : 0), "\(name) hard[\(i)]")
            }
            #expect(Swift.abs(sum - 1) <= sumTolerance, "\(name) row \(b) sums to \(sum)")
        }
    }
}

/// Float64 reference of SPEC 2 and 3 (contract version 2), built from the scalar `word(at:)` and
/// `tailWord(at:)` paths.
enum Reference {
    /// `-ln(-ln U)` for word `x` with tail word `t`, in Double: `-ln` of `exponential`.
    static func gumbel(_ x: UInt32, tail t: UInt32) -> Double {
        -Foundation.log(exponential(x, tail: t))
    }

    /// `E = -ln U` for word `x` with tail word `t`, in Double: the bands from their exact 64-bit
    /// numerators (`U` below, `1 - U` above, each below 2^49 and so exact in Double).
    static func exponential(_ x: UInt32, tail t: UInt32) -> Double {
        if x < 1 << 16 {
            return -Foundation.log((Double(x) * 0x1p32 + Double(t) + 0.5) * 0x1p-64)
        }
        if x >= 0 &- (1 << 16) {
            return -Foundation.log1p(-(Double(~x) * 0x1p32 + Double(~t) + 0.5) * 0x1p-64)
        }
        // 1 - U for U > 1/2 from the integers, exactly.
        if x >= 1 << 31 { return -Foundation.log1p(-(Double(~x) + 0.5) * 0x1p-32) }
        return -Foundation.log((Double(x) + 0.5) * 0x1p-32)
    }

    /// The noise of position `p` of `generator`.
    static func gumbel(at p: UInt64, of generator: PhiloxGenerator) -> Double {
        gumbel(generator.word(at: p), tail: generator.tailWord(at: p))
    }

    /// `z`, `softmax(z)` and `log_softmax(z)` per row, in Double, for the same Float32 logits.
    static func sample(
        logits: [Float], rows: Int, columns: Int, temperatures: [Double], generator: PhiloxGenerator
    ) -> (soft: [Double], log: [Double], z: [Double], zmax: [Double]) {
        var soft = [Double](repeating: 0, count: rows * columns)
        var logs = soft
        var zs = soft
        var zmax = [Double](repeating: 0, count: rows)
        for b in 0..<rows {
            var z = [Double](repeating: 0, count: columns)
            for k in 0..<columns {
                let g = gumbel(at: generator.position &+ UInt64(b * columns + k), of: generator)
                z[k] = (Double(logits[b * columns + k]) + g) / temperatures[b]
            }
            let m = z.max()!
            let s = z.reduce(0.0) { $0 + Foundation.exp($1 - m) }
            for k in 0..<columns {
                soft[b * columns + k] = Foundation.exp(z[k] - m) / s
                logs[b * columns + k] = z[k] - m - Foundation.log(s)
                zs[b * columns + k] = z[k]
            }
            zmax[b] = z.filter { $0.isFinite }.map { Swift.abs($0) }.max() ?? 0
        }
        return (soft, logs, zs, zmax)
    }

    static func softTolerance(zmax: Double) -> Double { 2e-5 + 0x1p-22 * zmax }
    static func logTolerance(expected: Double, zmax: Double) -> Double {
        2e-4 * Swift.max(1, Swift.abs(expected)) + 0x1p-22 * zmax
    }
}

/// The words of a small LCG from `seed`, independent of the code under test: the source of the
/// deterministic test logits.
func testWords(count: Int, seed: UInt64) -> [UInt64] {
    var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}

/// Deterministic test logits in `[-scale, scale)`: 24-bit fractions.
func testLogits(count: Int, seed: UInt64, scale: Float = 3) -> [Float] {
    testWords(count: count, seed: seed).map { (Float($0 >> 40) / Float(1 << 24) * 2 - 1) * scale }
}

/// Deterministic float64 test logits in `[-scale, scale)` that are not Float values: 53-bit fractions.
func testLogits64(count: Int, seed: UInt64, scale: Double = 3) -> [Double] {
    testWords(count: count, seed: seed).map { (Double($0 >> 11) * 0x1p-53 * 2 - 1) * scale }
}

/// The chi-squared statistic of observed counts against expected probabilities.
func chiSquared(observed: [Int], probabilities: [Double]) -> Double {
    let n = Double(observed.reduce(0, +))
    var total = 0.0
    for (o, p) in zip(observed, probabilities) where p > 0 {
        let e = n * p
        total += (Double(o) - e) * (Double(o) - e) / e
    }
    return total
}

/// Upper 1e-6 quantiles of chi-squared, from scipy: `scipy.stats.chi2.isf(1e-6, df)`.
let chiSquaredCritical: [Int: Double] = [
    1: 23.928126976934827, 4: 33.37684158171984, 9: 44.81093787068782,
    999: 1226.046189012162,
]
