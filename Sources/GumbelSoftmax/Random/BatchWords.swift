// Where the words of a batch come from (SPEC section 3): one stream, element `(b, k)` at
// `position + b*K + k`; or one stream per row, element `(b, k)` at `position_b + k` of row b's
// own `(seed_b, stream_b)`. The kernels ask for the words of a flat element range, which may span
// rows, and for single tail words.

@_spi(Exports) public struct BatchWords: Sendable {
    /// Writes the words of flat elements `element ..< element + buffer.count`.
    let fill: @Sendable (_ element: Int, _ buffer: UnsafeMutableBufferPointer<UInt32>) -> Void
    /// The tail word of flat element `element`.
    let tailWord: @Sendable (_ element: Int) -> UInt32
    let mapping: UniformMapping
    /// Writes the float64 uniforms of flat elements `element ..< element + buffer.count` and
    /// returns true, or returns false when the float64 noise uses the words' uniforms.
    let fillFloat64Uniforms: @Sendable (_ element: Int, _ buffer: UnsafeMutableBufferPointer<Double>) -> Bool

    /// One stream: the generator's words from its position on.
    init<G: CounterBasedRandomGenerator>(_ source: G) {
        fill = { source.fillWords(startingAt: source.position &+ UInt64($0), into: $1) }
        fillFloat64Uniforms = { source.fillFloat64Uniforms(startingAt: source.position &+ UInt64($0), into: $1) }
        tailWord = { source.tailWord(at: source.position &+ UInt64($0)) }
        mapping = G.uniformMapping
    }

    /// One Philox stream per row; `streams` must stay valid while the kernel runs.
    init(rowStreams streams: UnsafeBufferPointer<RowStream>, columns: Int) {
        let table = RowStreamTable(streams: streams, columns: columns)
        fill = { table.fill(element: $0, into: $1) }
        tailWord = { table.tailWord(element: $0) }
        mapping = .centered
        fillFloat64Uniforms = { _, _ in false }
    }
}

/// The rows' streams, handed to the worker threads (the caller keeps the memory alive).
private struct RowStreamTable: @unchecked Sendable {
    let streams: UnsafeBufferPointer<RowStream>
    let columns: Int

    func fill(element: Int, into buffer: UnsafeMutableBufferPointer<UInt32>) {
        var element = element
        var written = 0
        while written < buffer.count {
            let (row, column) = element.quotientAndRemainder(dividingBy: columns)
            let n = Swift.min(buffer.count - written, columns - column)
            let s = streams[row]
            Philox.fill(
                seed: s.seed, stream: s.stream, position: s.position &+ UInt64(column), count: n,
                into: buffer.baseAddress! + written)
            written += n
            element += n
        }
    }

    func tailWord(element: Int) -> UInt32 {
        let (row, column) = element.quotientAndRemainder(dividingBy: columns)
        let s = streams[row]
        return Philox.tailWord(seed: s.seed, stream: s.stream, position: s.position &+ UInt64(column))
    }
}

extension CounterBasedRandomGenerator {
    /// Calls `body` with this generator's words from its position, then advances it by
    /// `rows * columns` words (a shape `body` has checked); a throw leaves it as it was.
    ///
    /// The public functions that take a generator leave its type open, and a generic the
    /// optimiser cannot resolve runs unspecialised; generic over the generator alone, this lets
    /// `body` call the library's generics over the scalar type with a concrete `Float` or
    /// `Double`, which the module specialises.
    mutating func advancing<Result>(
        rows: Int, columns: Int, _ body: (BatchWords) throws(GumbelSoftmaxError) -> Result
    ) throws(GumbelSoftmaxError) -> Result {
        let source = self
        let result = try body(BatchWords(source))
        position = source.position &+ UInt64(rows * columns)
        return result
    }
}
