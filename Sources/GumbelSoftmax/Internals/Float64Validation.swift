// Validation of float64 input at the public boundary (SPEC sections 4 and 5). Everything,
// including the logits' values, is checked before any output is written: a refused input leaves
// the caller's buffers untouched.

/// The temperature of a float64 batch: one scalar, or one per row.
enum Float64Temperatures {
    case scalar(Double)
    case perRow(UnsafeBufferPointer<Double>)
}

extension Validate {
    /// Checks a float64 temperature and returns its inverse, capped at the largest finite Double.
    /// The error carries the value rounded to Float (NaN, infinities, zero and signs survive it).
    static func inverseTemperature(_ temperature: Double) throws(GumbelSoftmaxError) -> Double {
        guard temperature.isFinite, temperature > 0 else { throw .invalidTemperature(Float(temperature)) }
        return Swift.min(1 / temperature, .greatestFiniteMagnitude)
    }

    /// Checks a scalar or per-row float64 temperature and returns the inverse(s): the scalar's,
    /// and the rows' (empty for a scalar).
    static func inverseTemperatures(
        _ temperatures: Float64Temperatures, rows: Int
    ) throws(GumbelSoftmaxError) -> (scalar: Double, perRow: [Double]) {
        switch temperatures {
        case .scalar(let t): return (try inverseTemperature(t), [])
        case .perRow(let ts):
            guard ts.count == rows else { throw .temperatureCountMismatch(expected: rows, actual: ts.count) }
            var inverses = [Double](repeating: 0, count: rows)
            for (row, t) in ts.enumerated() {
                guard t.isFinite, t > 0 else { throw .invalidRowTemperature(row: row, value: Float(t)) }
                inverses[row] = Swift.min(1 / t, .greatestFiniteMagnitude)
            }
            return (1, inverses)
        }
    }

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
