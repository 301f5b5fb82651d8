#if canImport(_Differentiation)
    import _Differentiation

    // Swift's differentiable programming over a Gumbel-Softmax sample: `gradient(at:of:)` and
    // `valueWithPullback(at:of:)` reach the logits and the temperature through a sample, the noise
    // being a fixed function of (seed, stream, position). The pullbacks are `GumbelSoftmax.backward`.
    //
    // A differentiable function cannot throw. These functions trap where `sample` would throw; call
    // `sample` (or validate) first when the input comes from data.

    extension GumbelSoftmax {
        /// Draws a `[rows, columns]` Gumbel-Softmax sample that Swift's automatic differentiation
        /// can differentiate with respect to the logits and the temperature
        /// (Jang et al. 2017; Maddison et al. 2017).
        ///
        /// The value is `sample(logits:rows:columns:temperature:output:seed:stream:position:threads:)`,
        /// bit for bit. Its derivative holds the noise fixed (the reparameterisation trick): for
        /// `.soft` and `.log` it is the exact derivative of the output; for `.hard` the value is
        /// one-hot and the derivative is the soft sample's (the straight-through estimator, as
        /// PyTorch's `gumbel_softmax(hard=True)`).
        ///
        /// ```swift
        /// import _Differentiation
        /// let logits: [Float] = [0.5, -1, 2]
        /// let (dLogits, dTemperature) = gradient(at: logits, Float(0.5)) { logits, temperature in
        ///     let y = GumbelSoftmax.differentiableSample(
        ///         logits: logits, rows: 1, columns: 3, temperature: temperature, seed: 42)
        ///     return y[1]  // any differentiable loss of y
        /// }
        /// ```
        ///
        /// - Precondition: The input is one that `sample` accepts; otherwise the call traps with the
        ///   `GumbelSoftmaxError` it would have thrown (a differentiable function cannot throw).
        ///   Validate data-dependent input first, for instance by calling `sample` once.
        /// - Parameters:
        ///   - logits: `rows * columns` floats, row-major; differentiable.
        ///   - rows: `B`.
        ///   - columns: `K`, at least 1.
        ///   - temperature: Finite and > 0; differentiable.
        ///   - output: `.soft` (default), `.log` or `.hard`.
        ///   - seed: The Philox key.
        ///   - stream: The Philox stream.
        ///   - position: The word of element `(0, 0)`; element `(b, k)` uses `position + b*K + k`.
        ///   - threads: Worker threads; never changes the result.
        /// - Returns: `rows * columns` floats.
        /// - Complexity: O(B * K) for the value and for the pullback; `.hard` samples twice (the
        ///   one-hot value and the soft sample its pullback needs).
        @differentiable(reverse,wrt: (logits, temperature))
        public static func differentiableSample(
            logits: [Float], rows: Int, columns: Int, temperature: Float, output: Output = .soft, seed: UInt64,
            stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
        ) -> [Float] {
            do {
                return try sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, seed: seed,
                    stream: stream, position: position, threads: threads)
            } catch {
                preconditionFailure("GumbelSoftmax.differentiableSample: \(error)")
            }
        }

        /// Draws a differentiable Gumbel-Softmax sample of one logit vector; see
        /// `differentiableSample(logits:rows:columns:temperature:output:seed:stream:position:threads:)`.
        ///
        /// - Precondition: The input is one that `sample` accepts.
        /// - Complexity: O(K).
        @differentiable(reverse,wrt: (logits, temperature))
        public static func differentiableSample(
            logits: [Float], temperature: Float, output: Output = .soft, seed: UInt64, stream: UInt64 = 0,
            position: UInt64 = 0
        ) -> [Float] {
            differentiableSample(
                logits: logits, rows: 1, columns: withoutDerivative(at: logits.count), temperature: temperature,
                output: output, seed: seed, stream: stream, position: position)
        }

        /// Draws a differentiable `[rows, columns]` sample with one temperature per row,
        /// differentiable with respect to the logits and the temperatures.
        ///
        /// - Precondition: The input is one that `sample(logits:rows:columns:temperatures:...)`
        ///   accepts; otherwise the call traps with the error it would have thrown.
        /// - Complexity: O(B * K).
        @differentiable(reverse,wrt: (logits, temperatures))
        public static func differentiableSample(
            logits: [Float], rows: Int, columns: Int, temperatures: [Float], output: Output = .soft, seed: UInt64,
            stream: UInt64 = 0, position: UInt64 = 0, threads: Int? = nil
        ) -> [Float] {
            do {
                return try sample(
                    logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
                    seed: seed,
                    stream: stream, position: position, threads: threads)
            } catch {
                preconditionFailure("GumbelSoftmax.differentiableSample: \(error)")
            }
        }

        // MARK: Derivatives

        @usableFromInline
        @derivative(
            of: differentiableSample(logits:rows:columns:temperature:output:seed:stream:position:threads:),
            wrt: (logits, temperature)
        )
        static func _vjpDifferentiableSample(
            logits: [Float], rows: Int, columns: Int, temperature: Float, output: Output, seed: UInt64,
            stream: UInt64, position: UInt64, threads: Int?
        ) -> (value: [Float], pullback: (Array<Float>.TangentVector) -> (Array<Float>.TangentVector, Float)) {
            valueWithPullback(
                output: output,
                draw: { kind throws(GumbelSoftmaxError) in
                    try sample(
                        logits: logits, rows: rows, columns: columns, temperature: temperature, output: kind,
                        seed: seed, stream: stream, position: position, threads: threads)
                },
                backward: { saved, v throws(GumbelSoftmaxError) in
                    try backward(
                        output: saved, upstream: v, rows: rows, columns: columns, temperature: temperature,
                        kind: output, threads: threads)
                },
                temperatureTangent: { $0.totalTemperature })
        }

        @usableFromInline
        @derivative(
            of: differentiableSample(logits:rows:columns:temperatures:output:seed:stream:position:threads:),
            wrt: (logits, temperatures)
        )
        static func _vjpDifferentiableSample(
            logits: [Float], rows: Int, columns: Int, temperatures: [Float], output: Output, seed: UInt64,
            stream: UInt64, position: UInt64, threads: Int?
        ) -> (
            value: [Float],
            pullback: (Array<Float>.TangentVector) -> (Array<Float>.TangentVector, Array<Float>.TangentVector)
        ) {
            valueWithPullback(
                output: output,
                draw: { kind throws(GumbelSoftmaxError) in
                    try sample(
                        logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: kind,
                        seed: seed, stream: stream, position: position, threads: threads)
                },
                backward: { saved, v throws(GumbelSoftmaxError) in
                    try backward(
                        output: saved, upstream: v, rows: rows, columns: columns, temperatures: temperatures,
                        kind: output, threads: threads)
                },
                temperatureTangent: { Array<Float>.TangentVector($0.temperature) })
        }

        /// The one shape of both derivatives: the value, and a pullback that runs `backward` on the
        /// sample it needs and the upstream tangent.
        ///
        /// - Parameters:
        ///   - output: The output of the differentiable sample.
        ///   - draw: Draws the sample of an output kind; the value is `draw(output)`, and the
        ///     pullback's sample is the value for `.soft` and `.log`, `draw(.soft)` for `.hard`
        ///     (straight-through).
        ///   - backward: `GumbelSoftmax.backward` of a saved sample and an upstream gradient.
        ///   - temperatureTangent: The temperature's tangent from the gradient (the batch's total
        ///     for one temperature, the per-row gradient for per-row temperatures).
        /// - Returns: The value and its pullback; a zero tangent (an empty array) pulls back zeros.
        static func valueWithPullback<TemperatureTangent>(
            output: Output, draw: (Output) throws(GumbelSoftmaxError) -> [Float],
            backward: @escaping (_ saved: [Float], _ upstream: [Float]) throws(GumbelSoftmaxError) -> Gradient,
            temperatureTangent: @escaping (Gradient) -> TemperatureTangent
        ) -> (
            value: [Float], pullback: (Array<Float>.TangentVector) -> (Array<Float>.TangentVector, TemperatureTangent)
        ) {
            let value: [Float]
            let saved: [Float]
            do {
                value = try draw(output)
                saved = output == .hard ? try draw(.soft) : value
            } catch {
                preconditionFailure("GumbelSoftmax.differentiableSample: \(error)")
            }
            return (
                value,
                { upstream in
                    let v = upstream.base.isEmpty ? [Float](repeating: 0, count: saved.count) : upstream.base
                    do {
                        let gradient = try backward(saved, v)
                        return (Array<Float>.TangentVector(gradient.logits), temperatureTangent(gradient))
                    } catch {
                        preconditionFailure("GumbelSoftmax.differentiableSample pullback: \(error)")
                    }
                }
            )
        }
    }
#endif
