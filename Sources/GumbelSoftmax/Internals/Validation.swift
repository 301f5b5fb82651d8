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
    static func inverseTemperatures(
        _ temperatures: GumbelSoftmax.Temperatures, rows: Int
    )
        throws(GumbelSoftmaxError) -> (scalar: Float, perRow: [Float])
    {
        switch temperatures {
        case .scalar(let t): return (try inverseTemperature(t), [])
        case .perRow(let ts): return (1, try inverseTemperatures(ts, rows: rows))
        }
    }

    static func output(name: String, expected: Int, actual: Int) throws(GumbelSoftmaxError) {
        guard expected == actual else { throw .bufferSizeMismatch(name: name, expected: expected, actual: actual) }
    }

    /// Checks a temperature and returns its inverse, capped at the largest finite Float so that a
    /// subnormal temperature cannot make `0 * inf`.
    static func inverseTemperature(_ temperature: Float) throws(GumbelSoftmaxError) -> Float {
        guard temperature.isFinite, temperature > 0 else { throw .invalidTemperature(temperature) }
        return inverse(temperature)
    }

    static func inverse(_ temperature: Float) -> Float {
        Swift.min(1 / temperature, .greatestFiniteMagnitude)
    }

    /// Checks per-row temperatures and returns their inverses.
    static func inverseTemperatures(
        _ temperatures: UnsafeBufferPointer<Float>, rows: Int
    )
        throws(GumbelSoftmaxError) -> [Float]
    {
        guard temperatures.count == rows else {
            throw .temperatureCountMismatch(expected: rows, actual: temperatures.count)
        }
        var inverses = [Float](repeating: 0, count: rows)
        for (row, t) in temperatures.enumerated() {
            guard t.isFinite, t > 0 else { throw .invalidRowTemperature(row: row, value: t) }
            inverses[row] = inverse(t)
        }
        return inverses
    }

    static func threads(_ threads: Int?) throws(GumbelSoftmaxError) {
        if let threads, threads < 1 { throw .invalidThreadCount(threads) }
    }

    /// The precise error for a row the kernel refused: the first NaN or `+inf`, else all masked.
    static func diagnose(row: Int, logits: UnsafePointer<Float>, columns: Int) -> GumbelSoftmaxError {
        let start = logits + row * columns
        for column in 0..<columns {
            let x = start[column]
            if x.isNaN { return .nanLogit(row: row, column: column) }
            if x == .infinity { return .infiniteLogit(row: row, column: column) }
        }
        return .allMaskedRow(row: row)
    }
}
