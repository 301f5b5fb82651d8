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
    static func segmentedRows(_ job: SamplingJob, tiling: Tiling, threads: Int?) -> Int? {
        let rows = job.rows
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
                    let (row, seg) = tiling.segment(ofUnit: unit)
                    let result = firstPass(
                        job, row: row, segment: seg, scratch: scratch,
                        references: references.base + unit * tilesPerSegment)
                    results.base[unit] = result
                    if result.invalid {
                        firstBad.record(row)
                        return
                    }
                    if single {
                        if result.maximum == -.infinity {
                            firstBad.record(row)
                            return
                        }
                        finish(
                            job, row: row, segment: seg, result: result,
                            references: references.base + unit * tilesPerSegment)
                    }
                }
            })
        if single { return firstBad.value }
        if let bad = firstBad.value {
            // Every segment of the rows before `bad` ran: an all `-inf` row among them comes first.
            for row in 0..<bad {
                let segments = results.base + row * segmentsPerRow
                if (0..<segmentsPerRow).allSatisfy({ segments[$0].maximum == -.infinity }) { return row }
            }
            return bad
        }
        // Combine each row's segments in order: deterministic whatever thread ran which.
        let combined = KernelBuffer<SegmentResult>(capacity: rows)
        for row in 0..<rows {
            var total = SegmentResult()
            for seg in 0..<segmentsPerRow {
                let r = results.base[row * segmentsPerRow + seg]
                if r.maximum > total.maximum {
                    total.maximum = r.maximum
                    total.argmax = r.argmax
                }
            }
            if total.maximum == -.infinity { return row }
            let invT = job.inverseTemperature(row: row)
            for seg in 0..<segmentsPerRow {
                let r = results.base[row * segmentsPerRow + seg]
                total.sum += r.sum * Double(expScalar((r.maximum - total.maximum) * invT))
            }
            (combined.base + row).initialize(to: total)
        }
        let workers = Scheduler.workerCount(
            requested: threads, elements: rows * job.columns, units: units, parallelMinimum: parallelMinimum)
        Scheduler.run(units: units, workers: workers) { range in
            for unit in range {
                let (row, seg) = tiling.segment(ofUnit: unit)
                finish(
                    job, row: row, segment: seg, result: combined.base[row],
                    references: references.base + unit * tilesPerSegment)
            }
        }
        return nil
    }

    /// First pass over one segment of a long row: perturb tile by tile; for soft output store
    /// `exp((d - m) * invT)` with `m` the running maximum (recorded per tile in `references`), or
    /// in the power form the terms `exp((l - m) n) (c / E)^n` with `m` the running reference;
    /// for log output store `d`; for hard output store zeros.
    static func firstPass(
        _ job: SamplingJob, row: Int, segment seg: Int, scratch: borrowing Scratch,
        references: UnsafeMutablePointer<Float>
    ) -> SegmentResult {
        let k = job.columns
        let start = seg * Tiling.segment
        let end = Swift.min(k, start + Tiling.segment)
        let invT = job.inverseTemperature(row: row)
        var result = SegmentResult()
        var column = start
        var tileIndex = 0
        let form = job.powerForm(row: row)
        while column < end {
            let n = Swift.min(Tiling.tile, end - column)
            let element = row * k + column
            // The tile's reference: the largest `d = l + g` (general form), or the largest logit,
            // raised at some band words (power form: `reciprocals`).
            let m: Float
            var banded = false
            if let form {
                job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: n))
                let tileResult = reciprocals(
                    job, element: element, count: n, words: scratch.words, into: scratch.perturbed, form: form)
                if tileResult.invalid {
                    result.invalid = true
                    return result
                }
                (m, banded) = (tileResult.reference, tileResult.banded)
            } else {
                perturbRange(job, element: element, count: n, scratch: scratch)
                let (tileMaximum, invalid) = RowReduce.max(scratch.perturbed, count: n)
                if invalid {
                    result.invalid = true
                    return result
                }
                m = tileMaximum
            }
            let d = UnsafePointer(scratch.perturbed)
            if m > result.maximum {
                if job.kind == .soft || job.kind == .log {
                    result.sum *= Double(expScalar((result.maximum - m) * invT))
                }
                result.maximum = m
                if job.kind == .hard || job.kind == .categorical {
                    result.argmax = column + RowReduce.argmax(d, count: n, max: m)
                }
            }
            switch job.kind {
            case .soft:
                let y = job.output! + element
                if result.maximum == -.infinity {
                    y.update(repeating: 0, count: n)
                } else if let form {
                    result.sum += form.storeTerms(
                        logits: job.logits + element, reciprocals: d, count: n, reference: result.maximum, into: y)
                    if banded {
                        result.sum += exactBandTerms(
                            words: scratch.words, logits: job.logits + element, reciprocals: d, terms: y, count: n,
                            reference: result.maximum, form: form)
                    }
                } else {
                    result.sum += RowReduce.expSum(d, count: n, reference: result.maximum, scale: invT, storingTo: y)
                }
            case .log:
                (job.output! + element).update(from: d, count: n)
                if result.maximum != -.infinity {
                    result.sum += RowReduce.expSum(d, count: n, reference: result.maximum, scale: invT, storingTo: nil)
                }
            case .hard:
                (job.output! + element).update(repeating: 0, count: n)
            case .categorical:
                break
            }
            references[tileIndex] = result.maximum
            tileIndex += 1
            column += n
        }
        return result
    }

    /// Second pass over one segment once the row's maximum, sum and argmax are known.
    static func finish(
        _ job: SamplingJob, row: Int, segment seg: Int, result: SegmentResult, references: UnsafePointer<Float>
    ) {
        let k = job.columns
        let start = seg * Tiling.segment
        let end = Swift.min(k, start + Tiling.segment)
        let invT = job.inverseTemperature(row: row)
        let base = row * k
        switch job.kind {
        case .soft:
            // Runs of tiles that used the same reference share one factor: one scale call each.
            let inverseSum = 1 / result.sum
            var column = start
            var tileIndex = 0
            while column < end {
                let reference = references[tileIndex]
                var runEnd = Swift.min(end, column + Tiling.tile)
                var next = tileIndex + 1
                while runEnd < end && references[next] == reference {
                    runEnd = Swift.min(end, runEnd + Tiling.tile)
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
            let y = job.output! + base + start
            let shift = FloatLanes(repeating: result.maximum)
            let t = FloatLanes(repeating: invT)
            let logSum = FloatLanes(repeating: logOf(result.sum))
            mapLanes(y, y, count: end - start) { ($0 - shift) * t - logSum }
        case .hard:
            if result.argmax >= start && result.argmax < end { job.output![base + result.argmax] = 1 }
        case .categorical:
            if seg == 0 { job.indices![row] = result.argmax }
        }
    }
}
