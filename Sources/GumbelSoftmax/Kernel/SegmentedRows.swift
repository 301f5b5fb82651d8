// Rows longer than a tile, cut into segments (the scheduler's `Tiling`): a first pass over each
// segment tile by tile with an online softmax (a running maximum, recorded per tile), then each
// row's segments combined in index order, then a second pass that finishes each segment. Rows of
// one segment are finished at once by the thread that made them, while they sit in cache. With one
// worker, or rows enough to keep every worker busy (`takesWholeRows`), a worker takes whole rows,
// one after the other (`wholeRows`), and finishes each row as soon as its segments are combined,
// from the last segment back, so the finish finds most of the row in cache; otherwise each segment
// is a work unit (`firstPasses`, then `combineSegments` and `finishSegments`). Either way every
// segment's operations and the combination order are the same, so neither the thread count nor
// the schedule changes a bit.
//
// A batch larger than the last-level cache streams from memory: its first passes prefetch the
// logits and outputs of the next two tiles (`KernelConfiguration.streamingMinimum`); a batch that
// fits is left to the hardware, for which the prefetches cost more than they save.

extension SamplingKernel {
    /// The state of one segment of a long row after its first pass.
    struct SegmentResult {
        var maximum: Float = -.infinity
        var sum: Double = 0
        var argmax: Int = 0
        var invalid = false
    }

    /// The tiles of one segment.
    static let tilesPerSegment = Tiling.segment / Tiling.tile

    /// The rows per worker from which a worker takes whole rows: with fewer, a worker that starts
    /// late would leave too large a share of the call to the others.
    static let wholeRowsPerWorker = 4

    /// Whether `workers` workers take whole rows of `tiling` (rows of more than one segment: one
    /// worker, or at least `wholeRowsPerWorker` rows each) rather than segments.
    static func takesWholeRows(_ tiling: Tiling, workers: Int) -> Bool {
        tiling.segmentsPerRow > 1 && (workers == 1 || tiling.rows >= wholeRowsPerWorker * workers)
    }

    /// Rows longer than a tile: each row's segments, then the row's combination, then the finish.
    static func segmentedRows(_ job: SamplingJob, tiling: Tiling, threads: Int?) -> Int? {
        let units = tiling.units
        let results = KernelBuffer<SegmentResult>(capacity: units)
        results.base.initialize(repeating: SegmentResult(), count: units)
        let references = KernelBuffer<Float>(capacity: units * tilesPerSegment)
        let firstBad = FirstBadRow()
        let single = tiling.segmentsPerRow == 1
        let workers = Scheduler.workerCount(
            requested: threads, elements: job.rows * job.columns, units: units,
            parallelMinimum: job.configuration.parallelMinimum)
        let streaming = job.rows * job.columns >= job.configuration.streamingMinimum
        if takesWholeRows(tiling, workers: workers) {
            wholeRows(
                job, tiling: tiling, workers: workers, streaming: streaming, results: results, references: references,
                firstBad: firstBad)
            return firstBad.value
        }
        firstPasses(
            job, tiling: tiling, workers: workers, streaming: streaming, results: results, references: references,
            finishing: single, firstBad: firstBad)
        if single { return firstBad.value }
        if let bad = firstBad.value {
            return firstRefusedRow(before: bad, results: results.base, segmentsPerRow: tiling.segmentsPerRow)
        }
        let combined = KernelBuffer<SegmentResult>(capacity: job.rows)
        if let bad = combineSegments(
            job, segmentsPerRow: tiling.segmentsPerRow, results: results.base, into: combined.base)
        {
            return bad
        }
        finishSegments(job, tiling: tiling, workers: workers, combined: combined, references: references)
        return nil
    }

    /// Whole rows on each worker, in row order: a row's segments' first passes into `results`
    /// and `references`, its combination, then its finish from the last segment back (the
    /// segments most recently made are the ones still in cache). Records refused rows in
    /// `firstBad`: a chunk of rows stops at its first refused row, after the rows before it, and
    /// the worker goes on with the next chunk, so the lowest refused row is always recorded.
    private static func wholeRows(
        _ job: SamplingJob, tiling: Tiling, workers: Int, streaming: Bool,
        results: borrowing KernelBuffer<SegmentResult>, references: borrowing KernelBuffer<Float>,
        firstBad: FirstBadRow
    ) {
        let segments = tiling.segmentsPerRow
        Scheduler.run(
            units: job.rows, workers: workers, scratch: { Scratch() },
            body: { range, scratch in
                for row in range {
                    let first = row * segments
                    for seg in 0..<segments {
                        let unit = first + seg
                        let result = firstPass(
                            job, row: row, segment: seg, scratch: scratch,
                            references: references.base + unit * tilesPerSegment, streaming: streaming)
                        results.base[unit] = result
                        if result.invalid {
                            firstBad.record(row)
                            return
                        }
                    }
                    guard let total = combine(job, row: row, segments: results.base + first, count: segments) else {
                        firstBad.record(row)
                        return
                    }
                    for seg in (0..<segments).reversed() {
                        finish(
                            job, row: row, segment: seg, result: total,
                            references: references.base + (first + seg) * tilesPerSegment)
                    }
                }
            })
    }

    /// Every segment's first pass, in parallel, into `results` and `references`; with
    /// `finishing` (rows of one segment), each row is finished at once by the thread that made it,
    /// while it sits in cache. Records refused rows in `firstBad`.
    private static func firstPasses(
        _ job: SamplingJob, tiling: Tiling, workers: Int, streaming: Bool,
        results: borrowing KernelBuffer<SegmentResult>, references: borrowing KernelBuffer<Float>, finishing: Bool,
        firstBad: FirstBadRow
    ) {
        Scheduler.run(
            units: tiling.units, workers: workers, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range {
                    let (row, seg) = tiling.segment(ofUnit: unit)
                    let tileReferences = references.base + unit * tilesPerSegment
                    let result = firstPass(
                        job, row: row, segment: seg, scratch: scratch, references: tileReferences, streaming: streaming)
                    results.base[unit] = result
                    if result.invalid || (finishing && result.maximum == -.infinity) {
                        firstBad.record(row)
                        return
                    }
                    if finishing {
                        finish(job, row: row, segment: seg, result: result, references: tileReferences)
                    }
                }
            })
    }

    /// The row to report once a first pass refused row `bad`: every segment of the rows before it
    /// ran, and an all `-inf` row among them comes first.
    private static func firstRefusedRow(
        before bad: Int, results: UnsafePointer<SegmentResult>, segmentsPerRow: Int
    ) -> Int {
        for row in 0..<bad {
            let segments = results + row * segmentsPerRow
            if (0..<segmentsPerRow).allSatisfy({ segments[$0].maximum == -.infinity }) { return row }
        }
        return bad
    }

    /// Each row's segments combined in index order into `combined` (deterministic whatever thread
    /// ran which): the largest maximum (the first segment's on ties) and its argmax, and the sums
    /// rescaled to it. Returns the first all `-inf` row, or nil.
    private static func combineSegments(
        _ job: SamplingJob, segmentsPerRow: Int, results: UnsafePointer<SegmentResult>,
        into combined: UnsafeMutablePointer<SegmentResult>
    ) -> Int? {
        for row in 0..<job.rows {
            guard let total = combine(job, row: row, segments: results + row * segmentsPerRow, count: segmentsPerRow)
            else { return row }
            (combined + row).initialize(to: total)
        }
        return nil
    }

    /// One row's `count` segments combined in index order: the largest maximum (the first
    /// segment's on ties) and its argmax, and the sums rescaled to it. Nil for an all `-inf` row.
    private static func combine(
        _ job: SamplingJob, row: Int, segments: UnsafePointer<SegmentResult>, count: Int
    ) -> SegmentResult? {
        var total = SegmentResult()
        for seg in 0..<count where segments[seg].maximum > total.maximum {
            total.maximum = segments[seg].maximum
            total.argmax = segments[seg].argmax
        }
        if total.maximum == -.infinity { return nil }
        let invT = job.inverseTemperature(row: row)
        for seg in 0..<count {
            total.sum += segments[seg].sum * Double(expScalar((segments[seg].maximum - total.maximum) * invT))
        }
        return total
    }

    /// Every segment's second pass, in parallel, once its row is combined.
    private static func finishSegments(
        _ job: SamplingJob, tiling: Tiling, workers: Int, combined: borrowing KernelBuffer<SegmentResult>,
        references: borrowing KernelBuffer<Float>
    ) {
        Scheduler.run(units: tiling.units, workers: workers) { range in
            for unit in range {
                let (row, seg) = tiling.segment(ofUnit: unit)
                finish(
                    job, row: row, segment: seg, result: combined.base[row],
                    references: references.base + unit * tilesPerSegment)
            }
        }
    }

    /// First pass over one segment of a long row, tile by tile: the tile's reference
    /// (`tileReference`), the running maximum raised to it (`raise`), then the tile's output
    /// (`storeTile`); the running maximum after each tile goes to `references`. With `streaming`,
    /// each tile first asks for the logits and outputs of the two tiles after it.
    static func firstPass(
        _ job: SamplingJob, row: Int, segment seg: Int, scratch: borrowing Scratch,
        references: UnsafeMutablePointer<Float>, streaming: Bool
    ) -> SegmentResult {
        let k = job.columns
        let end = Swift.min(k, (seg + 1) * Tiling.segment)
        let form = job.powerForm(row: row)
        var result = SegmentResult()
        var column = seg * Tiling.segment
        var tileIndex = 0
        while column < end {
            let n = Swift.min(Tiling.tile, end - column)
            let element = row * k + column
            if streaming { prefetchTiles(job, from: element + n, count: Swift.min(2 * Tiling.tile, end - column - n)) }
            guard let (m, banded) = tileReference(job, element: element, count: n, form: form, scratch: scratch)
            else {
                result.invalid = true
                return result
            }
            raise(&result, to: m, job, row: row, column: column, tile: scratch.perturbed, count: n)
            storeTile(job, row: row, element: element, count: n, form: form, banded: banded, scratch: scratch, &result)
            references[tileIndex] = result.maximum
            tileIndex += 1
            column += n
        }
        return result
    }

    /// Asks for the cache lines of the logits and outputs of the `count` elements from flat index
    /// `element` (none when `count <= 0`). Each tile asks for the next two, so every line is asked
    /// for twice: measured, that is faster than asking once for the tile after next
    /// (docs/benchmarks.md, "Levers measured").
    @inline(__always)
    private static func prefetchTiles(_ job: SamplingJob, from element: Int, count: Int) {
        guard count > 0 else { return }
        prefetchLines(job.logits + element, bytes: count * MemoryLayout<Float>.stride, forWriting: false)
        if let y = job.output {
            prefetchLines(y + element, bytes: count * MemoryLayout<Float>.stride, forWriting: true)
        }
    }

    /// Fills the scratch for the `count` elements of one tile from flat index `element` and
    /// returns the tile's reference: in the general form `d = l + g` and its largest value; in
    /// the power form `1 / E` and the largest logit, raised at some band words (`reciprocals`),
    /// with whether a band word is among the tile's. Nil when a logit is NaN or `+inf`.
    @inline(__always)
    private static func tileReference(
        _ job: SamplingJob, element: Int, count n: Int, form: PowerForm?, scratch: borrowing Scratch
    ) -> (reference: Float, banded: Bool)? {
        if let form {
            job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: n))
            let tile = reciprocals(
                job, element: element, count: n, words: scratch.words, into: scratch.perturbed, form: form)
            return tile.invalid ? nil : (tile.reference, tile.banded)
        }
        if perturbTakingMaxima(job, element: element, rows: 1, columns: n, scratch: scratch) {
            return (scratch.maxima[0], false)
        }
        let (maximum, invalid) = RowReduce.max(scratch.perturbed, count: n)
        return invalid ? nil : (maximum, false)
    }

    /// Raises the segment's running maximum to the tile's reference `m` when that is larger: the
    /// sum so far is rescaled to it (soft and log output), or the argmax is the tile's (hard and
    /// categorical output, from the tile's `d`).
    @inline(__always)
    private static func raise(
        _ result: inout SegmentResult, to m: Float, _ job: SamplingJob, row: Int, column: Int,
        tile d: UnsafePointer<Float>, count n: Int
    ) {
        guard m > result.maximum else { return }
        if job.kind == .soft || job.kind == .log {
            result.sum *= Double(expScalar((result.maximum - m) * job.inverseTemperature(row: row)))
        }
        result.maximum = m
        if job.kind == .hard || job.kind == .categorical {
            result.argmax = column + RowReduce.argmax(d, count: n, max: m)
        }
    }

    /// The first pass's output of one tile, its terms added to the segment's sum: for soft output
    /// `exp((d - m) * invT)` with `m` the running maximum, or in the power form the terms
    /// `exp((l - m) n) (c / E)^n` with `m` the running reference; for log output `d`; for hard
    /// output zeros.
    @inline(__always)
    private static func storeTile(
        _ job: SamplingJob, row: Int, element: Int, count n: Int, form: PowerForm?, banded: Bool,
        scratch: borrowing Scratch, _ result: inout SegmentResult
    ) {
        let d = UnsafePointer(scratch.perturbed)
        let invT = job.inverseTemperature(row: row)
        switch job.kind {
        case .soft:
            let y = job.output! + element
            if result.maximum == -.infinity {
                y.update(repeating: 0, count: n)
            } else if let form {
                let logits = job.logits + element
                result.sum += form.storeTerms(
                    logits: logits, reciprocals: d, count: n, reference: result.maximum, into: y)
                if banded {
                    result.sum += exactBandTerms(
                        words: scratch.words, logits: logits, reciprocals: d, terms: y, count: n,
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
