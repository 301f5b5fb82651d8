// Gumbel-top-k: the public API. The selection kernel is Kernel/TopKSelection.swift.

extension GumbelSoftmax {
    /// Draws `k` distinct categories per row without replacement by the Gumbel-top-k trick
    /// (Kool et al. 2019): the indices of the `k` largest `logits + g`, in descending order of
    /// perturbed logit, ties to the lowest index.
    ///
    /// The indices of a row are a sample of `k` categories drawn one after another without
    /// replacement, each with probability proportional to `exp(logit)` among those left. Element
    /// `(b, j)` uses word `position + b*K + j`, the word sampling uses, so the first index of each
    /// row is `categorical(logits:rows:columns:using:threads:)` for the same generator state.
    ///
    /// A row must have at least `k` unmasked (not `-inf`) logits: a masked category has
    /// probability 0, so a row with fewer cannot give `k` distinct categories and is refused.
    ///
    /// - Parameters:
    ///   - logits: `rows * columns` floats, row-major; `-inf` masks a category.
    ///   - rows: `B`; 0 gives an empty result.
    ///   - columns: `K`; at least 1.
    ///   - k: How many categories per row, in `1 ... K`.
    ///   - generator: Advanced by `rows * columns` words.
    ///   - threads: Worker threads; defaults to all cores. Never changes the result.
    /// - Returns: `rows * k` indices, row-major, each row in descending order of perturbed logit.
    /// - Throws: `.invalidTopK` for `k` outside `1 ... K`; `.insufficientCategories` for a row
    ///   with fewer than `k` unmasked logits (`.allMaskedRow` if it has none); the refusals of
    ///   sampling (NaN or `+inf` logits, wrong shapes). The generator is then not advanced.
    /// - Complexity: O(B * K * log k) time in the worst case and O(B * K) typically; O(k) scratch
    ///   per thread, plus O(B * ceil(K / 32768) * k) for rows longer than 2048.
    public static func topK<G: CounterBasedRandomGenerator>(
        logits: [Float], rows: Int, columns: Int, k: Int, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        try topKArray(logits, rows: rows, columns: columns, k: k) { (buffer, out) throws(GumbelSoftmaxError) in
            try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
                try runTopK(
                    logits: buffer, rows: rows, columns: columns, k: k, into: out, words: words, threads: threads)
            }
        }
    }

    /// Gumbel-top-k indices from the Philox stream `(seed, stream)` at `position`; see
    /// `topK(logits:rows:columns:k:using:threads:)`.
    ///
    /// - Complexity: O(B * K * log k).
    public static func topK(
        logits: [Float], rows: Int, columns: Int, k: Int, seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0,
        threads: Int? = nil
    ) throws(GumbelSoftmaxError) -> [Int] {
        var generator = PhiloxGenerator(seed: seed, stream: stream, position: position)
        return try topK(logits: logits, rows: rows, columns: columns, k: k, using: &generator, threads: threads)
    }

    /// Gumbel-top-k indices into a caller's buffer of `rows * k` indices, allocating nothing per
    /// row; see `topK(logits:rows:columns:k:using:threads:)`.
    ///
    /// On a throw the generator is not advanced. A refused argument (a size, shape, `k` or thread
    /// count) leaves `result` untouched; a refused row found during the pass (NaN, `+inf`, fewer
    /// than `k` unmasked logits) sets every element of `result` to 0.
    ///
    /// - Throws: The refusals of `topK`, and `.bufferSizeMismatch` for a wrong-sized `result`.
    /// - Complexity: O(B * K * log k).
    public static func topK<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        try generator.advancing(rows: rows, columns: columns) { (words) throws(GumbelSoftmaxError) in
            try runTopK(
                logits: logits, rows: rows, columns: columns, k: k, into: result, words: words, threads: threads)
        }
    }

    // MARK: Implementation, for Float and Double

    /// A new array of `rows * k` indices that `body` fills from the logits' buffer. A size the
    /// buffer form would refuse gets an empty array here, which `body` then refuses.
    static func topKArray<Scalar: GumbelScalar>(
        _ logits: [Scalar], rows: Int, columns: Int, k: Int,
        _ body: (UnsafeBufferPointer<Scalar>, UnsafeMutableBufferPointer<Int>) throws(GumbelSoftmaxError) -> Void
    ) throws(GumbelSoftmaxError) -> [Int] {
        let (product, overflow) = rows.multipliedReportingOverflow(by: k)
        let count = rows >= 0 && k >= 1 && k <= columns && !overflow ? product : 0
        var result = [Int](repeating: 0, count: count)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in try body(buffer, out) }
        }
        return result
    }

    /// Validates, then runs the selection over `words`. A refused argument throws before `result`
    /// is written; a refused row sets every element of `result` to 0 when the float32 pass finds
    /// it, and leaves `result` untouched when float64's check before the pass does.
    static func runTopK<Scalar: GumbelScalar>(
        logits: UnsafeBufferPointer<Scalar>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>,
        words: @autoclosure () throws(GumbelSoftmaxError) -> BatchWords, threads: Int?
    ) throws(GumbelSoftmaxError) {
        try Validate.threads(threads)
        _ = try Validate.shape(rows: rows, columns: columns, count: logits.count)
        guard k >= 1, k <= columns else { throw .invalidTopK(k: k, categories: columns) }
        try Validate.output(name: "index output", expected: rows * k, actual: result.count)
        let words = try words()
        if rows == 0 { return }
        try Scalar.checkLogits(logits.baseAddress!, rows: rows, columns: columns, unmasked: k, threads: threads)
        let bad = Scalar.topK(
            JobArguments(
                logits: logits.baseAddress!, rows: rows, columns: columns, inverseTemperature: 1,
                rowInverseTemperatures: nil, words: words, kind: .categorical, output: nil, indices: nil,
                configuration: KernelConfiguration()),
            k: k, into: result.baseAddress!, threads: threads)
        if let bad {
            result.update(repeating: 0)
            throw TopKSelection.diagnose(row: bad, logits: logits.baseAddress!, columns: columns, k: k)
        }
    }
}
