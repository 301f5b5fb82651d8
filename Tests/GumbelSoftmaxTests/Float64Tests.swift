import Foundation
import Testing

@testable import GumbelSoftmax

/// Float80 reference of SPEC section 5: the exact uniforms of section 2 (exact in Float80 too),
/// then `-ln(-ln U)` and the softmax in Float80.
enum Reference80 {
    static func gumbel(_ x: UInt32, tail t: UInt32) -> Float80 {
        let e: Float80
        if x < 1 << 16 {
            e = -Foundation.logl((Float80(x) * 0x1p32 + Float80(t) + 0.5) * 0x1p-64)
        } else if x >= 0 &- (1 << 16) {
            e = -Foundation.log1pl(-(Float80(~x) * 0x1p32 + Float80(~t) + 0.5) * 0x1p-64)
        } else if x >= 1 << 31 {
            e = -Foundation.log1pl(-(Float80(~x) + 0.5) * 0x1p-32)
        } else {
            e = -Foundation.logl((Float80(x) + 0.5) * 0x1p-32)
        }
        return -Foundation.logl(e)
    }

    /// `softmax(z)`, `log_softmax(z)` and each row's largest `|z|`, for float64 logits.
    static func sample(
        logits: [Double], rows: Int, columns: Int, temperatures: [Double], generator: PhiloxGenerator
    ) -> (soft: [Float80], log: [Float80], zmax: [Double]) {
        var soft = [Float80](repeating: 0, count: rows * columns)
        var logs = soft
        var zmax = [Double](repeating: 0, count: rows)
        for b in 0..<rows {
            var z = [Float80](repeating: 0, count: columns)
            for k in 0..<columns {
                let p = generator.position &+ UInt64(b * columns + k)
                let g = gumbel(generator.word(at: p), tail: generator.tailWord(at: p))
                z[k] = (Float80(logits[b * columns + k]) + g) / Float80(temperatures[b])
            }
            let m = z.max()!
            let s = z.reduce(Float80(0)) { $0 + Foundation.expl($1 - m) }
            for k in 0..<columns {
                soft[b * columns + k] = Foundation.expl(z[k] - m) / s
                logs[b * columns + k] = z[k] - m - Foundation.logl(s)
            }
            zmax[b] = Double(z.filter { $0.isFinite }.map { Swift.abs($0) }.max() ?? 0)
        }
        return (soft, logs, zmax)
    }

    /// SPEC section 5's tolerances.
    static func softTolerance(expected: Double, zmax: Double) -> Double {
        (1e-12 + 0x1p-48 * zmax) * Swift.abs(expected) + 1e-300
    }
    static func logTolerance(expected: Double, zmax: Double) -> Double {
        1e-12 * Swift.max(1, Swift.abs(expected)) + 0x1p-48 * zmax
    }
}

@Suite struct Float64Tests {
    /// Checks a float64 sample against the Float80 reference within SPEC section 5.
    func checkAgainstReference(
        logits: [Double], rows: Int, columns: Int, temperatures: [Double], generator: PhiloxGenerator,
        soft: [Double], log: [Double], hard: [Double], indices: [Int], label: String
    ) {
        let reference = Reference80.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, generator: generator)
        for b in 0..<rows {
            let zmax = reference.zmax[b]
            var sum = 0.0
            var best = 0
            for k in 0..<columns {
                let i = b * columns + k
                let expected = Double(reference.soft[i])
                sum += soft[i]
                #expect(
                    Swift.abs(soft[i] - expected) <= Reference80.softTolerance(expected: expected, zmax: zmax),
                    "\(label) soft[\(i)] = \(soft[i]), expected \(expected)")
                let expectedLog = Double(reference.log[i])
                if expectedLog == -.infinity {
                    #expect(log[i] == -.infinity && soft[i] == 0, "\(label) masked [\(i)]")
                } else {
                    #expect(
                        Swift.abs(log[i] - expectedLog) <= Reference80.logTolerance(expected: expectedLog, zmax: zmax),
                        "\(label) log[\(i)] = \(log[i]), expected \(expectedLog)")
                }
                if reference.log[i] > reference.log[b * columns + best] { best = k }
            }
            #expect(Swift.abs(sum - 1) <= 1e-12, "\(label) row \(b) sums to \(sum)")
            #expect(indices[b] == best, "\(label) row \(b) argmax")
            for k in 0..<columns { #expect(hard[b * columns + k] == (k == best ? 1 : 0), "\(label) hard") }
        }
    }

    @Test(arguments: [1, 2])
    func goldenSection(threads: Int) throws {
        let section = try #require(golden["gumbel_softmax_f64"] as? [String: Any], "golden section missing")
        let cases = try #require(section["cases"] as? [[String: Any]])
        #expect(cases.count == 10)
        for c in cases {
            let zmax = (c["zmax"] as! [Any]).map(number)
            try GoldenSampleCase(c).check(
                as: Double.self, threads: threads, sample: GumbelSoftmax.sample,
                categorical: GumbelSoftmax.categorical, topK: GumbelSoftmax.topK,
                softTolerance: { Reference80.softTolerance(expected: $1, zmax: zmax[$0]) },
                logTolerance: { Reference80.logTolerance(expected: $1, zmax: zmax[$0]) }, sumTolerance: 1e-12)
        }
    }

    /// The float64 noise of every word class against Float80: band edges, tail words, and a dense
    /// sweep, within 1e-12 * max(1, |g|) (SPEC section 5); the golden noise sections too.
    @Test func noiseAccuracy() throws {
        var words: [(UInt32, UInt32)] = []
        for x: UInt32 in [
            0, 1, 2, 0xFFFF, 0x1_0000, 0x1_0001, 0x7FFF_FFFF, 0x8000_0000, 0xFFFE_FFFF, 0xFFFF_0000,
            0xFFFF_FFFE, 0xFFFF_FFFF,
        ] {
            for t: UInt32 in [0, 1, 0x8000_0000, 0xFFFF_FFFF] { words.append((x, t)) }
        }
        var x: UInt32 = 12345
        for _ in 0..<200_000 {
            x = x &* 1_664_525 &+ 1_013_904_223
            words.append((x, x &* 747_796_405))
        }
        var worst = 0.0
        for (x, t) in words {
            let g = GumbelNoise.float64Gumbel(word: x, tailWord: t)
            let exact = Reference80.gumbel(x, tail: t)
            let error = Double(Swift.abs(Float80(g) - exact)) / Swift.max(1, Double(Swift.abs(exact)))
            worst = Swift.max(worst, error)
        }
        #expect(worst <= 1e-12)
        #expect(worst <= 1e-15, "worst relative error \(worst): the vector logs lost accuracy")
        for c in goldenCases("gumbel_from_words") {
            let g = GumbelNoise.float64Gumbel(word: hex32(c["word"]!), tailWord: hex32(c["tail_word"]!))
            let e = number(c["g"]!)
            #expect(Swift.abs(g - e) <= 1e-12 * Swift.max(1, Swift.abs(e)), "g \(g) expected \(e)")
        }
        for c in goldenCases("gumbel") {
            var generator = PhiloxGenerator(
                seed: decimal64(c["seed"]!), stream: decimal64(c["stream"]!), position: decimal64(c["position"]!))
            let expected = (c["values"] as! [Any]).map(number)
            let start = generator.position
            let values = try GumbelNoise.sample(count: expected.count, as: Double.self, using: &generator, threads: 2)
            #expect(generator.position == start &+ UInt64(expected.count))
            for (g, e) in zip(values, expected) {
                #expect(Swift.abs(g - e) <= 1e-12 * Swift.max(1, Swift.abs(e)), "g \(g) expected \(e)")
            }
        }
    }

    /// `DoubleMath.log` and `expNonPositive` against Float80 over a dense range.
    @Test func vectorMath() {
        var worstLog = 0.0
        var worstExp = 0.0
        var x = 1e-300
        while x < 1e300 {
            let lanes = DoubleLanes(SIMD16<Double>((0..<16).map { x * (1 + Double($0) * 0.0173) }))
            let logs = DoubleMath.log(lanes).simd
            for lane in 0..<16 {
                let v = lanes.simd[lane]
                let exact = Foundation.logl(Float80(v))
                let ulp = Double(exact).ulp
                worstLog = Swift.max(
                    worstLog, Double(Swift.abs(Float80(logs[lane]) - exact)) / Swift.max(ulp, .leastNormalMagnitude))
            }
            x *= 1.37
        }
        var y = -708.0
        while y <= 0 {
            let lanes = DoubleLanes(SIMD16<Double>((0..<16).map { Swift.min(0, y + Double($0) * 0.0031) }))
            let exps = DoubleMath.expNonPositive(lanes).simd
            for lane in 0..<16 {
                let exact = Foundation.expl(Float80(lanes.simd[lane]))
                worstExp = Swift.max(worstExp, Double(Swift.abs(Float80(exps[lane]) - exact) / exact))
            }
            y += 0.0517
        }
        #expect(worstLog <= 2, "log: \(worstLog) ulp")
        #expect(worstExp <= 1e-15, "exp: \(worstExp) relative")
        let edges = DoubleMath.expNonPositive(DoubleLanes(SIMD16<Double>(repeating: -.infinity))).simd
        #expect(edges == SIMD16(repeating: 0))
    }

    /// Batches of every shape class (grouped rows, one segment, several segments, masks, tail-band
    /// words) against the Float80 reference.
    @Test(arguments: [(3, 17), (40, 50), (2, 3000), (1, 70001)])
    func accuracy(rows: Int, columns: Int) throws {
        var logits = testLogits64(count: rows * columns, seed: UInt64(columns), scale: 20)
        for i in stride(from: 5, to: logits.count, by: 97) { logits[i] = -.infinity }
        logits[0] = -250
        for temperature in [1.0, 0.5, 0.3, 7.0] {
            let generator = PhiloxGenerator(seed: 0, stream: 0, position: 20300)
            func sample(_ output: GumbelSoftmax.Output) throws -> [Double] {
                var g = generator
                return try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, using: &g)
            }
            var g = generator
            let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, using: &g)
            checkAgainstReference(
                logits: logits, rows: rows, columns: columns, temperatures: Array(repeating: temperature, count: rows),
                generator: generator, soft: try sample(.soft), log: try sample(.log), hard: try sample(.hard),
                indices: indices, label: "[\(rows), \(columns)] T=\(temperature)")
        }
    }

    /// The power form (temperature 0.5) on a term that takes the recomputation in one piece
    /// (`(l - L) n < -600`), with a large `(1 / E)^2` from the upper tail-band word at position
    /// 74581 of seed 0 (g = 12.69) lifting it above 1e-280: the recomputed term is checked against
    /// the Float80 reference.
    @Test func powerFormUnderflow() throws {
        var logits = [Double](repeating: 0, count: 16)
        logits[6] = -330
        let generator = PhiloxGenerator(seed: 0, position: 74575)
        var g = generator
        let soft = try GumbelSoftmax.sample(logits: logits, temperature: 0.5, using: &g)
        let reference = Reference80.sample(
            logits: logits, rows: 1, columns: 16, temperatures: [0.5], generator: generator)
        #expect(reference.soft[6] > 1e-280, "the case no longer exercises the recomputation")
        for i in 0..<16 {
            let expected = Double(reference.soft[i])
            #expect(
                Swift.abs(soft[i] - expected)
                    <= Reference80.softTolerance(expected: expected, zmax: reference.zmax[0]),
                "soft[\(i)] = \(soft[i]), expected \(expected)")
        }
    }

    @Test func tinyProbabilityIsKept() throws {
        let y = try GumbelSoftmax.sample(logits: [0, -200] as [Double], temperature: 1, seed: 3)
        #expect(y[1] > 1e-89 && y[1] < 1e-87)
        let expected = 1.305462555443787e-88
        let tolerance: Double = Reference80.softTolerance(expected: expected, zmax: 200.7641056679456)
        #expect(Swift.abs(y[1] - expected) <= tolerance)
    }

    /// Rows alone equal the batch; thread counts, per-row streams and per-row temperatures never
    /// change a bit.
    @Test(arguments: [(5, 33), (7, 2049), (2, 40000)])
    func invariance(rows: Int, columns: Int) throws {
        let logits = testLogits64(count: rows * columns, seed: 9)
        let temperatures = (0..<rows).map { 0.3 + Double($0) * 0.41 }
        for output in GumbelSoftmax.Output.allCases {
            let batch = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: 0.7, output: output, seed: 4, position: 11,
                threads: 1)
            for threads in [2, 3] {
                let again = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: 0.7, output: output, seed: 4,
                    position: 11, threads: threads)
                #expect(again == batch, "\(output) threads \(threads)")
            }
            let perRowT = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output, seed: 4,
                position: 11)
            let streams = (0..<rows).map { RowStream(seed: UInt64(100 + $0), stream: 2, position: UInt64($0 * 3)) }
            let streamed = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
                streams: streams, threads: 2)
            for b in 0..<rows {
                let row = Array(logits[b * columns..<(b + 1) * columns])
                let alone = try GumbelSoftmax.sample(
                    logits: row, temperature: 0.7, output: output, seed: 4, position: 11 + UInt64(b * columns))
                #expect(alone[...] == batch[b * columns..<(b + 1) * columns], "\(output) row \(b) alone")
                let aloneT = try GumbelSoftmax.sample(
                    logits: row, temperature: temperatures[b], output: output, seed: 4,
                    position: 11 + UInt64(b * columns))
                #expect(aloneT[...] == perRowT[b * columns..<(b + 1) * columns], "\(output) row \(b) temperature")
                var generator = streams[b].generator
                let own = try GumbelSoftmax.sample(
                    logits: row, temperature: temperatures[b], output: output, using: &generator)
                #expect(own[...] == streamed[b * columns..<(b + 1) * columns], "\(output) row \(b) stream")
            }
            let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, streams: streams)
            let top = try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: 3, streams: streams)
            for b in 0..<rows {
                var generator = streams[b].generator
                let row = Array(logits[b * columns..<(b + 1) * columns])
                #expect(try GumbelSoftmax.categorical(logits: row, using: &generator) == indices[b])
                #expect(top[b * 3] == indices[b])
            }
        }
    }

    /// Top-k: the first index is the categorical draw, indices are distinct and in descending order
    /// of the float64 perturbed logits; thread counts never change it.
    @Test(arguments: [(4, 100), (2, 40000)])
    func topK(rows: Int, columns: Int) throws {
        let logits = testLogits64(count: rows * columns, seed: 3)
        let k = 7
        let top = try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: k, seed: 8, threads: 1)
        let top2 = try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: k, seed: 8, threads: 2)
        #expect(top == top2)
        let first = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, seed: 8)
        let generator = PhiloxGenerator(seed: 8)
        for b in 0..<rows {
            #expect(top[b * k] == first[b])
            let d = (0..<columns).map { j in
                let p = UInt64(b * columns + j)
                return logits[b * columns + j]
                    + GumbelNoise.float64Gumbel(word: generator.word(at: p), tailWord: generator.tailWord(at: p))
            }
            let expected = (0..<columns).sorted { d[$0] > d[$1] || (d[$0] == d[$1] && $0 < $1) }.prefix(k)
            #expect(Array(top[b * k..<(b + 1) * k]) == Array(expected))
        }
    }

    /// Every refusal of SPEC section 4 in float64, with the output and the generator untouched.
    @Test func refusals() throws {
        let sentinel = -12345.0
        func refused(
            _ logits: [Double], rows: Int = 1, columns: Int? = nil, temperature: Double = 1, outputCount: Int? = nil
        ) -> GumbelSoftmaxError? {
            var out = [Double](repeating: sentinel, count: outputCount ?? logits.count)
            var generator = PhiloxGenerator(seed: 1, position: 5)
            var failure: GumbelSoftmaxError?
            logits.withUnsafeBufferPointer { l in
                out.withUnsafeMutableBufferPointer { o in
                    do throws(GumbelSoftmaxError) {
                        try GumbelSoftmax.sample(
                            logits: l, rows: rows, columns: columns ?? logits.count, temperature: temperature, into: o,
                            using: &generator)
                    } catch { failure = error }
                }
            }
            #expect(out.allSatisfy { $0 == sentinel }, "output written on a refusal")
            #expect(generator.position == 5)
            return failure
        }
        #expect(refused([1, .nan, 2]) == .nanLogit(row: 0, column: 1))
        #expect(refused([1, 2, 3, 4, .infinity, 2], rows: 2, columns: 3) == .infiniteLogit(row: 1, column: 1))
        #expect(refused([1, 2, -.infinity, -.infinity], rows: 2, columns: 2) == .allMaskedRow(row: 1))
        var long = [Double](repeating: 0, count: 3 * 70000)
        long[2 * 70000 + 69999] = .nan
        #expect(refused(long, rows: 3, columns: 70000) == .nanLogit(row: 2, column: 69999))
        long[2 * 70000 + 69999] = 0
        for i in 70000..<140000 { long[i] = -.infinity }
        #expect(refused(long, rows: 3, columns: 70000) == .allMaskedRow(row: 1))
        for t in [0.0, -1, .nan, .infinity, -.infinity] {
            #expect(refused([1, 2], temperature: t) != nil, "temperature \(t)")
        }
        #expect(refused([1, 2, 3], rows: 1, columns: 2) == .logitCountMismatch(expected: 2, actual: 3))
        #expect(refused([1, 2], outputCount: 3) == .bufferSizeMismatch(name: "output", expected: 2, actual: 3))
        #expect(refused([], rows: 1, columns: 0) == .noCategories)
        #expect(try GumbelSoftmax.sample(logits: [Double](), rows: 0, columns: 3, temperature: 1, seed: 0).isEmpty)
        #expect(throws: GumbelSoftmaxError.invalidTopK(k: 3, categories: 2)) {
            try GumbelSoftmax.topK(logits: [1, 2] as [Double], rows: 1, columns: 2, k: 3, seed: 0)
        }
        #expect(throws: GumbelSoftmaxError.insufficientCategories(row: 0, available: 1, k: 2)) {
            try GumbelSoftmax.topK(logits: [1, -.infinity] as [Double], rows: 1, columns: 2, k: 2, seed: 0)
        }
        #expect(throws: GumbelSoftmaxError.invalidRowTemperature(row: 1, value: 0)) {
            try GumbelSoftmax.sample(
                logits: [1, 2, 3, 4] as [Double], rows: 2, columns: 2, temperatures: [1, 0], seed: 0)
        }
        #expect(throws: GumbelSoftmaxError.invalidThreadCount(0)) {
            try GumbelSoftmax.categorical(logits: [1, 2] as [Double], rows: 1, columns: 2, seed: 0, threads: 0)
        }
    }

    /// The float64 VJP against central differences of the float64 sample with the noise held
    /// fixed (the same seed), for soft and log output, logits and temperature.
    @Test func gradients() throws {
        let (rows, columns) = (3, 6)
        let logits = testLogits64(count: rows * columns, seed: 5)
        let upstream = testLogits64(count: rows * columns, seed: 6)
        let temperature = 0.8
        for kind in [GumbelSoftmax.Output.soft, .log] {
            func loss(_ l: [Double], _ t: Double) throws -> Double {
                let y = try GumbelSoftmax.sample(
                    logits: l, rows: rows, columns: columns, temperature: t, output: kind, seed: 2)
                return zip(y, upstream).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let y = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, output: kind, seed: 2)
            let gradient = try GumbelSoftmax.backward(
                output: y, upstream: upstream, rows: rows, columns: columns, temperature: temperature, kind: kind)
            let h = 1e-6
            for i in 0..<logits.count {
                var up = logits
                var down = logits
                up[i] += h
                down[i] -= h
                let numeric = (try loss(up, temperature) - loss(down, temperature)) / (2 * h)
                #expect(Swift.abs(gradient.logits[i] - numeric) <= 1e-7, "\(kind) dL/dlogits[\(i)]")
            }
            let numeric = (try loss(logits, temperature + h) - loss(logits, temperature - h)) / (2 * h)
            #expect(Swift.abs(gradient.totalTemperature - numeric) <= 1e-7, "\(kind) dL/dT")
            let perRow = try GumbelSoftmax.backward(
                output: y, upstream: upstream, rows: rows, columns: columns,
                temperatures: Array(repeating: temperature, count: rows), kind: kind, threads: 2)
            #expect(perRow == gradient)
        }
    }

    /// The float64 log-density equals the Float one on Float-valued inputs (both evaluate in
    /// Double) and refuses what it refuses.
    @Test func logDensity() throws {
        let logits: [Float] = [0.5, -1, 2, -.infinity, 0.25, 1]
        let point: [Float] = [0.2, 0.5, 0.3, 0, 0.6, 0.4]
        let distribution = try ConcreteDistribution(logits: logits, rows: 2, columns: 3, temperature: 0.7)
        for space in ConcreteDistribution.Space.allCases {
            let p = space == .simplex ? point : point.map { Foundation.log($0) }
            let expected = try distribution.logDensity(p, space: space)
            let actual = try ConcreteDistribution.logDensity(
                of: p.map(Double.init), logits: logits.map(Double.init), rows: 2, columns: 3,
                temperature: Double(Float(0.7)),
                space: space, threads: 2)
            #expect(actual == expected)
        }
        #expect(throws: GumbelSoftmaxError.invalidPoint(row: 0, column: 1, value: -1)) {
            try ConcreteDistribution.logDensity(of: [0.5, -1], logits: [0, 0], rows: 1, columns: 2, temperature: 1)
        }
        #expect(throws: GumbelSoftmaxError.nanLogit(row: 0, column: 0)) {
            try ConcreteDistribution.logDensity(
                of: [0.5, 0.5], logits: [.nan, 0], rows: 1, columns: 2, temperature: 1)
        }
    }
}
