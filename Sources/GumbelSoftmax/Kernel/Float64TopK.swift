// Gumbel-top-k in float64 (Kool et al. 2019): the k largest `d = logits + g` of each row, from the
// float64 noise of `Float64Job.perturb`, over the scheduler's work units like the float32
// selection (TopKSelection.swift), with the same heap. The input is validated before it runs
// (every row has at least `k` unmasked logits), so the selection never fails.

/// One float64 Gumbel-top-k pass over validated input.
struct Float64TopK: @unchecked Sendable {
    let job: Float64Job
    let k: Int
    let result: UnsafeMutablePointer<Int>

    func run(threads: Int?) {
        let columns = job.columns
        let tiling = Tiling(rows: job.rows, columns: columns)
        if !tiling.groupsRows {
            longRows(tiling: tiling, threads: threads)
            return
        }
        let k = self.k
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum,
            scratch: { Float64Kernel.Scratch() },
            body: { range, scratch in
                var heap = TopKHeap<Double>(capacity: k)
                for unit in range {
                    let group = tiling.rows(ofGroup: unit)
                    job.perturb(element: group.lowerBound * columns, count: group.count * columns, scratch: scratch)
                    for row in group {
                        let d = scratch.perturbed + (row - group.lowerBound) * columns
                        offer(d, count: columns, firstIndex: 0, to: &heap)
                        heap.drain(values: nil, indices: result + row * k)
                    }
                }
            })
    }

    /// Offers the unmasked ones of `count` perturbed logits (column `firstIndex` on) to the heap.
    @inline(__always)
    func offer(_ d: UnsafePointer<Double>, count: Int, firstIndex: Int, to heap: inout TopKHeap<Double>) {
        for j in 0..<count where d[j] != -.infinity {
            // Columns arrive in increasing order, so an equal value never beats the root.
            if heap.count < k || d[j] > heap.values[0] { heap.offer(d[j], firstIndex + j) }
        }
    }

    /// Rows longer than a tile: each segment's best `k` in parallel, then each row's merge in order.
    func longRows(tiling: Tiling, threads: Int?) {
        let (rows, columns) = (job.rows, job.columns)
        let segmentsPerRow = tiling.segmentsPerRow
        let units = tiling.units
        let perUnit = Swift.min(k, Tiling.segment)
        let values = KernelBuffer<Double>(capacity: units * perUnit)
        let indices = KernelBuffer<Int>(capacity: units * perUnit)
        let counts = KernelBuffer<Int>(capacity: units)
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum,
            scratch: { Float64Kernel.Scratch() },
            body: { range, scratch in
                var heap = TopKHeap<Double>(capacity: perUnit)
                for unit in range {
                    let (row, index) = tiling.segment(ofUnit: unit)
                    for (column, n) in Tiling.tiles(of: tiling.columns(ofSegment: index)) {
                        job.perturb(element: row * columns + column, count: n, scratch: scratch)
                        offer(scratch.perturbed, count: n, firstIndex: column, to: &heap)
                    }
                    counts.base[unit] = heap.count
                    heap.drain(values: values.base + unit * perUnit, indices: indices.base + unit * perUnit)
                }
            })
        let k = self.k
        let workers = Scheduler.workerCount(
            requested: threads, elements: rows * columns, units: rows,
            parallelMinimum: job.configuration.parallelMinimum)
        Scheduler.run(
            units: rows, workers: workers, scratch: { TopKHeap<Double>(capacity: k) },
            body: { range, heap in
                for row in range {
                    for unit in row * segmentsPerRow..<(row + 1) * segmentsPerRow {
                        for i in 0..<counts.base[unit] {
                            heap.offer(values.base[unit * perUnit + i], indices.base[unit * perUnit + i])
                        }
                    }
                    heap.drain(values: nil, indices: result + row * k)
                }
            })
    }
}
