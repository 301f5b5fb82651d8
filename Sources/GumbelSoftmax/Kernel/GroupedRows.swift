// Rows of at most one tile, a group of them per work unit: perturbed together, then reduced phase
// by phase over the group rather than row by row. Done row by row, each row is a chain of
// dependent steps (a reduction, exponentials, a sum, a division) that leaves the core waiting on
// latencies when rows are short. Each row's arithmetic is the same wherever the row sits in the
// group, so grouping never changes a bit.

extension SamplingKernel {
    /// Rows `rows` (each at most one tile long), in the general form or, for soft output at
    /// temperature 1 or 1/2, the power form (`groupedPowerRows`). For rows of at least one bulk
    /// vector: every row's maximum, then every row's exp, store and sum in one pass, then every
    /// row's scaling; shorter rows: `rowsBelowBulkWidth`. Returns the first refused row, or nil.
    static func groupedRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        if job.kind == .soft {
            let first = job.powerForm(row: rows.lowerBound) != nil
            if job.rowInverseTemperatures != nil && rows.contains(where: { (job.powerForm(row: $0) != nil) != first }) {
                // Rows of both forms (per-row temperatures): one row at a time, each in its own form.
                for row in rows {
                    if let bad = groupedRows(job, rows: row..<row + 1, scratch: scratch) { return bad }
                }
                return nil
            }
            if first { return groupedPowerRows(job, rows: rows, scratch: scratch) }
        }
        let k = job.columns
        let count = rows.count
        perturbRange(job, element: rows.lowerBound * k, count: count * k, scratch: scratch)
        if (job.kind == .soft || job.kind == .log) && k < WideFloatLanes.count {
            return rowsBelowBulkWidth(job, rows: rows, scratch: scratch)
        }
        let d = UnsafePointer(scratch.perturbed)
        let maxima = scratch.maxima
        for r in 0..<count {
            let (m, invalid) = RowReduce.max(d + r * k, count: k)
            if invalid || m == -.infinity { return rows.lowerBound + r }
            maxima[r] = m
        }
        switch job.kind {
        case .soft, .log:
            let y = job.output! + rows.lowerBound * k
            for r in 0..<count {
                let invT = job.inverseTemperature(row: rows.lowerBound + r)
                scratch.sums[r] = RowReduce.expSum(
                    d + r * k, count: k, reference: maxima[r], scale: invT,
                    storingTo: job.kind == .soft ? y + r * k : nil)
            }
            if job.kind == .soft {
                for r in 0..<count {
                    scale(
                        y + r * k, count: k, by: Float(1 / scratch.sums[r]),
                        blasMinimum: job.configuration.blasScaleMinimum)
                }
            } else {
                for r in 0..<count {
                    let shift = FloatLanes(repeating: maxima[r])
                    let t = FloatLanes(repeating: job.inverseTemperature(row: rows.lowerBound + r))
                    let logSum = FloatLanes(repeating: logOf(scratch.sums[r]))
                    mapLanes(d + r * k, y + r * k, count: k) { ($0 - shift) * t - logSum }
                }
            }
        case .hard:
            let y = job.output! + rows.lowerBound * k
            y.update(repeating: 0, count: count * k)
            for r in 0..<count {
                y[r * k + RowReduce.argmax(d + r * k, count: k, max: maxima[r])] = 1
            }
        case .categorical:
            for r in 0..<count {
                job.indices![rows.lowerBound + r] = RowReduce.argmax(d + r * k, count: k, max: maxima[r])
            }
        }
        return nil
    }

    /// Soft or log output of rows shorter than one bulk vector, already perturbed: each row's
    /// maximum and `z = (d - max) / T` in place; then `exp` over the whole group at once (no
    /// per-row chains); then each row's sum and its scaling.
    @inline(__always)
    private static func rowsBelowBulkWidth(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        let k = job.columns
        let count = rows.count
        let z = scratch.perturbed
        for r in 0..<count {
            let (m, invalid) = RowReduce.maxLanes(z + r * k, count: k)
            if invalid || m[0] == -.infinity { return rows.lowerBound + r }
            let t = FloatLanes(repeating: job.inverseTemperature(row: rows.lowerBound + r))
            mapLanes(z + r * k, z + r * k, count: k) { ($0 - m) * t }
        }
        let y = job.output! + rows.lowerBound * k
        storeExponentials(of: UnsafePointer(z), into: y, count: count * k)
        for r in 0..<count {
            let sum = RowReduce.sum(y + r * k, count: k)
            if job.kind == .soft {
                scale(y + r * k, count: k, by: Float(1 / sum), blasMinimum: job.configuration.blasScaleMinimum)
            } else {
                let logSum = FloatLanes(repeating: logOf(sum))
                mapLanes(z + r * k, y + r * k, count: k) { $0 - logSum }
            }
        }
        return nil
    }

    /// `groupedRows` for rows that all take the power form: `1 / E` for the group, then each
    /// row's largest logit `L`, then `w = exp((l - L) n) (c / E)^n` stored and summed, then the
    /// scaling. Rows shorter than one bulk vector: `powerRowsBelowBulkWidth`.
    private static func groupedPowerRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        let k = job.columns
        let count = rows.count
        let first = rows.lowerBound * k
        job.words(first, UnsafeMutableBufferPointer(start: scratch.words, count: count * k))
        if k < WideFloatLanes.count { return powerRowsBelowBulkWidth(job, rows: rows, scratch: scratch) }
        let r = scratch.perturbed
        let logits = job.logits + first
        let y = job.output! + first
        let maxima = scratch.maxima
        for i in 0..<count {
            let (m, invalid, banded) = reciprocals(
                job, element: first + i * k, count: k, words: scratch.words + i * k, into: r + i * k,
                form: job.powerForm(row: rows.lowerBound + i)!)
            if invalid || m == -.infinity { return rows.lowerBound + i }
            maxima[i] = m
            scratch.banded[i] = banded
        }
        for i in 0..<count {
            let form = job.powerForm(row: rows.lowerBound + i)!
            scratch.sums[i] = form.storeTerms(
                logits: logits + i * k, reciprocals: r + i * k, count: k, reference: maxima[i], into: y + i * k)
            if scratch.banded[i] {
                scratch.sums[i] += exactBandTerms(
                    words: scratch.words + i * k, logits: logits + i * k, reciprocals: r + i * k, terms: y + i * k,
                    count: k, reference: maxima[i], form: form)
            }
        }
        for i in 0..<count {
            scale(
                y + i * k, count: k, by: Float(1 / scratch.sums[i]), blasMinimum: job.configuration.blasScaleMinimum)
        }
        return nil
    }

    /// The power form of rows shorter than one bulk vector, given their words: each row's
    /// `(l - L) n` into the output and `(c / E)^n` in place, then `exp` times the factor over the
    /// whole group at once. Rows of both exponents may share the group (per-row temperatures): the
    /// reciprocals do not depend on the form, and the raised references take each row's own.
    private static func powerRowsBelowBulkWidth(
        _ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch
    ) -> Int? {
        let k = job.columns
        let count = rows.count
        let first = rows.lowerBound * k
        let r = scratch.perturbed
        let logits = job.logits + first
        let y = job.output! + first
        let maxima = scratch.maxima
        maxima.update(repeating: -.infinity, count: count)
        let banded = reciprocals(job, rows: rows, words: scratch.words, into: r, raising: maxima)
        for i in 0..<count {
            let (m, invalid) = RowReduce.maxLanes(logits + i * k, count: k)
            if invalid || m[0] == -.infinity { return rows.lowerBound + i }
            maxima[i] = Swift.max(m[0], maxima[i])
            let reference = FloatLanes(repeating: maxima[i])
            let form = job.powerForm(row: rows.lowerBound + i)!
            let n = FloatLanes(repeating: Float(form.exponent))
            mapLanes(logits + i * k, y + i * k, count: k) { ($0 - reference) * n }
            mapLanes(r + i * k, r + i * k, count: k) { form.factor($0) }
        }
        exponentiate(y, times: r, count: count * k)
        for i in 0..<count {
            if banded {
                _ = exactBandTerms(
                    words: scratch.words + i * k, logits: logits + i * k, factors: r + i * k, terms: y + i * k,
                    count: k, reference: maxima[i], form: job.powerForm(row: rows.lowerBound + i)!)
            }
            let sum = RowReduce.sum(y + i * k, count: k)
            scale(y + i * k, count: k, by: Float(1 / sum), blasMinimum: job.configuration.blasScaleMinimum)
        }
        return nil
    }

    /// `y[i] = exp(z[i])` for `z[i] <= 0`.
    // Not inlined, like `exponentiate` and the power form's `reciprocals`: inlined, it makes its
    // caller so large that the optimiser stops inlining the vector loads and stores there
    // (measured with callgrind: 2.6% more instructions in the group's pass).
    @inline(never)
    private static func storeExponentials(of z: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = Blocks(count: count)
        for i in blocks.wide {
            FastMath.expNonPositive(WideFloatLanes.load(z + i)).store(to: y + i)
        }
        for (i, n) in blocks.narrow {
            storeLanes(FastMath.expNonPositive(loadLanes(z + i, count: n, padding: -.infinity)), y + i, count: n)
        }
    }

    /// `y[i] = exp(y[i]) * factors[i]` for `y[i] <= 0`.
    @inline(never)
    private static func exponentiate(_ y: UnsafeMutablePointer<Float>, times factors: UnsafePointer<Float>, count: Int)
    {
        let blocks = Blocks(count: count)
        for i in blocks.wide {
            let e = FastMath.expNonPositive(WideFloatLanes.load(y + i))
            (e * WideFloatLanes.load(factors + i)).store(to: y + i)
        }
        for (i, n) in blocks.narrow {
            let e = FastMath.expNonPositive(loadPartial(y + i, count: n, padding: -.infinity))
            storePartial(e * loadPartial(factors + i, count: n, padding: 0), y + i, count: n)
        }
    }
}
