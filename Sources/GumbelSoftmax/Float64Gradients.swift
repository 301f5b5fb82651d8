// Float64 vector-Jacobian products (SPEC section 5): the Double forms of Gradients.swift, with the
// same formulas and shapes, calling its generics. The vector loops are Kernel/Float64Backward.swift.

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
        try runBackward(
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
        try runBackward(
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
        let (logits, temperature) = try backwardArrays(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: .scalar(temperature),
            kind: kind, threads: threads)
        return Float64Gradient(logits: logits, temperature: temperature)
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
        let (logits, temperature) = try backwardArrays(
            output: output, upstream: upstream, rows: rows, columns: columns, temperatures: temperatures, kind: kind,
            threads: threads)
        return Float64Gradient(logits: logits, temperature: temperature)
    }
}
