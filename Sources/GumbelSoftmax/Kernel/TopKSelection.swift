// Gumbel-top-k selection (Kool et al. 2019): the k largest perturbed logits `d = logits + g` of each
// row, from the same words and the same noise as sampling (the job's `forEachUnit`: float32's
// `SamplingKernel.perturbRange`, float64's `Float64Job.perturb`), over the
// same work units (the scheduler's `Tiling`). Each row keeps a size-k heap; rows up to a tile long
// are perturbed a group at a time, longer rows in segments whose candidates are merged in order, so
// the result is independent of the thread count.

/// The `k` best `(value, index)` pairs seen so far, as a heap whose root is the worst kept.
/// "Better" is a larger value, then a lower index. Owned by one worker, freed by `deinit`.
struct TopKHeap<Value: Comparable & BitwiseCopyable>: ~Copyable {
    let values: UnsafeMutablePointer<Value>
    let indices: UnsafeMutablePointer<Int>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        values = .allocate(capacity: capacity)
        indices = .allocate(capacity: capacity)
    }

    deinit {
        values.deallocate()
        indices.deallocate()
    }

    @inline(__always)
    static func worse(_ a: Value, _ i: Int, than b: Value, _ j: Int) -> Bool {
        a < b || (a == b && i > j)
    }

    /// Offers a candidate; keeps it if the heap has room or it is better than the worst kept.
    @inline(__always)
    mutating func offer(_ value: Value, _ index: Int) {
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
    mutating func siftDownRoot(_ value: Value, _ index: Int) {
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
    mutating func drain(values outValues: UnsafeMutablePointer<Value>?, indices outIndices: UnsafeMutablePointer<Int>) {
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

/// What top-k's callers ask before and after a pass: its scratch memory and the error for a
/// refused row.
///
/// `scratchBytes` is read by the C ABI's memory probe (`@_spi(Kernel)`). Not API.
@_spi(Kernel) public enum TopKSelection {
    /// The bytes of scratch memory a selection of `k` from a valid `[rows, columns]` batch of
    /// `Scalar` logits allocates (nil: more than an `Int` holds), so that a caller can check for
    /// them first: a heap of `k` candidates (a `Scalar` and an `Int` each) and, for rows longer
    /// than a tile (`longRows`), each segment's kept candidates (up to `min(k, segment)`) and two
    /// counts.
    @_spi(Kernel) public static func scratchBytes<Scalar>(
        of _: Scalar.Type, rows: Int, columns: Int, k: Int
    ) -> Int? {
        // `a * b + c`, or nil on overflow.
        func bytes(_ a: Int, times b: Int, plus c: Int = 0) -> Int? {
            let (product, o1) = a.multipliedReportingOverflow(by: b)
            let (sum, o2) = product.addingReportingOverflow(c)
            return o1 || o2 ? nil : sum
        }
        let candidate = MemoryLayout<Scalar>.stride + MemoryLayout<Int>.stride
        guard let heap = bytes(k, times: candidate) else { return nil }
        if columns <= Tiling.tile { return heap }
        let segments = columns / Tiling.segment + (columns % Tiling.segment == 0 ? 0 : 1)
        return bytes(rows, times: segments).flatMap { units in
            bytes(units, times: Swift.min(k, Tiling.segment)).flatMap { slots in
                bytes(units, times: 2 * MemoryLayout<Int>.stride, plus: heap).flatMap { counts in
                    bytes(slots, times: candidate, plus: counts)
                }
            }
        }
    }

    /// The error for a refused row: its first NaN or `+inf` logit, else too few unmasked ones.
    static func diagnose<Scalar: BinaryFloatingPoint>(
        row: Int, logits: UnsafePointer<Scalar>, columns: Int, k: Int
    ) -> GumbelSoftmaxError {
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

/// One Gumbel-top-k pass over a job whose arguments are validated. The pass checks the values:
/// a NaN or `+inf` perturbed logit (from such a logit) or a row short of `k` unmasked ones is
/// refused. A float64 job's logits are checked before it runs, so its pass finds none.
struct TopKPass<Job: PerturbingJob>: @unchecked Sendable {
    let job: Job
    let k: Int
    let result: UnsafeMutablePointer<Int>

    /// Runs the selection; returns the lowest refused row (NaN or `+inf` logit, or fewer than
    /// `k` unmasked logits), or nil.
    func run(threads: Int?) -> Int? {
        let (rows, columns) = (job.rows, job.columns)
        let tiling = Tiling(rows: rows, columns: columns)
        let firstBad = FirstBadRow()
        if !tiling.groupsRows { return longRows(tiling: tiling, threads: threads, firstBad: firstBad) }
        let k = self.k
        job.forEachUnit(tiling, threads: threads) { range, perturb in
            // The heap is a local of the worker (not part of its scratch) so that it stays in registers.
            var heap = TopKHeap<Job.Scalar>(capacity: k)
            for unit in range {
                let group = tiling.rows(ofGroup: unit)
                let perturbed = perturb(group.lowerBound * columns, group.count * columns)
                for row in group {
                    let d = perturbed + (row - group.lowerBound) * columns
                    guard let finite = scan(d, count: columns, firstIndex: 0, into: &heap), finite >= k
                    else {
                        firstBad.record(row)
                        return
                    }
                    heap.drain(values: nil, indices: result + row * k)
                }
            }
        }
        return firstBad.value
    }

    /// Offers `count` perturbed logits (column `firstIndex` on) to the heap. Returns how many are
    /// finite, or nil at a NaN or `+inf`; for a job whose logits were checked before the pass
    /// (`checksLogitsInPass` false: float64) it checks and counts nothing and returns `count`.
    @inline(__always)
    func scan(
        _ d: UnsafePointer<Job.Scalar>, count: Int, firstIndex: Int, into heap: inout TopKHeap<Job.Scalar>
    ) -> Int? {
        // Columns arrive in increasing order, so an equal value never beats the root.
        guard Job.Scalar.checksLogitsInPass else {
            for j in 0..<count where d[j] != -.infinity {
                if heap.count < k || d[j] > heap.values[0] { heap.offer(d[j], firstIndex + j) }
            }
            return count
        }
        var finite = 0
        for j in 0..<count {
            let x = d[j]
            if x.isNaN || x == .infinity { return nil }
            if x == -.infinity { continue }
            finite += 1
            if heap.count < k || x > heap.values[0] { heap.offer(x, firstIndex + j) }
        }
        return finite
    }

    /// Rows longer than a tile: each segment's best `k` in parallel, then each row's merge.
    func longRows(tiling: Tiling, threads: Int?, firstBad: FirstBadRow) -> Int? {
        let (rows, columns) = (job.rows, job.columns)
        let segmentsPerRow = tiling.segmentsPerRow
        let units = tiling.units
        let parallelMinimum = job.configuration.parallelMinimum
        // Each segment's candidates (best first), how many it kept, and its count of finite values.
        let perUnit = Swift.min(k, Tiling.segment)
        let values = KernelBuffer<Job.Scalar>(capacity: units * perUnit)
        let indices = KernelBuffer<Int>(capacity: units * perUnit)
        let counts = KernelBuffer<Int>(capacity: units)
        let finiteCounts = KernelBuffer<Int>(capacity: units)
        job.forEachUnit(tiling, threads: threads) { range, perturb in
            var heap = TopKHeap<Job.Scalar>(capacity: perUnit)
            for unit in range {
                let (row, index) = tiling.segment(ofUnit: unit)
                var finite = 0
                for (column, n) in Tiling.tiles(of: tiling.columns(ofSegment: index)) {
                    let d = perturb(row * columns + column, n)
                    guard let f = scan(d, count: n, firstIndex: column, into: &heap) else {
                        firstBad.record(row)
                        return
                    }
                    finite += f
                }
                counts.base[unit] = heap.count
                finiteCounts.base[unit] = finite
                heap.drain(values: values.base + unit * perUnit, indices: indices.base + unit * perUnit)
            }
        }
        if let bad = firstBad.value { return bad }
        let k = self.k
        let rowWorkers = Scheduler.workerCount(
            requested: threads, elements: rows * columns, units: rows, parallelMinimum: parallelMinimum)
        Scheduler.run(
            units: rows, workers: rowWorkers, scratch: { TopKHeap<Job.Scalar>(capacity: k) },
            body: { range, heap in
                for row in range {
                    var finite = 0
                    for unit in row * segmentsPerRow..<(row + 1) * segmentsPerRow {
                        finite += finiteCounts.base[unit]
                        for i in 0..<counts.base[unit] {
                            heap.offer(values.base[unit * perUnit + i], indices.base[unit * perUnit + i])
                        }
                    }
                    if finite < k {
                        firstBad.record(row)
                        return
                    }
                    heap.drain(values: nil, indices: result + row * k)
                }
            })
        return firstBad.value
    }
}
