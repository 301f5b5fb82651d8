import Foundation
import Testing

@testable import GumbelSoftmax

/// Maddison et al. (2017), eq. for the Concrete density, evaluated directly in Double in its
/// product form with normalised probabilities `pi = softmax(logits)`:
/// `p(y) = (n-1)! T^(n-1) prod_k (pi_k y_k^(-T-1)) / (sum_i pi_i y_i^(-T))^n`.
private func maddisonLogDensity(logits: [Float], temperature: Float, point y: [Double]) -> Double {
    let l = logits.map(Double.init)
    let t = Double(temperature)
    let n = l.count
    let m = l.max()!
    let logNorm = m + log(l.reduce(0.0) { $0 + exp($1 - m) })
    let logPi = l.map { $0 - logNorm }
    let logFactorial = (1..<n).reduce(0.0) { $0 + log(Double($1)) }
    var total = logFactorial + Double(n - 1) * log(t)
    for k in 0..<n { total += logPi[k] - (t + 1) * log(y[k]) }
    let terms = (0..<n).map { logPi[$0] - t * log(y[$0]) }
    let tm = terms.max()!
    total -= Double(n) * (tm + log(terms.reduce(0.0) { $0 + exp($1 - tm) }))
    return total
}

@Suite("Concrete (Maddison et al. 2017) log-density")
struct ConcreteDistributionTests {
    /// Known answers from PyTorch 2.15.0+cu132 (`pip install torch` from PyPI into a throwaway venv,
    /// Python 3.11, run on the CPU), computed in float64 from inputs first rounded to float32, as
    /// this library receives them:
    ///
    ///     import torch
    ///     from torch.distributions import RelaxedOneHotCategorical
    ///     from torch.distributions.relaxed_categorical import ExpRelaxedCategorical
    ///     def f32(v): return torch.tensor(v, dtype=torch.float32).double()
    ///     l, T, y = f32(logits), f32(temperature), f32(point)
    ///     RelaxedOneHotCategorical(T, logits=l).log_prob(y)            # `simplex`
    ///     ExpRelaxedCategorical(T, logits=l).log_prob(torch.log(y))    # `logSpace`
    static let pytorchSimplex:
        [(logits: [Float], temperature: Float, point: [Float], simplex: Double, logSpace: Double)] = [
            ([0.5, -1.0, 2.0], 0.5, [0.2, 0.3, 0.5], -2.018814973637829, -5.52537281632022),
            ([0.0, 0.0], 1.0, [0.25, 0.75], -2.220446049250313e-16, -1.6739764335716718),
            ([1.0, 2.0, 3.0, -0.5], 0.1, [0.01, 0.04, 0.9, 0.05], -1.8899435672006373, -12.815082423562023),
            ([3.0, -2.0, 0.25], 2.0, [0.6, 0.1, 0.3], 2.1036898750366846, -1.913693551675269),
        ]
    /// `ExpRelaxedCategorical(T, logits=l).log_prob(x)` with `x = f32(point)`, log-space points at
    /// low temperature, obtained the same way.
    static let pytorchLog: [(logits: [Float], temperature: Float, point: [Float], logSpace: Double)] = [
        ([1.0, -1.0, 0.5], 0.05, [-0.001, -40.0, -7.5], -8.599290072376826),
        ([0.0, 10.0, -3.0, 2.0, 1.0], 0.01, [-300.0, -0.0001, -1200.0, -9.0, -150.0], -40.22563019395909),
    ]

    @Test func matchesPyTorch() throws {
        for c in Self.pytorchSimplex {
            let d = try ConcreteDistribution(logits: c.logits, temperature: c.temperature)
            let simplex = try d.logDensity(c.point)[0]
            #expect(Swift.abs(simplex - c.simplex) <= 1e-10 * Swift.max(1, Swift.abs(c.simplex)), "\(c)")
            // The log-space point is log(y) of the float32 y, as PyTorch took it (rounded to Float).
            let logPoint = c.point.map { Float(log(Double($0))) }
            let logSpace = try d.logDensity(logPoint, space: .log)[0]
            let expected = c.logSpace
            #expect(Swift.abs(logSpace - expected) <= 1e-5 * Swift.max(1, Swift.abs(expected)), "\(c)")
        }
        for c in Self.pytorchLog {
            let d = try ConcreteDistribution(logits: c.logits, temperature: c.temperature)
            let value = try d.logDensity(c.point, space: .log)[0]
            #expect(Swift.abs(value - c.logSpace) <= 1e-10 * Swift.max(1, Swift.abs(c.logSpace)), "\(c)")
        }
    }

    @Test func matchesTheProductFormOnSamples() throws {
        let (rows, columns) = (16, 6)
        var logits = testLogits(count: rows * columns, seed: 31, scale: 2)
        logits[3 * columns + 1] = -.infinity
        let temperatures: [Float] = (0..<rows).map { [0.3, 0.5, 1, 2.5][$0 % 4] }
        let d = try ConcreteDistribution(logits: logits, rows: rows, columns: columns, temperatures: temperatures)
        var generator = PhiloxGenerator(seed: 12)
        let y = try d.sample(using: &generator)
        generator.position = 0
        let logY = try d.sample(space: .log, using: &generator)
        let simplex = try d.logDensity(y)
        let logSpace = try d.logDensity(logY, space: .log)
        var checked = 0
        for b in 0..<rows {
            let rowY = Array(y[b * columns..<(b + 1) * columns])
            let rowLogits = Array(logits[b * columns..<(b + 1) * columns])
            // Masked categories are left out (the sample is exactly 0 there).
            let keep = (0..<columns).filter { rowLogits[$0] != -.infinity }
            if rowY.contains(0) { continue }  // an underflowed coordinate: outside the open simplex
            let expected = maddisonLogDensity(
                logits: keep.map { rowLogits[$0] }, temperature: temperatures[b], point: keep.map { Double(rowY[$0]) })
            #expect(Swift.abs(simplex[b] - expected) <= 1e-9 * Swift.max(1, Swift.abs(expected)), "row \(b)")
            // The change of variables: log p(y) = log p_exp(log y) - sum log y, for the log of the
            // same point.
            let rowLog = keep.map { Float(log(Double(rowY[$0]))) }
            let exp = try ConcreteDistribution(logits: keep.map { rowLogits[$0] }, temperature: temperatures[b])
                .logDensity(rowLog, space: .log)[0]
            let jacobian = rowLog.reduce(0.0) { $0 + Double($1) }
            #expect(Swift.abs(simplex[b] - (exp - jacobian)) <= 1e-4 * Swift.max(1, Swift.abs(expected)), "row \(b)")
            checked += 1
            #expect(logSpace[b].isFinite)
        }
        #expect(checked >= rows / 2)
    }

    @Test func integratesToOneForTwoCategories() throws {
        // Over the simplex for K = 2 the density is with respect to y1 on (0, 1). Substituting
        // y1 = sigmoid(s), dy1 = y1 * y2 ds, gives a smooth integrand with exponential tails, which
        // the trapezoid rule integrates to near machine precision.
        for (logits, temperature) in [
            ([Float(0.7), -0.4], Float(0.5)), ([0, 0], 1), ([2, -1], 3), ([-1, 1.5], 0.3),
        ] {
            let span = 25 / Double(temperature) + 20
            let step = 0.01
            let count = Int(2 * span / step) + 1
            var simplexPoints = [Float](repeating: 0, count: 2 * count)
            var logPoints = [Float](repeating: 0, count: 2 * count)
            for i in 0..<count {
                let s = -span + Double(i) * step
                // log y1 = -softplus(-s), log y2 = -softplus(s), both without cancellation.
                let log1 = -(Swift.max(-s, 0) + log1p(exp(-Swift.abs(s))))
                let log2 = -(Swift.max(s, 0) + log1p(exp(-Swift.abs(s))))
                simplexPoints[2 * i] = Float(exp(log1))
                simplexPoints[2 * i + 1] = Float(exp(log2))
                logPoints[2 * i] = Float(log1)
                logPoints[2 * i + 1] = Float(log2)
            }
            let d = try ConcreteDistribution(
                logits: [Float]((0..<count).flatMap { _ in logits }), rows: count, columns: 2, temperature: temperature)
            let simplex = try d.logDensity(simplexPoints)
            let logSpace = try d.logDensity(logPoints, space: .log)
            var simplexIntegral = 0.0
            var logIntegral = 0.0
            for i in 0..<count {
                // The points are rounded to Float: use their own y1 * y2 for the measure.
                let y1 = Double(simplexPoints[2 * i])
                let y2 = Double(simplexPoints[2 * i + 1])
                simplexIntegral += exp(simplex[i]) * y1 * y2 * (i == 0 || i == count - 1 ? step / 2 : step)
                // In log space the density is with respect to d(x1 - x2) = ds (PyTorch's convention).
                logIntegral += exp(logSpace[i]) * (i == 0 || i == count - 1 ? step / 2 : step)
            }
            #expect(Swift.abs(simplexIntegral - 1) <= 1e-5, "logits \(logits), T \(temperature): \(simplexIntegral)")
            #expect(Swift.abs(logIntegral - 1) <= 1e-5, "logits \(logits), T \(temperature): \(logIntegral)")
        }
    }

    @Test func boundaryAndMaskedPoints() throws {
        let d = try ConcreteDistribution(logits: [0.5, -.infinity, 1, 0], temperature: 0.4)
        // An exact zero at an unmasked category: outside the open simplex, -inf and not NaN.
        #expect(try d.logDensity([0.5, 0, 0.5, 0]) == [-.infinity])
        #expect(try d.logDensity([-1, -.infinity, -.infinity, -0.5], space: .log) == [-.infinity])
        // A masked category must sit at exactly 0 (log: -inf).
        #expect(try d.logDensity([0.25, 0.25, 0.25, 0.25]) == [-.infinity])
        #expect(try d.logDensity([-1, -2, -1, -1], space: .log) == [-.infinity])
        // With the masked category at 0, the density is the 3-category one.
        let three = try ConcreteDistribution(logits: [0.5, 1, 0], temperature: 0.4)
        #expect(try d.logDensity([0.2, 0, 0.5, 0.3]) == (try three.logDensity([0.2, 0.5, 0.3])))
        #expect(
            try d.logDensity([-1.5, -.infinity, -0.5, -2], space: .log)
                == (try three.logDensity([-1.5, -0.5, -2], space: .log)))
        // One unmasked category: a point mass, log-density 0 at y = 1.
        let one = try ConcreteDistribution(logits: [-.infinity, 2], temperature: 0.7)
        #expect(try one.logDensity([0, 1]) == [0])
        #expect(try one.logDensity([-.infinity, 0], space: .log) == [0])
    }

    @Test func lowTemperatureStaysFiniteAndAccurate() throws {
        // At T = 0.01 samples sit deep in the tails; the log-space density stays finite.
        let logits = testLogits(count: 8 * 10, seed: 33, scale: 3)
        let d = try ConcreteDistribution(logits: logits, rows: 8, columns: 10, temperature: 0.01)
        var generator = PhiloxGenerator(seed: 4)
        let logY = try d.sample(space: .log, using: &generator)
        let values = try d.logDensity(logY, space: .log)
        for b in 0..<8 {
            #expect(values[b].isFinite, "row \(b)")
            // Against the PyTorch formula written out in Double here.
            let l = logits[b * 10..<(b + 1) * 10].map(Double.init)
            let x = logY[b * 10..<(b + 1) * 10].map(Double.init)
            let t = Double(Float(0.01))  // the Float temperature the distribution holds
            let a = zip(l, x).map { $0 - t * $1 }
            let m = a.max()!
            let lse = m + log(a.reduce(0.0) { $0 + exp($1 - m) })
            let expected = lgamma(10.0) + 9 * log(t) + a.reduce(0.0) { $0 + $1 - lse }
            #expect(Swift.abs(values[b] - expected) <= 1e-9 * Swift.max(1, Swift.abs(expected)), "row \(b)")
        }
    }

    @Test func perRowTemperaturesAndThreads() throws {
        let (rows, columns) = (300, 120)
        let logits = testLogits(count: rows * columns, seed: 34)
        let temperatures = (0..<rows).map { Float(0.2 + Double($0 % 7) * 0.3) }
        let d = try ConcreteDistribution(logits: logits, rows: rows, columns: columns, temperatures: temperatures)
        var generator = PhiloxGenerator(seed: 5)
        let y = try d.sample(using: &generator)
        let one = try d.logDensity(y, threads: 1)
        let two = try d.logDensity(y, threads: 2)
        #expect(one == two)
        for b in [0, 1, 150, 299] {
            let row = try ConcreteDistribution(
                logits: Array(logits[b * columns..<(b + 1) * columns]), temperature: temperatures[b])
            #expect(try row.logDensity(Array(y[b * columns..<(b + 1) * columns])) == [one[b]])
        }
        // A scalar temperature is the same as equal per-row ones.
        let scalar = try ConcreteDistribution(logits: logits, rows: rows, columns: columns, temperature: 0.8)
        let equal = try ConcreteDistribution(
            logits: logits, rows: rows, columns: columns, temperatures: [Float](repeating: 0.8, count: rows))
        #expect(try scalar.logDensity(y) == (try equal.logDensity(y)))
    }

    @Test func refusedInputs() throws {
        func error(_ body: () throws -> Void) -> GumbelSoftmaxError? {
            do {
                try body()
                return nil
            } catch { return error as? GumbelSoftmaxError }
        }
        #expect(error { _ = try ConcreteDistribution(logits: [0, 1], temperature: 0) } == .invalidTemperature(0))
        #expect(
            error { _ = try ConcreteDistribution(logits: [0, .nan], temperature: 1) } == .nanLogit(row: 0, column: 1))
        #expect(
            error { _ = try ConcreteDistribution(logits: [0, 1, .infinity, 0], rows: 2, columns: 2, temperature: 1) }
                == .infiniteLogit(row: 1, column: 0))
        #expect(
            error {
                _ = try ConcreteDistribution(
                    logits: [0, 1, -.infinity, -.infinity], rows: 2, columns: 2, temperature: 1)
            }
                == .allMaskedRow(row: 1))
        #expect(error { _ = try ConcreteDistribution(logits: [], temperature: 1) } == .noCategories)
        #expect(
            error { _ = try ConcreteDistribution(logits: [0, 1, 2], rows: 2, columns: 2, temperature: 1) }
                == .logitCountMismatch(expected: 4, actual: 3))
        #expect(
            error { _ = try ConcreteDistribution(logits: [0, 1, 2, 3], rows: 2, columns: 2, temperatures: [1]) }
                == .temperatureCountMismatch(expected: 2, actual: 1))
        #expect(
            error {
                _ = try ConcreteDistribution(logits: [0, 1, 2, 3], rows: 2, columns: 2, temperatures: [1, .infinity])
            }
                == .invalidRowTemperature(row: 1, value: .infinity))
        let d = try ConcreteDistribution(logits: [0, 1, 2, 3], rows: 2, columns: 2, temperature: 1)
        #expect(
            error { _ = try d.logDensity([0.5, 0.5]) } == .bufferSizeMismatch(name: "point", expected: 4, actual: 2))
        #expect(error { _ = try d.logDensity([0.5, 0.5, -0.1, 1.1]) } == .invalidPoint(row: 1, column: 0, value: -0.1))
        #expect(
            error { _ = try d.logDensity([0.5, 0.5, 0.5, .infinity]) }
                == .invalidPoint(row: 1, column: 1, value: .infinity))
        #expect(
            error { _ = try d.logDensity([-1, 0.5, -1, -1], space: .log) } == nil,
            "a positive log coordinate is evaluated as given")
        #expect(
            error { _ = try d.logDensity([-1, .infinity, -1, -1], space: .log) }
                == .invalidPoint(row: 0, column: 1, value: .infinity))
        let nanError = error { _ = try d.logDensity([-1, -1, .nan, -1], space: .log) }
        guard case .invalidPoint(row: 1, column: 0, let value) = nanError, value.isNaN else {
            Issue.record("NaN point: \(String(describing: nanError))")
            return
        }
        // B = 0 is an empty result.
        #expect(try ConcreteDistribution(logits: [], rows: 0, columns: 3, temperature: 1).logDensity([]) == [])
    }
}
