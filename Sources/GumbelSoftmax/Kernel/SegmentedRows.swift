// Rows longer than a tile, cut into segments (the scheduler's `Tiling`), one work unit each: a
// first pass over each segment tile by tile with an online softmax (a running maximum, recorded
// per tile), then each row's segments combined in index order, then a second pass that finishes
// each segment. Rows of one segment are finished at once by the thread that made them, while they
// sit in cache. The combination order is fixed, so the thread count never changes a bit.

extension SamplingKernel {
    /// The state of one segment of a long row after its first pass.
    struct SegmentResult {
        var maximum: Float = -.infinity
        var sum: Double = 0
        var argmax: Int = 0
        var invalid = false
    }

    /// Rows longer than a tile: segments in parallel, then the row's combination, then the finish.
    /// Returns the first refused row, or nil.
    static func segmentedRows(_ job: SamplingJob, tiling: Tiling, threads: Int?) -> Int? {
        let segmentsPerRow = tiling.segmentsPerRow
        let tilesPerSegment = Tiling.segment / Tiling.tile
        let units = tiling.units
        let parallelMinimum = job.configuration.parallelMinimum
        let results = KernelBuffer<SegmentResult>(capacity: units)
        results.base.initialize(repeating: SegmentResult(), count: units)
        let references = KernelBuffer<Float>(capacity: units * tilesPerSegment)
        let firstBad = FirstBadRow()
        let single = segmentsPerRow == 1
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: parallelMinimum, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range {
                    let (row, index) = tiling.segment(ofUnit: unit)
                    let columns = tiling.columns(ofSegment: index)
                    let unitReferences = references.base + unit * tilesPerSegment
                    let result = firstPass(
                        job, row: row, columns: columns, scratch: scratch, references: unitReferences)
                    results.base[unit] = result
                    if result.invalid || (single && result.maximum == -.infinity) {
                        firstBad.record(row)
                        return
                    }
                    if single {
                        finish(job, row: row, columns: columns, result: result, references: unitReferences)
                    }
                }
            })
        if single { return firstBad.value }
        if let bad = firstBad.value {
            // Every segment of the rows before `bad` ran: an all `-inf` row among them comes first.
            for row in 0..<bad where allMasked(row: row, results: results.base, segmentsPerRow: segmentsPerRow) {
                return row
            }
            return bad
        }
        let combined = KernelBuffer<SegmentResult>(capacity: job.rows)
        if let bad = combine(job, results: results.base, segmentsPerRow: segmentsPerRow, into: combined.base) {
            return bad
        }
        let workers = Scheduler.workerCount(
            requested: threads, elements: job.rows * job.columns, units: units, parallelMinimum: parallelMinimum)
        Scheduler.run(units: units, workers: workers) { range in
            for unit in range {
                let (row, index) = tiling.segment(ofUnit: unit)
                finish(
                    job, row: row, columns: tiling.columns(ofSegment: index), result: combined.base[row],
                    references: references.base + unit * tilesPerSegment)
            }
        }
        return nil
    }

    /// Whether every segment of row `row` found only `-inf`.
    private static func allMasked(row: Int, results: UnsafePointer<SegmentResult>, segmentsPerRow: Int) -> Bool {
        let segments = results + row * segmentsPerRow
        return (0..<segmentsPerRow).allSatisfy { segments[$0].maximum == -.infinity }
    }

    /// Combines each row's segments in index order (deterministic whatever thread ran which) into
    /// `combined[row]`: the row's maximum, its first argmax and its sum relative to the maximum.
    /// Returns the first all `-inf` row, or nil.
    private static func combine(
        _ job: SamplingJob, results: UnsafePointer<SegmentResult>, segmentsPerRow: Int,
        into combined: UnsafeMutablePointer<SegmentResult>
    ) -> Int? {
        for row in 0..<job.rows {
            let segments = results + row * segmentsPerRow
            var total = SegmentResult()
            for index in 0..<segmentsPerRow where segments[index].maximum > total.maximum {
                total.maximum = segments[index].maximum
                total.argmax = segments[index].argmax
            }
            if total.maximum == -.infinity { return row }
            let invT = job.inverseTemperature(row: row)
            for index in 0..<segmentsPerRow {
                let r = segments[index]
                total.sum += r.sum * Double(expScalar((r.maximum - total.maximum) * invT))
            }
            (combined + row).initialize(to: total)
        }
        return nil
    }

    /// First pass over the columns `columns` of row `row`, tile by tile: for soft output store
    /// `exp((d - m) * invT)` with `m` the running maximum (recorded per tile in `references`), or
    /// in the power form the terms `exp((l - m) n) (c / E)^n` with `m` the running reference;
    /// for log output store `d`; for hard output store zeros.
    // Not inlined into `segmentedRows` (see `storeExponentials`; measured: 4% more instructions).
    @inline(never)
    private static func firstPass(
        _ job: SamplingJob, row: Int, columns: Range<Int>, scratch: borrowing Scratch,
        references: UnsafeMutablePointer<Float>
    ) -> SegmentResult {
        let invT = job.inverseTemperature(row: row)
        let form = job.powerForm(row: row)
        var result = SegmentResult()
        var tileIndex = 0
        for (column, n) in Tiling.tiles(of: columns) {
            let element = row * job.columns + column
            guard let tile = prepareTile(job, element: element, count: n, form: form, scratch: scratch) else {
                result.invalid = true
                return result
            }
            let m = tile.reference
            if m > result.maximum {
                if job.kind == .soft || job.kind == .log {
                    result.sum *= Double(expScalar((result.maximum - m) * invT))
                }
                result.maximum = m
                if job.kind == .hard || job.kind == .categorical {
                    result.argmax = column + RowReduce.argmax(scratch.perturbed, count: n, max: m)
                }
            }
            storeTile(
                job, element: element, count: n, inverseTemperature: invT, form: form, banded: tile.banded,
                reference: result.maximum, scratch: scratch, sum: &result.sum)
            references[tileIndex] = result.maximum
            tileIndex += 1
        }
        return result
    }

    /// Fills `scratch.perturbed` for the tile of `count` elements from flat index `element`: `d =
    /// l + g` (general form) or `1 / E` (power form). Returns the tile's reference, the largest `d`
    /// or the largest logit raised at some band words (`reciprocals`), and whether a band word
    /// needs `exactBandTerms`; nil when a logit is NaN or `+inf`.
    @inline(__always)
    private static func prepareTile(
        _ job: SamplingJob, element: Int, count n: Int, form: PowerForm?, scratch: borrowing Scratch
    ) -> (reference: Float, banded: Bool)? {
        if let form {
            job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: n))
            let tile = reciprocals(
                job, element: element, count: n, words: scratch.words, into: scratch.perturbed, form: form)
            return tile.invalid ? nil : (tile.reference, tile.banded)
        }
        perturbRange(job, element: element, count: n, scratch: scratch)
        let (maximum, invalid) = RowReduce.max(scratch.perturbed, count: n)
        return invalid ? nil : (maximum, false)
    }

    /// The first pass's output of one prepared tile (see `firstPass`), its terms added to `sum`
    /// relative to `reference`, the row's running reference.
    @inline(__always)
    private static func storeTile(
        _ job: SamplingJob, element: Int, count n: Int, inverseTemperature invT: Float, form: PowerForm?,
        banded: Bool, reference: Float, scratch: borrowing Scratch, sum: inout Double
    ) {
        let d = UnsafePointer(scratch.perturbed)
        switch job.kind {
        case .soft:
            let y = job.output! + element
            if reference == -.infinity {
                y.update(repeating: 0, count: n)
            } else if let form {
                let logits = job.logits + element
                sum += form.storeTerms(logits: logits, reciprocals: d, count: n, reference: reference, into: y)
                if banded {
                    sum += exactBandTerms(
                        words: scratch.words, logits: logits, reciprocals: d, terms: y, count: n, reference: reference,
                        form: form)
                }
            } else {
                sum += RowReduce.expSum(d, count: n, reference: reference, scale: invT, storingTo: y)
            }
        case .log:
            (job.output! + element).update(from: d, count: n)
            if reference != -.infinity {
                sum += RowReduce.expSum(d, count: n, reference: reference, scale: invT, storingTo: nil)
            }
        case .hard:
            (job.output! + element).update(repeating: 0, count: n)
        case .categorical:
            break
        }
    }

    /// Second pass over the columns `columns` of row `row` once the row's maximum, sum and argmax
    /// are known.
    private static func finish(
        _ job: SamplingJob, row: Int, columns: Range<Int>, result: SegmentResult, references: UnsafePointer<Float>
    ) {
        let invT = job.inverseTemperature(row: row)
        let base = row * job.columns
        switch job.kind {
        case .soft:
            // Runs of tiles that used the same reference share one factor: one scale call each.
            let inverseSum = 1 / result.sum
            var column = columns.lowerBound
            var tileIndex = 0
            while column < columns.upperBound {
                let reference = references[tileIndex]
                var runEnd = Swift.min(columns.upperBound, column + Tiling.tile)
                var next = tileIndex + 1
                while runEnd < columns.upperBound && references[next] == reference {
                    runEnd = Swift.min(columns.upperBound, runEnd + Tiling.tile)
                    next += 1
                }
                let factor = Float(Double(expScalar((reference - result.maximum) * invT)) * inverseSum)
                scale(
                    job.output! + base + column, count: runEnd - column, by: factor,
                    blasMinimum: job.configuration.blasScaleMinimum)
                column = runEnd
                tileIndex = next
            }
        case .log:
            let y = job.output! + base + columns.lowerBound
            let shift = FloatLanes(repeating: result.maximum)
            let t = FloatLanes(repeating: invT)
            let logSum = FloatLanes(repeating: logOf(result.sum))
            mapLanes(y, y, count: columns.count) { ($0 - shift) * t - logSum }
        case .hard:
            if columns.contains(result.argmax) { job.output![base + result.argmax] = 1 }
        case .categorical:
            if columns.lowerBound == 0 { job.indices![row] = result.argmax }
        }
    }
}
