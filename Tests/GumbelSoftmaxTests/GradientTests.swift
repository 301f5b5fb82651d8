import Foundation
import Testing

@testable import GumbelSoftmax

#if canImport(_Differentiation)
    import _Differentiation
#endif

/// A Double re-implementation of a sample from the same words, for central finite differences.
private struct DoubleSampler {
    let rows: Int
    let columns: Int
    /// Gumbel noise of each element, in Double, from `PhiloxGenerator.word(at:)` and `tailWord(at:)`.
    let noise: [Double]

    init(rows: Int, columns: Int, generator: PhiloxGenerator) {
        self.rows = rows
        self.columns = columns
        noise = (0..<rows * columns).map { Reference.gumbel(at: generator.position &+ UInt64($0), of: generator) }
    }

    /// `log_softmax(z)` of each row, `z = (logits + g) / T`; masked entries are `-inf`.
    func logOutput(logits: [Double], temperatures: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: rows * columns)
        for b in 0..<rows {
            let z = (0..<columns).map { (logits[b * columns + $0] + noise[b * columns + $0]) / temperatures[b] }
            let m = z.max()!
            let lse = m + Foundation.log(z.reduce(0.0) { $0 + Foundation.exp($1 - m) })
            for k in 0..<columns { out[b * columns + k] = z[k] - lse }
        }
        return out
    }

    /// `sum v * y` (soft and hard: the straight-through backward is the soft one) or
    /// `sum v * log_y` over unmasked entries (log).
    func loss(logits: [Double], temperatures: [Double], upstream: [Float], log: Bool) -> Double {
        let logY = logOutput(logits: logits, temperatures: temperatures)
        var total = 0.0
        for i in 0..<logY.count where logY[i] != -.infinity {
            total += Double(upstream[i]) * (log ? logY[i] : Foundation.exp(logY[i]))
        }
        return total
    }

    /// Central differences of `loss` with respect to the logits listed in `columnsToCheck` (all
    /// when nil) and to each row's temperature.
    func finiteDifferences(
        logits: [Float], temperatures: [Double], upstream: [Float], log: Bool, columnsToCheck: [Int]? = nil
    ) -> (logits: [Int: Double], temperatures: [Double]) {
        let base = logits.map(Double.init)
        var dl: [Int: Double] = [:]
        for b in 0..<rows {
            for k in columnsToCheck ?? Array(0..<columns) where base[b * columns + k].isFinite {
                let i = b * columns + k
                let h = 1e-5 * Swift.max(1, Swift.abs(base[i]))
                var plus = base
                var minus = base
                plus[i] += h
                minus[i] -= h
                dl[i] =
                    (loss(logits: plus, temperatures: temperatures, upstream: upstream, log: log)
                        - loss(logits: minus, temperatures: temperatures, upstream: upstream, log: log)) / (2 * h)
            }
        }
        var dt = [Double](repeating: 0, count: rows)
        for b in 0..<rows {
            let h = 1e-6 * temperatures[b]
            var plus = temperatures
            var minus = temperatures
            plus[b] += h
            minus[b] -= h
            dt[b] =
                (loss(logits: base, temperatures: plus, upstream: upstream, log: log)
                    - loss(logits: base, temperatures: minus, upstream: upstream, log: log)) / (2 * h)
        }
        return (dl, dt)
    }
}

/// The largest error of `actual` against the finite differences, relative to the largest
/// finite difference of the row (logits) or to that and the row's temperature gradient.
private func relativeErrors(
    logits: [Float], temperatures: [Float], expected: (logits: [Int: Double], temperatures: [Double]), columns: Int
) -> (logits: Double, temperature: Double) {
    var logitError = 0.0
    var temperatureError = 0.0
    let rows = expected.temperatures.count
    for b in 0..<rows {
        let rowEntries = expected.logits.filter { $0.key / columns == b }
        let scale = rowEntries.values.map { Swift.abs($0) }.max() ?? 0
        #expect(scale > 1e-6, "row \(b): a vanishing gradient would make the test vacuous")
        for (i, e) in rowEntries {
            logitError = Swift.max(logitError, Swift.abs(Double(logits[i]) - e) / scale)
        }
        let tScale = Swift.max(Swift.abs(expected.temperatures[b]), scale)
        temperatureError = Swift.max(
            temperatureError, Swift.abs(Double(temperatures[b]) - expected.temperatures[b]) / tScale)
    }
    return (logitError, temperatureError)
}

/// Random upstream gradients in [-1, 1].
private func upstreamGradient(count: Int, seed: UInt64) -> [Float] {
    testLogits(count: count, seed: seed, scale: 1)
}

#if canImport(_Differentiation)
    /// `sum_i y_i * w_i`, differentiable with respect to `y`.
    @differentiable(reverse,wrt: y)
    private func weightedSum(_ y: [Float], _ w: [Float]) -> Float {
        zip(y, w).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @derivative(of: weightedSum, wrt: y)
    private func vjpWeightedSum(
        _ y: [Float], _ w: [Float]
    ) -> (value: Float, pullback: (Float) -> [Float].TangentVector) {
        (weightedSum(y, w), { s in [Float].TangentVector(w.map { $0 * s }) })
    }
#endif

@Suite("Gradients: VJP against finite differences, straight-through, Swift AD")
struct GradientTests {
    static let rows = 4
    static let columns = 7

    /// Logits with one masked entry in row 2.
    static func logits(seed: UInt64) -> [Float] {
        var l = testLogits(count: rows * columns, seed: seed, scale: 1.5)
        l[2 * columns + 3] = -.infinity
        return l
    }

    @Test(arguments: [GumbelSoftmax.Output.soft, .log, .hard])
    func scalarTemperatureMatchesFiniteDifferences(kind: GumbelSoftmax.Output) throws {
        let (rows, columns) = (Self.rows, Self.columns)
        let logits = Self.logits(seed: 11)
        let temperature: Float = 0.8
        let generator = PhiloxGenerator(seed: 2024, stream: 3, position: 17)
        var g = generator
        // Straight-through: the backward pass takes the soft sample.
        let y = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature,
            output: kind == .log ? .log : .soft, using: &g)
        let v = upstreamGradient(count: rows * columns, seed: 5)
        let gradient = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: rows, columns: columns, temperature: temperature, kind: kind)
        let sampler = DoubleSampler(rows: rows, columns: columns, generator: generator)
        let fd = sampler.finiteDifferences(
            logits: logits, temperatures: [Double](repeating: Double(temperature), count: rows), upstream: v,
            log: kind == .log)
        let errors = relativeErrors(
            logits: gradient.logits, temperatures: gradient.temperature, expected: fd, columns: columns)
        #expect(errors.logits < 1e-3)
        #expect(errors.temperature < 1e-3)
        // The shared temperature's gradient is the sum of the rows'.
        let total = fd.temperatures.reduce(0, +)
        #expect(Swift.abs(Double(gradient.totalTemperature) - total) <= 1e-3 * Swift.max(1, Swift.abs(total)))
        // A masked category gets exactly 0.
        #expect(gradient.logits[2 * columns + 3] == 0)
    }

    @Test(arguments: [GumbelSoftmax.Output.soft, .log])
    func perRowTemperaturesMatchFiniteDifferences(kind: GumbelSoftmax.Output) throws {
        let (rows, columns) = (Self.rows, Self.columns)
        let logits = Self.logits(seed: 12)
        let temperatures: [Float] = [0.5, 1, 2, 0.7]
        let generator = PhiloxGenerator(seed: 99, stream: 0, position: 1000)
        var g = generator
        let y = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: kind, using: &g)
        let v = upstreamGradient(count: rows * columns, seed: 6)
        let gradient = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: rows, columns: columns, temperatures: temperatures, kind: kind)
        let fd = DoubleSampler(rows: rows, columns: columns, generator: generator).finiteDifferences(
            logits: logits, temperatures: temperatures.map(Double.init), upstream: v, log: kind == .log)
        let errors = relativeErrors(
            logits: gradient.logits, temperatures: gradient.temperature, expected: fd, columns: columns)
        #expect(errors.logits < 1e-3)
        #expect(errors.temperature < 1e-3)
    }

    @Test(arguments: [GumbelSoftmax.Output.soft, .log])
    func longRowMatchesFiniteDifferences(kind: GumbelSoftmax.Output) throws {
        // Longer than a BLAS dot block and than a sampling tile.
        let (rows, columns) = (1, 5000)
        let logits = testLogits(count: columns, seed: 21, scale: 2)
        let temperature: Float = 1.5
        let generator = PhiloxGenerator(seed: 5, stream: 1)
        var g = generator
        let y = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: kind, using: &g)
        let v = upstreamGradient(count: columns, seed: 7)
        let gradient = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: rows, columns: columns, temperature: temperature, kind: kind)
        // The finite differences of a few logits: the largest outputs and some others.
        let order = (0..<columns).sorted { y[$0] > y[$1] }
        let checked = Array(order.prefix(10)) + Array(stride(from: 0, to: columns, by: 250))
        let fd = DoubleSampler(rows: rows, columns: columns, generator: generator).finiteDifferences(
            logits: logits, temperatures: [Double(temperature)], upstream: v, log: kind == .log,
            columnsToCheck: checked)
        let errors = relativeErrors(
            logits: gradient.logits, temperatures: gradient.temperature, expected: fd, columns: columns)
        #expect(errors.logits < 1e-3)
        #expect(errors.temperature < 1e-3)
    }

    @Test func straightThroughIsTheSoftGradient() throws {
        let logits = Self.logits(seed: 13)
        let y = try GumbelSoftmax.sample(
            logits: logits, rows: Self.rows, columns: Self.columns, temperature: 0.6, seed: 8)
        let v = upstreamGradient(count: logits.count, seed: 8)
        let soft = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 0.6, kind: .soft)
        let hard = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 0.6, kind: .hard)
        #expect(hard == soft)
        #expect(soft.logits.contains { $0 != 0 })
    }

    @Test func maskedUpstreamIsIgnoredInLogSpace() throws {
        let logits = Self.logits(seed: 14)
        let logY = try GumbelSoftmax.sample(
            logits: logits, rows: Self.rows, columns: Self.columns, temperature: 1.2, output: .log, seed: 9)
        #expect(logY[2 * Self.columns + 3] == -.infinity)
        var v = upstreamGradient(count: logits.count, seed: 9)
        v[2 * Self.columns + 3] = 0
        let reference = try GumbelSoftmax.backward(
            output: logY, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 1.2, kind: .log)
        v[2 * Self.columns + 3] = 1e30
        let masked = try GumbelSoftmax.backward(
            output: logY, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 1.2, kind: .log)
        #expect(masked == reference)
        #expect(masked.logits[2 * Self.columns + 3] == 0)
    }

    @Test func logitGradientsOfARowSumToZero() throws {
        // Adding a constant to a row's logits does not change the sample.
        let logits = testLogits(count: 3 * 50, seed: 15)
        for kind in [GumbelSoftmax.Output.soft, .log] {
            let y = try GumbelSoftmax.sample(
                logits: logits, rows: 3, columns: 50, temperature: 0.9, output: kind, seed: 10)
            let v = upstreamGradient(count: logits.count, seed: 10)
            let g = try GumbelSoftmax.backward(
                output: y, upstream: v, rows: 3, columns: 50, temperature: 0.9, kind: kind)
            for b in 0..<3 {
                let row = g.logits[b * 50..<(b + 1) * 50]
                let scale = row.map { Swift.abs(Double($0)) }.max()!
                #expect(Swift.abs(row.reduce(0.0) { $0 + Double($1) }) <= 1e-5 * scale * 50)
            }
        }
    }

    @Test func threadCountNeverChangesTheBits() throws {
        let (rows, columns) = (64, 1024)
        let logits = testLogits(count: rows * columns, seed: 16)
        for kind in [GumbelSoftmax.Output.soft, .log] {
            let y = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: 0.7, output: kind, seed: 11)
            let v = upstreamGradient(count: logits.count, seed: 11)
            let one = try GumbelSoftmax.backward(
                output: y, upstream: v, rows: rows, columns: columns, temperature: 0.7, kind: kind, threads: 1)
            let two = try GumbelSoftmax.backward(
                output: y, upstream: v, rows: rows, columns: columns, temperature: 0.7, kind: kind, threads: 2)
            #expect(one == two)
            // Rows are independent: the gradient of a row alone equals its part of the batch.
            let row5 = try GumbelSoftmax.backward(
                output: Array(y[5 * columns..<6 * columns]), upstream: Array(v[5 * columns..<6 * columns]),
                temperature: 0.7, kind: kind)
            #expect(row5.logits == Array(one.logits[5 * columns..<6 * columns]))
            #expect(row5.temperature == [one.temperature[5]])
        }
    }

    @Test func bufferFormWritesIntoCallerBuffers() throws {
        let logits = Self.logits(seed: 17)
        let n = logits.count
        let y = try GumbelSoftmax.sample(
            logits: logits, rows: Self.rows, columns: Self.columns, temperature: 1, seed: 1)
        let v = upstreamGradient(count: n, seed: 1)
        let expected = try GumbelSoftmax.backward(
            output: y, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 1)
        var dl = [Float](repeating: .nan, count: n)
        var dt = [Float](repeating: .nan, count: Self.rows)
        try y.withUnsafeBufferPointer { y in
            try v.withUnsafeBufferPointer { v in
                try dl.withUnsafeMutableBufferPointer { dl in
                    try dt.withUnsafeMutableBufferPointer { dt in
                        try GumbelSoftmax.backward(
                            output: y, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 1,
                            kind: .soft, logitsGradient: dl, temperatureGradient: dt)
                    }
                }
            }
        }
        #expect(dl == expected.logits)
        #expect(dt == expected.temperature)
        // Without a temperature buffer.
        var dl2 = [Float](repeating: .nan, count: n)
        try y.withUnsafeBufferPointer { y in
            try v.withUnsafeBufferPointer { v in
                try dl2.withUnsafeMutableBufferPointer { dl in
                    try GumbelSoftmax.backward(
                        output: y, upstream: v, rows: Self.rows, columns: Self.columns, temperature: 1,
                        kind: .soft, logitsGradient: dl, temperatureGradient: nil)
                }
            }
        }
        #expect(dl2 == expected.logits)
    }

    @Test func refusedInputs() throws {
        let y: [Float] = [0.25, 0.75, 0.5, 0.5]
        let v: [Float] = [1, 2, 3, 4]
        func error(_ body: () throws -> Void) -> GumbelSoftmaxError? {
            do {
                try body()
                return nil
            } catch { return error as? GumbelSoftmaxError }
        }
        for bad: Float in [0, -1, .infinity, .nan] {
            let e = error {
                _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: 2, columns: 2, temperature: bad)
            }
            guard case .invalidTemperature = e else {
                Issue.record("temperature \(bad): \(String(describing: e))")
                continue
            }
        }
        #expect(
            error {
                _ = try GumbelSoftmax.backward(output: y, upstream: [1, 2, 3], rows: 2, columns: 2, temperature: 1)
            }
                == .bufferSizeMismatch(name: "upstream gradient", expected: 4, actual: 3))
        #expect(
            error { _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: 3, columns: 2, temperature: 1) }
                == .bufferSizeMismatch(name: "output", expected: 6, actual: 4))
        #expect(
            error { _ = try GumbelSoftmax.backward(output: [], upstream: [], rows: 2, columns: 0, temperature: 1) }
                == .noCategories)
        #expect(
            error { _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: -1, columns: 2, temperature: 1) }
                == .invalidShape(rows: -1, columns: 2))
        #expect(
            error {
                _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: 2, columns: 2, temperatures: [1])
            } == .temperatureCountMismatch(expected: 2, actual: 1))
        #expect(
            error {
                _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: 2, columns: 2, temperatures: [1, -2])
            } == .invalidRowTemperature(row: 1, value: -2))
        #expect(
            error {
                _ = try GumbelSoftmax.backward(output: y, upstream: v, rows: 2, columns: 2, temperature: 1, threads: 0)
            } == .invalidThreadCount(0))
        // A wrong-sized gradient buffer: refused before anything is written.
        var dl = [Float](repeating: 7, count: 4)
        var dt = [Float](repeating: 7, count: 3)
        var caught: GumbelSoftmaxError?
        y.withUnsafeBufferPointer { y in
            v.withUnsafeBufferPointer { v in
                dl.withUnsafeMutableBufferPointer { dl in
                    dt.withUnsafeMutableBufferPointer { dt in
                        do throws(GumbelSoftmaxError) {
                            try GumbelSoftmax.backward(
                                output: y, upstream: v, rows: 2, columns: 2, temperature: 1,
                                logitsGradient: dl, temperatureGradient: dt)
                        } catch {
                            caught = error
                        }
                    }
                }
            }
        }
        #expect(caught == .bufferSizeMismatch(name: "temperature gradient", expected: 2, actual: 3))
        #expect(dl == [7, 7, 7, 7], "a refused argument leaves the buffers untouched")
        #expect(dt == [7, 7, 7])
        // B = 0 is an empty result.
        let empty = try GumbelSoftmax.backward(output: [], upstream: [], rows: 0, columns: 3, temperature: 1)
        #expect(empty.logits.isEmpty && empty.temperature.isEmpty)
    }

    #if canImport(_Differentiation)
        @Test(arguments: [GumbelSoftmax.Output.soft, .log, .hard])
        func swiftAutomaticDifferentiation(kind: GumbelSoftmax.Output) throws {
            let (rows, columns) = (Self.rows, Self.columns)
            let logits = Self.logits(seed: 18)
            let temperature: Float = 0.9
            let v = upstreamGradient(count: rows * columns, seed: 12)
            let generator = PhiloxGenerator(seed: 77, stream: 2, position: 5)

            // The value is the sample, bit for bit.
            let value = GumbelSoftmax.differentiableSample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, output: kind, seed: 77,
                stream: 2, position: 5)
            #expect(
                value
                    == (try GumbelSoftmax.sample(
                        logits: logits, rows: rows, columns: columns, temperature: temperature, output: kind, seed: 77,
                        stream: 2, position: 5)))

            let (dl, dt) = gradient(at: logits, temperature) { l, t in
                weightedSum(
                    GumbelSoftmax.differentiableSample(
                        logits: l, rows: rows, columns: columns, temperature: t, output: kind, seed: 77, stream: 2,
                        position: 5),
                    v)
            }
            let fd = DoubleSampler(rows: rows, columns: columns, generator: generator).finiteDifferences(
                logits: logits, temperatures: [Double](repeating: Double(temperature), count: rows), upstream: v,
                log: kind == .log)
            let errors = relativeErrors(
                logits: dl.base, temperatures: [dt] + [Float](repeating: 0, count: rows - 1),
                expected: (fd.logits, [fd.temperatures.reduce(0, +)] + [Double](repeating: 0, count: rows - 1)),
                columns: columns)
            #expect(errors.logits < 1e-3)
            #expect(errors.temperature < 1e-3)

            // The pullback is `backward` of the (soft, for hard) sample.
            let (pulledValue, pullback) = valueWithPullback(at: logits, temperature) { l, t in
                GumbelSoftmax.differentiableSample(
                    logits: l, rows: rows, columns: columns, temperature: t, output: kind, seed: 77, stream: 2,
                    position: 5)
            }
            #expect(pulledValue == value)
            let saved = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature,
                output: kind == .hard ? .soft : kind,
                seed: 77, stream: 2, position: 5)
            let expected = try GumbelSoftmax.backward(
                output: saved, upstream: v, rows: rows, columns: columns, temperature: temperature, kind: kind)
            let (pl, pt) = pullback([Float].TangentVector(v))
            #expect(pl.base == expected.logits)
            #expect(pt == expected.totalTemperature)
            // A zero tangent gives zeros.
            let (zl, zt) = pullback(.zero)
            #expect(zl.base.allSatisfy { $0 == 0 } && zt == 0)
        }

        @Test func swiftAutomaticDifferentiationPerRowAndOneRow() throws {
            let (rows, columns) = (Self.rows, Self.columns)
            let logits = Self.logits(seed: 19)
            let temperatures: [Float] = [0.6, 1.4, 1, 2.5]
            let v = upstreamGradient(count: rows * columns, seed: 13)
            let (dl, dt) = gradient(at: logits, temperatures) { l, t in
                weightedSum(
                    GumbelSoftmax.differentiableSample(
                        logits: l, rows: rows, columns: columns, temperatures: t, seed: 3), v)
            }
            let fd = DoubleSampler(rows: rows, columns: columns, generator: PhiloxGenerator(seed: 3))
                .finiteDifferences(logits: logits, temperatures: temperatures.map(Double.init), upstream: v, log: false)
            let errors = relativeErrors(logits: dl.base, temperatures: dt.base, expected: fd, columns: columns)
            #expect(errors.logits < 1e-3)
            #expect(errors.temperature < 1e-3)

            // One row: the same as the first row of a batch.
            let row = Array(logits[0..<columns])
            let w = Array(v[0..<columns])
            let (rl, rt) = gradient(at: row, Float(0.6)) { l, t in
                weightedSum(GumbelSoftmax.differentiableSample(logits: l, temperature: t, seed: 3), w)
            }
            let rowFD = DoubleSampler(rows: 1, columns: columns, generator: PhiloxGenerator(seed: 3))
                .finiteDifferences(logits: row, temperatures: [0.6], upstream: w, log: false)
            let rowErrors = relativeErrors(logits: rl.base, temperatures: [rt], expected: rowFD, columns: columns)
            #expect(rowErrors.logits < 1e-3)
            #expect(rowErrors.temperature < 1e-3)
        }
    #endif
}
