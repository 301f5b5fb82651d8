// The Concrete log-density of float64 points (SPEC section 5): ConcreteDistribution's formulas,
// in Double from Double inputs. The kernel is Kernel/DensityKernel.swift's `DensityJob<Double>`.

extension ConcreteDistribution {
    /// The log-density of each row of a float64 `point` under the Concrete distribution of float64
    /// `logits` with one temperature per row; see ``logDensity(_:space:threads:)`` for the formula
    /// and its conventions.
    ///
    /// Nothing is written to `result` on a throw.
    ///
    /// - Parameters:
    ///   - point: `rows * columns` doubles: `y` on the simplex for `.simplex`, `log y` for `.log`.
    ///   - logits: `rows * columns` doubles, row-major; `-inf` masks a category.
    ///   - rows: `B`; 0 is allowed.
    ///   - columns: `K`; at least 1.
    ///   - temperatures: `rows` values, each finite and > 0.
    ///   - space: `.simplex` (default) or `.log`.
    ///   - result: `rows` doubles to overwrite.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: The refusals of sampling (SPEC section 4), `.bufferSizeMismatch` for a wrong-sized
    ///   point or result, `.invalidPoint` for a NaN or `+inf` coordinate or a negative one on the
    ///   simplex.
    /// - Complexity: O(B * K).
    public static func logDensity(
        of point: UnsafeBufferPointer<Double>, logits: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
        temperatures: UnsafeBufferPointer<Double>, space: Space = .simplex,
        into result: UnsafeMutableBufferPointer<Double>,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        let count = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        _ = try Validate.inverseTemperatures(.perRow(temperatures), rows: rows)
        try Validate.output(name: "point", expected: count, actual: point.count)
        try Validate.output(name: "log-density output", expected: rows, actual: result.count)
        if rows == 0 { return }
        try Double.checkLogits(logits.baseAddress!, rows: rows, columns: columns, unmasked: 1, threads: threads)
        try Validate.point(point, columns: columns, space: space)
        DensityJob(
            logits: logits.baseAddress!, temperatures: temperatures.baseAddress!, point: point.baseAddress!,
            result: result.baseAddress!, columns: columns, space: space
        ).run(rows: rows, threads: threads)
    }

    /// The log-density of each row of a float64 `point` under the Concrete distribution of float64
    /// `logits` at one temperature.
    ///
    /// - Returns: `rows` log-densities, `-inf` for a point outside the support.
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func logDensity(
        of point: [Double], logits: [Double], rows: Int, columns: Int, temperature: Double, space: Space = .simplex,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        _ = try Validate.inverseTemperature(temperature)
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        return try logDensity(
            of: point, logits: logits, rows: rows, columns: columns,
            temperatures: [Double](repeating: temperature, count: rows), space: space, threads: threads)
    }

    /// The log-density of each row of a float64 `point`, with one temperature per row.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func logDensity(
        of point: [Double], logits: [Double], rows: Int, columns: Int, temperatures: [Double],
        space: Space = .simplex, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        var result = [Double](repeating: 0, count: rows)
        try point.withUnsafeBufferPointer { (p) throws(GumbelSoftmaxError) in
            try logits.withUnsafeBufferPointer { (l) throws(GumbelSoftmaxError) in
                try temperatures.withUnsafeBufferPointer { (t) throws(GumbelSoftmaxError) in
                    try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                        try logDensity(
                            of: p, logits: l, rows: rows, columns: columns, temperatures: t, space: space, into: out,
                            threads: threads)
                    }
                }
            }
        }
        return result
    }
}
