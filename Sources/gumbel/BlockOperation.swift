@_spi(Exports) import GumbelSoftmax
import NumpyFormat

/// What `gumbel sample`, `categorical` and `topk` compute from a block of rows of logits.
///
/// `Pipeline` reads the blocks, hands each to the operation and writes what it returns; the
/// operation owns everything that differs between the commands: its result type and shape, the
/// checks of `K`, and the library call.
protocol BlockOperation {
    /// The type the logits are read as and computed in.
    associatedtype Scalar: LogitScalar
    /// One value of the result: `Scalar` for samples, `Int` for indices.
    associatedtype Result: ResultElement

    /// The number of results per row of logits with `columns` categories (CSV values per line).
    func resultsPerRow(columns: Int) -> Int

    /// The result's shape for logits of shape `batch + [columns]`: `batch` is `[]` for a 1-D
    /// `.npy` file (one row) and `[rows]` for CSV.
    func resultShape(batch: [Int], columns: Int) -> [Int]

    /// Refuses, before anything is read or written, a `K` the library refuses for every block.
    func check(columns: Int) throws(GumbelSoftmaxError)

    /// This operation's library calls on a block of rows with a generator of type `G`, its own
    /// arguments bound.
    func calls<G: CounterBasedRandomGenerator>(using _: G.Type) -> BlockCalls<Scalar, Result, G>
}

/// An operation's two library calls on a block of `rows` rows of `columns` logits, with what the
/// operation adds (the form and temperature, `k`) bound; their arguments are the library's, in its
/// order. The calls go to the library's generic layer (`@_spi(Exports)`), written once over the
/// element type.
struct BlockCalls<Scalar, Result, G: CounterBasedRandomGenerator> {
    typealias Logits = UnsafeBufferPointer<Scalar>
    typealias Streams = UnsafeBufferPointer<RowStream>
    typealias Results = UnsafeMutableBufferPointer<Result>

    /// `(logits, rows, columns, result, generator, threads)`: the words of `generator` from its
    /// position on; moves the generator past them (`rows * columns` words).
    let withGenerator: (Logits, Int, Int, Results, inout G, Int?) throws(GumbelSoftmaxError) -> Void
    /// `(logits, rows, columns, streams, result, threads)`: row `b` with its own stream `streams[b]`.
    let withStreams: (Logits, Int, Int, Streams, Results, Int?) throws(GumbelSoftmaxError) -> Void
}

extension BlockOperation {
    func check(columns: Int) throws(GumbelSoftmaxError) {
        if columns == 0 { throw .noCategories }
    }
}

/// `gumbel sample`: one Gumbel-Softmax sample per row, of the logits' shape.
struct SampleOperation<Scalar: LogitScalar>: BlockOperation {
    typealias Result = Scalar

    var output: GumbelSoftmax.Output
    /// Finite and > 0 (checked when the command's options are read).
    var temperature: Scalar

    func resultsPerRow(columns: Int) -> Int { columns }

    func resultShape(batch: [Int], columns: Int) -> [Int] { batch + [columns] }

    func calls<G: CounterBasedRandomGenerator>(using _: G.Type) -> BlockCalls<Scalar, Scalar, G> {
        BlockCalls(
            withGenerator: { (logits, rows, columns, result, generator, threads) throws(GumbelSoftmaxError) in
                try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperatures: .scalar(temperature), output: output,
                    into: result, using: &generator, threads: threads)
            },
            withStreams: { (logits, rows, columns, streams, result, threads) throws(GumbelSoftmaxError) in
                try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output,
                    streams: streams, into: result, threads: threads)
            })
    }
}

/// `gumbel categorical`: one Gumbel-max index per row.
struct CategoricalOperation<Scalar: LogitScalar>: BlockOperation {
    func resultsPerRow(columns: Int) -> Int { 1 }

    /// The batch shape: `[...]` for `[..., K]` logits, so a 1-D input gives a 0-d result (one index).
    func resultShape(batch: [Int], columns: Int) -> [Int] { batch }

    func calls<G: CounterBasedRandomGenerator>(using _: G.Type) -> BlockCalls<Scalar, Int, G> {
        BlockCalls(withGenerator: GumbelSoftmax.categorical, withStreams: GumbelSoftmax.categorical)
    }
}

/// `gumbel topk`: `k` Gumbel-top-k indices per row, largest first.
struct TopKOperation<Scalar: LogitScalar>: BlockOperation {
    /// At least 1 (checked when the command's options are read).
    var k: Int

    func resultsPerRow(columns: Int) -> Int { k }

    /// The batch shape and `k`: `[..., k]` for `[..., K]` logits, so `[k]` for a 1-D input.
    func resultShape(batch: [Int], columns: Int) -> [Int] { batch + [k] }

    func check(columns: Int) throws(GumbelSoftmaxError) {
        if columns == 0 { throw .noCategories }
        if k > columns { throw .invalidTopK(k: k, categories: columns) }
    }

    func calls<G: CounterBasedRandomGenerator>(using _: G.Type) -> BlockCalls<Scalar, Int, G> {
        BlockCalls(
            withGenerator: { (logits, rows, columns, result, generator, threads) throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: logits, rows: rows, columns: columns, k: k, into: result, using: &generator,
                    threads: threads)
            },
            withStreams: { (logits, rows, columns, streams, result, threads) throws(GumbelSoftmaxError) in
                try GumbelSoftmax.topK(
                    logits: logits, rows: rows, columns: columns, k: k, streams: streams, into: result,
                    threads: threads)
            })
    }
}
