// Vector-Jacobian products of a Gumbel-Softmax sample with the noise held fixed: the reverse pass
// of the reparameterisation trick. Rows are independent, so they run in parallel and the thread
// count never changes a bit of the result; the one reduction BLAS does (`<v, y>`) goes through
// `BLAS.blockedDot`, whose order does not depend on OpenBLAS's thread count either.

extension GumbelSoftmax {
    /// The gradient of a loss with respect to the inputs of a Gumbel-Softmax sample, with the
    /// Gumbel noise held fixed.
    public struct Gradient: Sendable, Hashable {
        /// `dL/dlogits`, row-major `[B, K]` like the logits.
        public var logits: [Float]
        /// `dL/dtemperature` of each row (`B` values). With one scalar temperature for the whole
        /// batch, its gradient is `totalTemperature`, the sum of these.
        public var temperature: [Float]

        /// Creates a gradient from its parts.
        public init(logits: [Float], temperature: [Float]) {
            self.logits = logits
            self.temperature = temperature
        }

        /// The gradient with respect to one temperature shared by every row: the sum of the
        /// per-row values, added in order in Double.
        public var totalTemperature: Float {
            Float(temperature.reduce(0.0) { $0 + Double($1) })
        }
    }

    // MARK: Into caller buffers

    /// Computes the gradient of a loss with respect to the logits and the temperature of a
    /// Gumbel-Softmax sample, given the sample and the gradient with respect to it, with the
    /// Gumbel noise held fixed (the reparameterisation trick of Jang et al. 2017 and
    /// Maddison et al. 2017).
    ///
    /// Per row, with `z = (logits + g) / temperature`:
    /// - `.soft` (`y = softmax(z)`): `dL/dz = y * (v - <v, y>)`;
    /// - `.log` (`log_y = log_softmax(z)`): `dL/dz = v - exp(log_y) * sum(v)`, the sum over the
    ///   unmasked categories; a masked category (`log_y == -inf`) gets 0 whatever its upstream;
    /// - `.hard`: the straight-through estimator, as PyTorch's `gumbel_softmax(hard: true)`: the
    ///   forward value is one-hot but the backward pass is that of the soft sample, so pass the
    ///   *soft* sample `y` as `output`. The result equals `.soft`'s.
    ///
    /// Then `dL/dlogits = dL/dz / temperature` and
    /// `dL/dtemperature = -(1 / temperature) * sum_k dL/dz_k * z_k`. Since `sum_k dL/dz_k = 0`,
    /// `z_k` is replaced by `log y_k` (the row's constant shift drops out), so the noise is not
    /// needed; categories with `y_k = 0` contribute 0.
    ///
    /// Validation is of shapes and temperatures only: the values of `output` are taken to be a
    /// sample of this library (`sample(..., output: .soft)` or `.log`).
    ///
    /// - Parameters:
    ///   - output: The sample, `rows * columns` floats: `softmax(z)` for `.soft` and `.hard`,
    ///     `log_softmax(z)` for `.log`.
    ///   - upstream: `dL/doutput`, `rows * columns` floats.
    ///   - rows: `B`; 0 gives an empty result.
    ///   - columns: `K`; at least 1.
    ///   - temperature: The temperature the sample was drawn at; finite and > 0.
    ///   - kind: Which output `output` and `upstream` belong to.
    ///   - logitsGradient: `rows * columns` floats to overwrite with `dL/dlogits`.
    ///   - temperatureGradient: `rows` floats to overwrite with each row's `dL/dtemperature`
    ///     (their sum is the gradient of the shared temperature), or nil to skip it.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `GumbelSoftmaxError`: `.invalidTemperature`, `.invalidShape`, `.noCategories`,
    ///   `.bufferSizeMismatch` naming the wrong-sized buffer, `.invalidThreadCount`. Every
    ///   refusal comes before any work: the gradient buffers are then untouched.
    /// - Complexity: O(B * K).
    public static func backward(
        output: UnsafeBufferPointer<Float>, upstream: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        temperature: Float, kind: Output = .soft, logitsGradient: UnsafeMutableBufferPointer<Float>,
        temperatureGradient: UnsafeMutableBufferPointer<Float>?, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runBackward(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .scalar(temperature),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }

    /// Computes the gradient of a sample drawn with one temperature per row, into caller
    /// buffers; see `backward(output:upstream:rows:columns:temperature:kind:logitsGradient:temperatureGradient:threads:)`.
    ///
    /// - Parameters:
    ///   - output: The sample, `rows * columns` floats: `softmax(z)` for `.soft` and `.hard`,
    ///     `log_softmax(z)` for `.log`.
    ///   - upstream: `dL/doutput`, `rows * columns` floats.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperatures: `rows` values, each finite and > 0.
    ///   - kind: Which output `output` and `upstream` belong to.
    ///   - logitsGradient: `rows * columns` floats to overwrite with `dL/dlogits`.
    ///   - temperatureGradient: `rows` floats: `dL/dtemperatures`, or nil to skip it.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature` and the other refusals.
    /// - Complexity: O(B * K).
    public static func backward(
        output: UnsafeBufferPointer<Float>, upstream: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        temperatures: UnsafeBufferPointer<Float>, kind: Output = .soft,
        logitsGradient: UnsafeMutableBufferPointer<Float>, temperatureGradient: UnsafeMutableBufferPointer<Float>?,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runBackward(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .perRow(temperatures),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }

    // MARK: Arrays

    /// Returns the gradient of a loss with respect to the logits and the temperature of a
    /// `[rows, columns]` Gumbel-Softmax sample, with the noise held fixed.
    ///
    /// See `backward(output:upstream:rows:columns:temperature:kind:logitsGradient:temperatureGradient:threads:)`
    /// for the formulas; for `.hard`, pass the soft sample (straight-through).
    ///
    /// - Returns: `dL/dlogits` (`B * K`) and each row's `dL/dtemperature` (`B`); the gradient of
    ///   the shared temperature is `totalTemperature`.
    /// - Throws: `GumbelSoftmaxError` for wrong sizes or a temperature that is not finite and > 0.
    /// - Complexity: O(B * K).
    public static func backward(
        output: [Float], upstream: [Float], rows: Int, columns: Int, temperature: Float, kind: Output = .soft,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> Gradient {
        let (logits, temperature) = try backwardArrays(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .scalar(temperature),
            kind: kind, threads: threads)
        return Gradient(logits: logits, temperature: temperature)
    }

    /// Returns the gradient of a one-row sample: `K` logit gradients and one temperature gradient.
    ///
    /// - Complexity: O(K).
    public static func backward(
        output: [Float], upstream: [Float], temperature: Float, kind: Output = .soft
    ) throws(GumbelSoftmaxError) -> Gradient {
        try backward(
            output: output, upstream: upstream, rows: 1, columns: output.count, temperature: temperature, kind: kind)
    }

    /// Returns the gradient of a `[rows, columns]` sample drawn with one temperature per row.
    ///
    /// - Returns: `dL/dlogits` (`B * K`) and `dL/dtemperatures` (`B`).
    /// - Throws: `.temperatureCountMismatch`, `.invalidRowTemperature` and the other refusals.
    /// - Complexity: O(B * K).
    public static func backward(
        output: [Float], upstream: [Float], rows: Int, columns: Int, temperatures: [Float], kind: Output = .soft,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> Gradient {
        let (logits, temperature) = try backwardArrays(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: temperatures, kind: kind,
            threads: threads)
        return Gradient(logits: logits, temperature: temperature)
    }

    // MARK: Implementation, for Float and Double

    /// The gradients of a sample as new arrays: `dL/dlogits` and each row's `dL/dtemperature`.
    static func backwardArrays<Scalar: GumbelScalar>(
        output: [Scalar], upstream: [Scalar], rows: Int, columns: Int, temperatures: Temperatures<Scalar>,
        kind: Output, threads: Int?
    ) throws(GumbelSoftmaxError) -> (logits: [Scalar], temperature: [Scalar]) {
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: columns) }
        var temperatureGradient = [Scalar](repeating: 0, count: rows)
        let logitsGradient = try output.withUnsafeBufferPointer { (y) throws(GumbelSoftmaxError) in
            try upstream.withUnsafeBufferPointer { (v) throws(GumbelSoftmaxError) in
                try temperatureGradient.withUnsafeMutableBufferPointer { (t) throws(GumbelSoftmaxError) in
                    try allocating(count: output.count) { (g) throws(GumbelSoftmaxError) in
                        try runBackward(
                            output: y, upstream: v, rows: rows, columns: columns, temperatures: temperatures,
                            kind: kind, logitsGradient: g, temperatureGradient: t, threads: threads)
                    }
                }
            }
        }
        return (logitsGradient, temperatureGradient)
    }

    /// `backwardArrays` with one temperature per row.
    static func backwardArrays<Scalar: GumbelScalar>(
        output: [Scalar], upstream: [Scalar], rows: Int, columns: Int, temperatures: [Scalar], kind: Output,
        threads: Int?
    ) throws(GumbelSoftmaxError) -> (logits: [Scalar], temperature: [Scalar]) {
        try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
            try backwardArrays(
                output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .perRow(temps),
                kind: kind, threads: threads)
        }
    }

    /// Validates shapes, sizes and temperatures, then runs the backward kernel; every refusal
    /// comes before any work, so nothing is written on a throw.
    static func runBackward<Scalar: GumbelScalar>(
        output: UnsafeBufferPointer<Scalar>, upstream: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int,
        temperatures: Temperatures<Scalar>, kind: Output, logitsGradient: UnsafeMutableBufferPointer<Scalar>,
        temperatureGradient: UnsafeMutableBufferPointer<Scalar>?, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        let count = try Validate.elementCount(rows: rows, columns: columns)
        try Validate.output(name: "output", expected: count, actual: output.count)
        try Validate.output(name: "upstream gradient", expected: count, actual: upstream.count)
        try Validate.output(name: "logits gradient", expected: count, actual: logitsGradient.count)
        if let temperatureGradient {
            try Validate.output(name: "temperature gradient", expected: rows, actual: temperatureGradient.count)
        }
        let (scalarInverse, inverses) = try Validate.inverseTemperatures(temperatures, rows: rows)
        if rows == 0 { return }
        inverses.withUnsafeBufferPointer { inverseBuffer in
            let job = BackwardJob(
                output: output.baseAddress!, upstream: upstream.baseAddress!, columns: columns,
                logitsGradient: logitsGradient.baseAddress!, temperatureGradient: temperatureGradient?.baseAddress,
                logSpace: kind == .log, inverseTemperature: scalarInverse,
                rowInverseTemperatures: inverseBuffer.isEmpty ? nil : inverseBuffer.baseAddress)
            let workers = Scheduler.workerCount(requested: threads, elements: count, units: rows)
            Scheduler.run(units: rows, workers: workers) { range in
                for row in range { job.row(row) }
            }
        }
    }
}
