// Gumbel-top-k: the k largest perturbed logits `d = logits + g` of each row, from the same words
// and the same noise as sampling (`SamplingKernel.perturbRange`). Each row keeps a size-k heap;
// rows up to a tile long are perturbed a group at a time, longer rows in segments whose
// candidates are merged in order, so the result is independent of the thread count.

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
        // The buffer form validates; a size it would refuse gets an empty buffer here.
        let (product, overflow) = rows.multipliedReportingOverflow(by: k)
        let count = rows >= 0 && k >= 1 && k <= columns && !overflow ? product : 0
        var result = [Int](repeating: 0, count: count)
        try logits.withUnsafeBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try result.withUnsafeMutableBufferPointer { (out) throws(GumbelSoftmaxError) in
                try topK(
                    logits: buffer, rows: rows, columns: columns, k: k, into: out, using: &generator,
                    threads: threads)
            }
        }
        return result
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
    /// On a throw the generator is not advanced and `result` is filled with zeros.
    ///
    /// - Throws: The refusals of `topK`, and `.bufferSizeMismatch` for a wrong-sized `result`.
    /// - Complexity: O(B * K * log k).
    public static func topK<G: CounterBasedRandomGenerator>(
        logits: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int,
        into result: UnsafeMutableBufferPointer<Int>, using generator: inout G, threads: Int? = nil
    ) throws(GumbelSoftmaxError) {
        do throws(GumbelSoftmaxError) {
            try Validate.threads(threads)
            let count = try Validate.shape(rows: rows, columns: columns, count: logits.count)
            guard k >= 1, k <= columns else { throw .invalidTopK(k: k, categories: columns) }
            try Validate.output(name: "index output", expected: rows * k, actual: result.count)
            if rows == 0 { return }
            let source = generator
            let job = SamplingJob(
                logits: logits.baseAddress!, rows: rows, columns: columns, inverseTemperature: 1,
                rowInverseTemperatures: nil, position: source.position,
                words: { position, buffer in source.fillWords(startingAt: position, into: buffer) },
                mapping: G.uniformMapping, kind: .categorical, output: nil, indices: nil)
            let selection = TopKSelection(job: job, k: k, result: result.baseAddress!)
            if let bad = selection.run(threads: threads) {
                throw TopKSelection.diagnose(row: bad, logits: logits.baseAddress!, columns: columns, k: k)
            }
            generator.position = source.position &+ UInt64(count)
        } catch {
            result.update(repeating: 0)
            throw error
        }
    }
}

/// The `k` best `(value, index)` pairs seen so far, as a heap whose root is the worst kept.
/// "Better" is a larger value, then a lower index.
struct TopKHeap {
    let values: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        values = .allocate(capacity: capacity)
        indices = .allocate(capacity: capacity)
    }

    func deallocate() {
        values.deallocate()
        indices.deallocate()
    }

    @inline(__always)
    static func worse(_ a: Float, _ i: Int, than b: Float, _ j: Int) -> Bool {
        a < b || (a == b && i > j)
    }

    /// Offers a candidate; keeps it if the heap has room or it is better than the worst kept.
    @inline(__always)
    mutating func offer(_ value: Float, _ index: Int) {
        if count < capacity {
            var child = count
            count += 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.worse(value, index, than: values[parent], indices[parent]) else { break }
                values[child] = values[parent]
                indices[child] = indices[parent]
                child = parent
            }
            values[child] = value
            indices[child] = index
        } else if Self.worse(values[0], indices[0], than: value, index) {
            siftDownRoot(value, index)
        }
    }

    /// Puts `(value, index)` in place of the root and restores the heap.
    @inline(__always)
    mutating func siftDownRoot(_ value: Float, _ index: Int) {
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count
                && Self.worse(values[child + 1], indices[child + 1], than: values[child], indices[child])
            {
                child += 1
            }
            guard Self.worse(values[child], indices[child], than: value, index) else { break }
            values[parent] = values[child]
            indices[parent] = indices[child]
            parent = child
        }
        values[parent] = value
        indices[parent] = index
    }

    /// Empties the heap, writing its pairs best first (descending) to the outputs.
    mutating func drain(values outValues: UnsafeMutablePointer<Float>?, indices outIndices: UnsafeMutablePointer<Int>) {
        while count > 0 {
            let last = count - 1
            outValues?[last] = values[0]
            outIndices[last] = indices[0]
            let (v, i) = (values[last], indices[last])
            count = last
            if count > 0 { siftDownRoot(v, i) }
        }
    }
}

/// One Gumbel-top-k pass over validated input.
struct TopKSelection: @unchecked Sendable {
    let job: SamplingJob
    let k: Int
    let result: UnsafeMutablePointer<Int>

    /// Per-segment candidates of rows longer than a tile.
    struct Candidates {
        let values: UnsafeMutablePointer<Float>
        let indices: UnsafeMutablePointer<Int>
        let counts: UnsafeMutablePointer<Int>
        let finite: UnsafeMutablePointer<Int>
    }

    /// Runs the selection; returns the lowest refused row (NaN or `+inf` logit, or fewer than
    /// `k` unmasked logits), or nil.
    func run(threads: Int?) -> Int? {
        let (rows, columns) = (job.rows, job.columns)
        let tile = SamplingKernel.tile
        let firstBad = FirstBadRow()
        if columns <= tile {
            let rowsPerUnit = tile / columns
            let units = (rows + rowsPerUnit - 1) / rowsPerUnit
            let workers = SamplingKernel.workerCount(requested: threads, elements: rows * columns, units: units)
            SamplingKernel.parallelFor(units: units, workers: workers) { range in
                let scratch = SamplingKernel.Scratch()
                var heap = TopKHeap(capacity: k)
                defer {
                    scratch.deallocate()
                    heap.deallocate()
                }
                for unit in range {
                    let start = unit * rowsPerUnit
                    let end = Swift.min(rows, start + rowsPerUnit)
                    SamplingKernel.perturbRange(
                        job, element: start * columns, count: (end - start) * columns, scratch: scratch)
                    for row in start..<end {
                        let d = UnsafePointer(scratch.perturbed + (row - start) * columns)
                        guard let finite = scan(d, count: columns, firstIndex: 0, into: &heap), finite >= k else {
                            firstBad.record(row)
                            return
                        }
                        heap.drain(values: nil, indices: result + row * k)
                    }
                }
            }
            return firstBad.value
        }
        return longRows(threads: threads, firstBad: firstBad)
    }

    /// Offers `count` perturbed logits (column `firstIndex` on) to the heap. Returns how many are
    /// finite, or nil at a NaN or `+inf`.
    @inline(__always)
    func scan(_ d: UnsafePointer<Float>, count: Int, firstIndex: Int, into heap: inout TopKHeap) -> Int? {
        var finite = 0
        for j in 0..<count {
            let x = d[j]
            if x.isNaN || x == .infinity { return nil }
            if x == -.infinity { continue }
            finite += 1
            // Columns arrive in increasing order, so an equal value never beats the root.
            if heap.count < k || x > heap.values[0] { heap.offer(x, firstIndex + j) }
        }
        return finite
    }

    /// Rows longer than a tile: each segment's best `k` in parallel, then each row's merge.
    func longRows(threads: Int?, firstBad: FirstBadRow) -> Int? {
        let (rows, columns) = (job.rows, job.columns)
        let segment = SamplingKernel.segment
        let segmentsPerRow = (columns + segment - 1) / segment
        let units = rows * segmentsPerRow
        let workers = SamplingKernel.workerCount(requested: threads, elements: rows * columns, units: units)
        let perUnit = Swift.min(k, segment)
        let candidates = Candidates(
            values: .allocate(capacity: units * perUnit), indices: .allocate(capacity: units * perUnit),
            counts: .allocate(capacity: units), finite: .allocate(capacity: units))
        defer {
            candidates.values.deallocate()
            candidates.indices.deallocate()
            candidates.counts.deallocate()
            candidates.finite.deallocate()
        }
        nonisolated(unsafe) let shared = candidates
        SamplingKernel.parallelFor(units: units, workers: workers) { range in
            let scratch = SamplingKernel.Scratch()
            var heap = TopKHeap(capacity: perUnit)
            defer {
                scratch.deallocate()
                heap.deallocate()
            }
            for unit in range {
                let row = unit / segmentsPerRow
                let start = (unit % segmentsPerRow) * segment
                let end = Swift.min(columns, start + segment)
                var finite = 0
                var column = start
                while column < end {
                    let n = Swift.min(SamplingKernel.tile, end - column)
                    SamplingKernel.perturbRange(job, element: row * columns + column, count: n, scratch: scratch)
                    guard let f = scan(UnsafePointer(scratch.perturbed), count: n, firstIndex: column, into: &heap)
                    else {
                        firstBad.record(row)
                        return
                    }
                    finite += f
                    column += n
                }
                shared.counts[unit] = heap.count
                shared.finite[unit] = finite
                heap.drain(values: shared.values + unit * perUnit, indices: shared.indices + unit * perUnit)
            }
        }
        if let bad = firstBad.value { return bad }
        let rowWorkers = SamplingKernel.workerCount(requested: threads, elements: rows * columns, units: rows)
        SamplingKernel.parallelFor(units: rows, workers: rowWorkers) { range in
            var heap = TopKHeap(capacity: k)
            defer { heap.deallocate() }
            for row in range {
                var finite = 0
                for unit in row * segmentsPerRow..<(row + 1) * segmentsPerRow {
                    finite += shared.finite[unit]
                    for i in 0..<shared.counts[unit] {
                        heap.offer(shared.values[unit * perUnit + i], shared.indices[unit * perUnit + i])
                    }
                }
                if finite < k {
                    firstBad.record(row)
                    return
                }
                heap.drain(values: nil, indices: result + row * k)
            }
        }
        return firstBad.value
    }

    /// The error for a refused row: its first NaN or `+inf` logit, else too few unmasked ones.
    static func diagnose(row: Int, logits: UnsafePointer<Float>, columns: Int, k: Int) -> GumbelSoftmaxError {
        let start = logits + row * columns
        var available = 0
        for column in 0..<columns {
            let x = start[column]
            if x.isNaN { return .nanLogit(row: row, column: column) }
            if x == .infinity { return .infiniteLogit(row: row, column: column) }
            if x != -.infinity { available += 1 }
        }
        if available == 0 { return .allMaskedRow(row: row) }
        return .insufficientCategories(row: row, available: available, k: k)
    }
}
