import GumbelSoftmax
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

    /// Computes `rows` rows into `result` with the words of `generator` from its position on, and
    /// moves the generator past them (`rows * columns` words).
    func callAsFunction<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Result>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError)

    /// Computes `rows` rows into `result`, row `b` with its own stream `streams[b]`.
    func callAsFunction(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Result>, threads: Int?
    ) throws(GumbelSoftmaxError)
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

    func callAsFunction<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Scalar>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.sample(
            logits, rows: rows, columns: columns, temperature: temperature, output: output, into: result,
            using: &generator, threads: threads)
    }

    func callAsFunction(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Scalar>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.sample(
            logits, rows: rows, columns: columns, temperature: temperature, output: output, streams: streams,
            into: result, threads: threads)
    }
}

/// `gumbel categorical`: one Gumbel-max index per row.
struct CategoricalOperation<Scalar: LogitScalar>: BlockOperation {
    func resultsPerRow(columns: Int) -> Int { 1 }

    /// The batch shape: `[...]` for `[..., K]` logits, so a 1-D input gives a 0-d result (one index).
    func resultShape(batch: [Int], columns: Int) -> [Int] { batch }

    func callAsFunction<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.categorical(
            logits, rows: rows, columns: columns, into: result, using: &generator, threads: threads)
    }

    func callAsFunction(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.categorical(
            logits, rows: rows, columns: columns, streams: streams, into: result, threads: threads)
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

    func callAsFunction<G: CounterBasedRandomGenerator>(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, into result: UnsafeMutableBufferPointer<Int>,
        using generator: inout G, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.topK(
            logits, rows: rows, columns: columns, k: k, into: result, using: &generator, threads: threads)
    }

    func callAsFunction(
        _ logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, streams: UnsafeBufferPointer<RowStream>,
        into result: UnsafeMutableBufferPointer<Int>, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Scalar.topK(
            logits, rows: rows, columns: columns, k: k, streams: streams, into: result, threads: threads)
    }
}
