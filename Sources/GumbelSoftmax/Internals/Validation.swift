// Validation at the public boundary (SPEC section 4). Inner loops assume what is checked here.

enum Validate {
    /// Checks a `[rows, columns]` shape against a buffer of `count` logits; returns `rows * columns`.
    static func shape(rows: Int, columns: Int, count: Int) throws(GumbelSoftmaxError) -> Int {
        let total = try elementCount(rows: rows, columns: columns)
        guard total == count else { throw .logitCountMismatch(expected: total, actual: count) }
        return total
    }

    /// Checks a `[rows, columns]` shape and returns `rows * columns`.
    static func elementCount(rows: Int, columns: Int) throws(GumbelSoftmaxError) -> Int {
        guard rows >= 0, columns >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        guard columns > 0 else { throw .noCategories }
        let (total, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow else { throw .invalidShape(rows: rows, columns: columns) }
        return total
    }

    /// Checks a scalar or per-row temperature and returns the inverse(s): the scalar's, and the
    /// rows' (empty for a scalar).
    static func inverseTemperatures<Scalar: GumbelScalar>(
        _ temperatures: GumbelSoftmax.Temperatures<Scalar>, rows: Int
    ) throws(GumbelSoftmaxError) -> (scalar: Scalar, perRow: [Scalar]) {
        switch temperatures {
        case .scalar(let t): return (try inverseTemperature(t), [])
        case .perRow(let ts): return (1, try inverseTemperatures(ts, rows: rows))
        }
    }

    static func output(name: String, expected: Int, actual: Int) throws(GumbelSoftmaxError) {
        guard expected == actual else { throw .bufferSizeMismatch(name: name, expected: expected, actual: actual) }
    }

    /// Checks a temperature and returns its inverse, capped at the largest finite value so that a
    /// subnormal temperature cannot make `0 * inf`. The error carries the value rounded to Float
    /// (NaN, infinities, zero and signs survive it).
    static func inverseTemperature<Scalar: GumbelScalar>(_ temperature: Scalar) throws(GumbelSoftmaxError) -> Scalar {
        guard temperature.isFinite, temperature > 0 else { throw .invalidTemperature(Float(temperature)) }
        return inverse(temperature)
    }

    @inline(__always)
    static func inverse<Scalar: GumbelScalar>(_ temperature: Scalar) -> Scalar {
        Swift.min(1 / temperature, .greatestFiniteMagnitude)
    }

    /// Checks per-row temperatures and returns their inverses.
    static func inverseTemperatures<Scalar: GumbelScalar>(
        _ temperatures: UnsafeBufferPointer<Scalar>, rows: Int
    ) throws(GumbelSoftmaxError) -> [Scalar] {
        guard temperatures.count == rows else {
            throw .temperatureCountMismatch(expected: rows, actual: temperatures.count)
        }
        var inverses = [Scalar](repeating: 0, count: rows)
        for (row, t) in temperatures.enumerated() {
            guard t.isFinite, t > 0 else { throw .invalidRowTemperature(row: row, value: Float(t)) }
            inverses[row] = inverse(t)
        }
        return inverses
    }

    static func threads(_ threads: Int?) throws(GumbelSoftmaxError) {
        if let threads, threads < 1 { throw .invalidThreadCount(threads) }
    }

    /// The precise error for a row the kernel refused: the first NaN or `+inf`, else all masked.
    static func diagnose<Scalar: GumbelScalar>(
        row: Int, logits: UnsafePointer<Scalar>, columns: Int
    ) -> GumbelSoftmaxError {
        TopKSelection.diagnose(row: row, logits: logits, columns: columns, k: 1)
    }

    /// Checks the coordinates of a Concrete point: no NaN or `+inf`, and none negative on the
    /// simplex.
    static func point<Scalar: GumbelScalar>(
        _ point: UnsafeBufferPointer<Scalar>, columns: Int, space: ConcreteDistribution.Space
    ) throws(GumbelSoftmaxError) {
        for (index, x) in point.enumerated() {
            let invalid = space == .simplex ? (x.isNaN || x < 0 || x == .infinity) : (x.isNaN || x == .infinity)
            if invalid { throw .invalidPoint(row: index / columns, column: index % columns, value: Float(x)) }
        }
    }
}
