// Float64 vector-Jacobian products (SPEC section 5): the Double forms of Gradients.swift, with the
// same formulas and shapes. The kernel is Kernel/Float64Backward.swift.

extension GumbelSoftmax {
    /// The gradient of a loss with respect to the inputs of a float64 Gumbel-Softmax sample, with
    /// the Gumbel noise held fixed: the Double counterpart of ``Gradient``.
    public struct Float64Gradient: Sendable, Hashable {
        /// `dL/dlogits`, row-major `[B, K]` like the logits.
        public var logits: [Double]
        /// `dL/dtemperature` of each row (`B` values).
        public var temperature: [Double]

        /// Creates a gradient from its parts.
        public init(logits: [Double], temperature: [Double]) {
            self.logits = logits
            self.temperature = temperature
        }

        /// The gradient with respect to one temperature shared by every row: the sum of the
        /// per-row values, added in order.
        public var totalTemperature: Double { temperature.reduce(0, +) }
    }

    /// Computes the gradient of a loss with respect to the logits and the temperature of a
    /// float64 sample, into caller buffers; the formulas of
    /// `backward(output:upstream:rows:columns:temperature:kind:logitsGradient:temperatureGradient:threads:)`,
    /// in Double.
    ///
    /// - Parameters:
    ///   - output: The sample, `rows * columns` doubles: `softmax(z)` for `.soft` and `.hard`,
    ///     `log_softmax(z)` for `.log`.
    ///   - upstream: `dL/doutput`, `rows * columns` doubles.
    ///   - rows: `B`, the number of rows; 0 gives an empty result.
    ///   - columns: `K`, the number of categories; at least 1.
    ///   - temperature: The temperature the sample was drawn at; finite and > 0.
    ///   - kind: Which output `output` and `upstream` belong to.
    ///   - logitsGradient: `rows * columns` doubles to overwrite with `dL/dlogits`.
    ///   - temperatureGradient: `rows` doubles for each row's `dL/dtemperature`, or nil.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Throws: `GumbelSoftmaxError` for wrong sizes or temperatures; nothing is written then.
    /// - Complexity: O(B * K).
    public static func backward(
        output: UnsafeBufferPointer<Double>, upstream: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
        temperature: Double, kind: Output = .soft, logitsGradient: UnsafeMutableBufferPointer<Double>,
        temperatureGradient: UnsafeMutableBufferPointer<Double>?, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runBackwardFloat64(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .scalar(temperature),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }

    /// The gradient of a float64 sample drawn with one temperature per row, into caller buffers.
    ///
    /// - Complexity: O(B * K).
    public static func backward(
        output: UnsafeBufferPointer<Double>, upstream: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
        temperatures: UnsafeBufferPointer<Double>, kind: Output = .soft,
        logitsGradient: UnsafeMutableBufferPointer<Double>, temperatureGradient: UnsafeMutableBufferPointer<Double>?,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try runBackwardFloat64(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .perRow(temperatures),
            kind: kind, logitsGradient: logitsGradient, temperatureGradient: temperatureGradient, threads: threads)
    }

    /// Returns the gradient of a `[rows, columns]` float64 sample with the noise held fixed.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func backward(
        output: [Double], upstream: [Double], rows: Int, columns: Int, temperature: Double, kind: Output = .soft,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> Float64Gradient {
        try backwardArraysFloat64(output: output, upstream: upstream, rows: rows) {
            (y, v, g, t) throws(GumbelSoftmaxError) in
            try runBackwardFloat64(
                output: y, upstream: v, rows: rows, columns: columns, temperatures: .scalar(temperature), kind: kind,
                logitsGradient: g, temperatureGradient: t, threads: threads)
        }
    }

    /// Returns the gradient of a one-row float64 sample.
    ///
    /// - Complexity: O(K).
    @_disfavoredOverload
    public static func backward(
        output: [Double], upstream: [Double], temperature: Double, kind: Output = .soft
    ) throws(GumbelSoftmaxError) -> Float64Gradient {
        try backward(
            output: output, upstream: upstream, rows: 1, columns: output.count, temperature: temperature, kind: kind)
    }

    /// Returns the gradient of a `[rows, columns]` float64 sample drawn with one temperature per row.
    ///
    /// - Complexity: O(B * K).
    @_disfavoredOverload
    public static func backward(
        output: [Double], upstream: [Double], rows: Int, columns: Int, temperatures: [Double], kind: Output = .soft,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> Float64Gradient {
        try temperatures.withUnsafeBufferPointer { (temps) throws(GumbelSoftmaxError) in
            try backwardArraysFloat64(output: output, upstream: upstream, rows: rows) {
                (y, v, g, t) throws(GumbelSoftmaxError) in
                try runBackwardFloat64(
                    output: y, upstream: v, rows: rows, columns: columns, temperatures: .perRow(temps), kind: kind,
                    logitsGradient: g, temperatureGradient: t, threads: threads)
            }
        }
    }

    // MARK: Implementation

    static func backwardArraysFloat64(
        output: [Double], upstream: [Double], rows: Int,
        _ body: (
            UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>,
            UnsafeMutableBufferPointer<Double>
        ) throws(GumbelSoftmaxError) -> Void
    ) throws(GumbelSoftmaxError) -> Float64Gradient {
        guard rows >= 0 else { throw .invalidShape(rows: rows, columns: output.count) }
        var temperatureGradient = [Double](repeating: 0, count: rows)
        var logitsGradient = [Double](repeating: 0, count: output.count)
        try output.withUnsafeBufferPointer { (y) throws(GumbelSoftmaxError) in
            try upstream.withUnsafeBufferPointer { (v) throws(GumbelSoftmaxError) in
                try temperatureGradient.withUnsafeMutableBufferPointer { (t) throws(GumbelSoftmaxError) in
                    try logitsGradient.withUnsafeMutableBufferPointer { (g) throws(GumbelSoftmaxError) in
                        try body(y, v, g, t)
                    }
                }
            }
        }
        return Float64Gradient(logits: logitsGradient, temperature: temperatureGradient)
    }

    /// Validates, then runs the float64 backward kernel; nothing is written on a throw.
    static func runBackwardFloat64(
        output: UnsafeBufferPointer<Double>, upstream: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
        temperatures: Float64Temperatures, kind: Output, logitsGradient: UnsafeMutableBufferPointer<Double>,
        temperatureGradient: UnsafeMutableBufferPointer<Double>?, threads: Int?
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
            let job = Float64BackwardJob(
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
