// The float64 check of the logits' values (SPEC sections 4 and 5), run before the float64 kernel
// (`Double.checkLogits`): a refused logit leaves the caller's buffers untouched. The other checks
// are Validation.swift's, shared with float32.

extension Validate {
    /// Checks the values of `rows * columns` float64 logits: no NaN, no `+inf`, and at least
    /// `unmasked` logits other than `-inf` in every row (1 for sampling, `k` for top-k). Scans on
    /// the scheduler's work units; throws for the lowest refused row.
    static func logits(
        _ logits: UnsafePointer<Double>, rows: Int, columns: Int, unmasked: Int, threads: Int?
    ) throws(GumbelSoftmaxError) {
        if rows == 0 { return }
        let source = LogitView(base: logits)
        let tiling = Tiling(rows: rows, columns: columns)
        let firstBad = FirstBadRow()
        let counts = KernelBuffer<Int>(capacity: tiling.groupsRows ? 0 : tiling.units)
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: KernelConfiguration().parallelMinimum, scratch: {},
            body: { range, _ in
                for unit in range {
                    if tiling.groupsRows {
                        // The whole group in one pass; rows one by one only when it holds a NaN,
                        // a +inf or a mask (so that a row may be short of unmasked logits).
                        let group = tiling.rows(ofGroup: unit)
                        let (invalid, count) = scan(
                            source.base + group.lowerBound * columns, count: group.count * columns)
                        if !invalid && count == group.count * columns && columns >= unmasked { continue }
                        for row in group {
                            let (invalid, count) = scan(source.base + row * columns, count: columns)
                            if invalid || count < unmasked { firstBad.record(row) }
                        }
                    } else {
                        let (row, index) = tiling.segment(ofUnit: unit)
                        let segment = tiling.columns(ofSegment: index)
                        let (invalid, count) = scan(
                            source.base + row * columns + segment.lowerBound, count: segment.count)
                        if invalid { firstBad.record(row) }
                        counts.base[unit] = count
                    }
                }
            })
        if !tiling.groupsRows {
            let perRow = tiling.segmentsPerRow
            for row in 0..<(firstBad.value ?? rows) {
                let total = (row * perRow..<(row + 1) * perRow).reduce(0) { $0 + counts.base[$1] }
                if total < unmasked {
                    firstBad.record(row)
                    break
                }
            }
        }
        if let row = firstBad.value {
            throw TopKSelection.diagnose(row: row, logits: logits, columns: columns, k: unmasked)
        }
    }

    /// Whether any of `count` doubles is NaN or `+inf`, and how many are not `-inf`.
    @inline(__always)
    static func scan(_ x: UnsafePointer<Double>, count: Int) -> (invalid: Bool, unmasked: Int) {
        let largest = DoubleLanes(repeating: .greatestFiniteMagnitude)
        let lowest = DoubleLanes(repeating: -.greatestFiniteMagnitude)
        let one = DoubleLanes(repeating: 1)
        let zero = DoubleLanes(repeating: 0)
        var bad = zero
        var finite = zero
        var i = 0
        while i < count {
            let n = Swift.min(DoubleLanes.count, count - i)
            let v =
                n == DoubleLanes.count
                ? DoubleLanes.load(x + i) : DoubleLanes.load(x + i, count: n, padding: -.infinity)
            bad = bad + DoubleLanes.select(DoubleLanes.atLeastMask(largest, v), zero, one)  // NaN, +inf
            finite = finite + DoubleLanes.select(DoubleLanes.atLeastMask(v, lowest), one, zero)
            i += n
        }
        return (bad.sumOfLanes > 0, Int(finite.sumOfLanes))
    }
}

/// Read-only float64 logits handed to the scanning workers (the pointer idiom of Scheduler.swift).
private struct LogitView: @unchecked Sendable {
    let base: UnsafePointer<Double>
}
