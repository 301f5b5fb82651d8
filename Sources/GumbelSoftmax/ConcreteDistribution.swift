#if canImport(Glibc)
    import Glibc
#endif

/// The Concrete distribution of Maddison et al. (2017), also called Gumbel-Softmax
/// (Jang et al. 2017): the law of `softmax((logits + g) / temperature)` on the simplex, and of
/// its logarithm (ExpConcrete), over a row-major `[B, K]` batch, each row with its own
/// temperature.
///
/// For a point `x` in log space (`x = log y`), with `n` categories and `a_k = l_k - T * x_k`,
///
///     log p_exp(x) = lgamma(n) + (n - 1) * log T + sum_k (a_k - logsumexp(a)),
///
/// the formula of PyTorch's `ExpRelaxedCategorical.log_prob` and TensorFlow Probability's
/// `ExpRelaxedOneHotCategorical`. On the simplex, the change of variables `y = exp(x)` (PyTorch's
/// `RelaxedOneHotCategorical`, an `ExpTransform` of the former) subtracts `sum_k log y_k`:
///
///     log p(y) = log p_exp(log y) - sum_k log y_k,
///
/// Maddison et al.'s density with respect to the Lebesgue measure on `(y_1, ..., y_{n-1})`
/// (for `n = 2` it integrates to 1 over `y_1` in (0, 1)). Both are invariant to adding a constant to
/// a row's logits.
///
/// Conventions where the formulas leave a gap:
/// - A masked category (`-inf` logit) is left out: the row's distribution is the Concrete over
///   its `n` unmasked categories. A point must then be exactly 0 (log space: `-inf`) there;
///   anything else is outside the support and gets `-inf`.
/// - The support is the *open* simplex: a point with an exact zero (`-inf` in log space) at an
///   unmasked category gets `-inf`, not NaN (the formula alone would give `inf - inf`).
/// - Points are not required to sum to 1: like PyTorch without argument validation, the formula
///   is evaluated as given. Samples of this library sum to 1 within `1e-5`.
///
/// Everything is evaluated in Double, in log space, so very low temperatures and points far in
/// the tails stay accurate.
public struct ConcreteDistribution: Sendable, Hashable {
    /// Where a point lives.
    public enum Space: Sendable, Hashable, CaseIterable {
        /// A point `y` on the simplex (Concrete, `RelaxedOneHotCategorical`); matches
        /// `GumbelSoftmax.Output.soft`.
        case simplex
        /// A point `log y` (ExpConcrete, `ExpRelaxedCategorical`); matches
        /// `GumbelSoftmax.Output.log`.
        case log
    }

    /// The logits, row-major `[rows, columns]`; `-inf` masks a category.
    public let logits: [Float]
    /// `B`, the number of rows.
    public let rows: Int
    /// `K`, the number of categories.
    public let columns: Int
    /// The temperature of each row (`rows` values).
    public let temperatures: [Float]

    /// A batch of Concrete distributions sharing one temperature.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major; `-inf` masks a category.
    ///   - rows: `B`; 0 is allowed.
    ///   - columns: `K`; at least 1.
    ///   - temperature: Finite and > 0.
    /// - Throws: The refusals of sampling (SPEC section 4): a temperature that is not finite and
    ///   > 0, NaN or `+inf` logits, an all-masked row, a wrong shape.
    /// - Complexity: O(B * K).
    public init(logits: [Float], rows: Int, columns: Int, temperature: Float) throws(GumbelSoftmaxError) {
        _ = try Validate.inverseTemperature(temperature)
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        try self.init(
            logits: logits, rows: rows, columns: columns, temperatures: [Float](repeating: temperature, count: rows))
    }

    /// A batch of Concrete distributions with one temperature per row.
    ///
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature` and the refusals of
    ///   `init(logits:rows:columns:temperature:)`.
    /// - Complexity: O(B * K).
    public init(logits: [Float], rows: Int, columns: Int, temperatures: [Float]) throws(GumbelSoftmaxError) {
        _ = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        _ = try temperatures.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try Validate.inverseTemperatures(buffer, rows: rows)
        }
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            for row in 0..<rows {
                let start = buffer.baseAddress! + row * columns
                var unmasked = false
                for column in 0..<columns {
                    let x = start[column]
                    if x.isNaN || x == .infinity {
                        throw Validate.diagnose(row: row, logits: buffer.baseAddress!, columns: columns)
                    }
                    if x != -.infinity { unmasked = true }
                }
                if !unmasked { throw .allMaskedRow(row: row) }
            }
        }
        self.logits = logits
        self.rows = rows
        self.columns = columns
        self.temperatures = temperatures
    }

    /// One Concrete distribution over `logits.count` categories.
    ///
    /// - Complexity: O(K).
    public init(logits: [Float], temperature: Float) throws(GumbelSoftmaxError) {
        try self.init(logits: logits, rows: 1, columns: logits.count, temperature: temperature)
    }

    /// The log-density of each row of `point`.
    ///
    /// - Parameters:
    ///   - point: `rows * columns` floats, row-major: `y` on the simplex for `.simplex`, `log y`
    ///     for `.log`.
    ///   - space: `.simplex` (default) or `.log`.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows` log-densities, `-inf` for a point outside the support.
    /// - Throws: `.bufferSizeMismatch` for a wrong-sized point; `.invalidPoint` for a NaN or
    ///   `+inf` coordinate, or a negative one on the simplex.
    /// - Complexity: O(B * K).
    public func logDensity(
        _ point: [Float], space: Space = .simplex, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Double] {
        var result = [Double](repeating: 0, count: rows)
        try point.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                try logDensity(buffer, space: space, into: out, threads: threads)
            }
        }
        return result
    }

    /// The log-density of each row of `point`, into a caller's buffer of `rows` doubles; see
    /// `logDensity(_:space:threads:)`.
    ///
    /// Every refusal comes before any work: on a throw `result` is untouched.
    ///
    /// - Complexity: O(B * K) time; O(K) scratch per thread.
    public func logDensity(
        _ point: UnsafeBufferPointer<Float>, space: Space = .simplex, into result: UnsafeMutableBufferPointer<Double>,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        try Validate.output(name: "point", expected: rows * columns, actual: point.count)
        try Validate.output(name: "log-density output", expected: rows, actual: result.count)
        try Validate.point(point, columns: columns, space: space)
        if rows == 0 { return }
        logits.withUnsafeBufferPointer { l in
            temperatures.withUnsafeBufferPointer { t in
                let job = DensityJob(
                    logits: l.baseAddress!, temperatures: t.baseAddress!, point: point.baseAddress!,
                    result: result.baseAddress!, columns: columns, space: space)
                job.run(rows: rows, threads: threads)
            }
        }
    }

    /// The log-density of one row, in Double; `scratch` holds `count` doubles.
    static func rowLogDensity<Scalar: BinaryFloatingPoint>(
        logits: UnsafePointer<Scalar>, point: UnsafePointer<Scalar>, count: Int, temperature: Double, space: Space,
        scratch a: UnsafeMutablePointer<Double>
    ) -> Double {
        var n = 0
        var maximum = -Double.infinity
        var logSum = 0.0  // sum_k log y_k: the Jacobian of y = exp(x)
        for k in 0..<count {
            let l = logits[k]
            let x = space == .simplex ? Glibc.log(Double(point[k])) : Double(point[k])
            if l == -.infinity {
                // A masked category: the point must sit exactly at 0 there.
                if x != -.infinity { return -.infinity }
                a[k] = -.infinity
                continue
            }
            // The open simplex: an exact zero is outside the support.
            if x == -.infinity { return -.infinity }
            n += 1
            logSum += x
            a[k] = Double(l) - temperature * x
            maximum = Swift.max(maximum, a[k])
        }
        var sum = 0.0
        for k in 0..<count where a[k] != -.infinity { sum += Glibc.exp(a[k] - maximum) }
        let logSumExp = maximum + Glibc.log(sum)
        var score = 0.0
        for k in 0..<count where a[k] != -.infinity { score += a[k] - logSumExp }
        let nn = Double(n)
        var sign: Int32 = 0
        var density = Glibc.lgamma_r(nn, &sign) + (nn - 1) * Glibc.log(temperature) + score
        if space == .simplex { density -= logSum }
        return density
    }

    /// Draws a sample of this batch; see `GumbelSoftmax.sample(logits:rows:columns:temperatures:output:using:threads:)`.
    ///
    /// - Parameters:
    ///   - space: `.simplex` draws `y`, `.log` draws `log y`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Complexity: O(B * K).
    public func sample<G: CounterBasedRandomGenerator>(
        space: Space = .simplex, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Float] {
        try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures,
            output: space == .simplex ? .soft : .log, using: &generator, threads: threads)
    }
}
