// The batched sampling engine behind every public sampling function. Work units come from the
// scheduler's `Tiling` (Scheduler.swift), whose boundaries depend only on the shape:
// - a group of rows with K <= tile is one unit, so the words, the noise and the add of logits run
//   over one contiguous stretch of the batch (GroupedRows.swift);
// - a segment of a longer row is processed tile by tile with an online softmax (a running
//   maximum), then finished once the row's segments are combined in order: each segment a unit,
//   or, with one worker or at least four rows per worker, each row a unit, finished by the worker
//   that made it while it sits in cache (SegmentedRows.swift).
// Each worker owns its scratch (`Scratch`) for the whole call; nothing is allocated per row.
// Soft output at temperature 1 or 1/2 takes the power form in both (PowerForm.swift); this file
// holds what every variant shares: the entry point, the scratch, the perturbation and the scaling.

enum SamplingKernel {
    /// Per-worker scratch: words (block-aligned, with room for a partial first block) and the
    /// perturbed logits `d = logits + g` of one tile. Owned by one worker (made by the scheduler),
    /// borrowed by the kernels, freed by `deinit`.
    struct Scratch: ~Copyable {
        let words: UnsafeMutablePointer<UInt32>
        let perturbed: UnsafeMutablePointer<Float>
        /// Per-row maxima and exponential sums of a group of short rows.
        let maxima: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Double>
        /// The exponential arguments and terms of a group of rows shorter than one bulk vector.
        let terms: UnsafeMutablePointer<Float>

        init() {
            words = .allocate(capacity: Tiling.tile + 64)
            perturbed = .allocate(capacity: Tiling.tile + 16)
            maxima = .allocate(capacity: Tiling.tile)
            sums = .allocate(capacity: Tiling.tile)
            terms = .allocate(capacity: Tiling.tile + 16)
        }

        deinit {
            words.deallocate()
            perturbed.deallocate()
            maxima.deallocate()
            sums.deallocate()
            terms.deallocate()
        }
    }

    /// Runs `job`. Returns the lowest row whose logits are refused, or nil.
    static func run(_ job: SamplingJob, threads: Int?) -> Int? {
        if job.rows == 0 { return nil }
        let tiling = Tiling(rows: job.rows, columns: job.columns)
        if !tiling.groupsRows { return segmentedRows(job, tiling: tiling, threads: threads) }
        let firstBad = FirstBadRow()
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range {
                    if let bad = groupedRows(job, rows: tiling.rows(ofGroup: unit), scratch: scratch) {
                        firstBad.record(bad)
                        return
                    }
                }
            })
        return firstBad.value
    }

    /// `d = logits + gumbel(words)` over `count` elements, fused or through `cblas_saxpy`; true
    /// when some word lies in a tail band (its element must then be fixed up).
    @inline(__always)
    static func perturb(
        _ logits: UnsafePointer<Float>, words: UnsafePointer<UInt32>, into d: UnsafeMutablePointer<Float>,
        count: Int, mapping: UniformMapping, blasMinimum: Int
    ) -> Bool {
        // One specialisation per mapping (see `NoiseMath.perturb`).
        if count >= blasMinimum {
            let banded: Bool
            switch mapping {
            case .centered: banded = NoiseMath.noise(words, into: d, count: count, mapping: .centered)
            case .jaxTiny: banded = NoiseMath.noise(words, into: d, count: count, mapping: .jaxTiny)
            }
            BLAS.axpy(1, logits, d, count: count)
            return banded
        }
        switch mapping {
        case .centered: return NoiseMath.perturb(logits, words, d, count: count, mapping: .centered)
        case .jaxTiny: return NoiseMath.perturb(logits, words, d, count: count, mapping: .jaxTiny)
        }
    }

    /// Fills `scratch.perturbed[0 ..< count]` with `logits + g` for the elements starting at flat
    /// index `element` of the batch: the noise of the vector loops, then the exact noise of the
    /// rare words in a tail band, each from one scalar Philox block (its tail word).
    @inline(__always)
    static func perturbRange(_ job: SamplingJob, element: Int, count: Int, scratch: borrowing Scratch) {
        job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: count))
        let banded = perturb(
            job.logits + element, words: scratch.words, into: scratch.perturbed, count: count, mapping: job.mapping,
            blasMinimum: job.configuration.blasAddNoiseMinimum)
        if banded { fixPerturbedBands(job, element: element, count: count, scratch: scratch) }
    }

    /// `perturbRange` over `rows` whole rows of `columns` elements from flat index `element`,
    /// taking each row's largest `d` into `scratch.maxima` in the same pass where it can (Noise/
    /// RowMaxima.swift): the avx512 tier, rows a multiple of the bulk width long, the fused add,
    /// and not log output (whose `d - max` keeps
    /// the sign of a zero maximum, which this pass may take from either of two largest zeros).
    /// Returns true when the maxima are taken and every `d` is below `+inf`; otherwise the caller
    /// takes them itself.
    @inline(__always)
    static func perturbTakingMaxima(
        _ job: SamplingJob, element: Int, rows: Int, columns: Int, scratch: borrowing Scratch
    ) -> Bool {
        let count = rows * columns
        #if GUMBEL_SOFTMAX_AVX512
            if job.kind != .log && columns % WideFloatLanes.count == 0
                && count < job.configuration.blasAddNoiseMinimum
            {
                job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: count))
                let (logits, words, d) = (job.logits + element, scratch.words, scratch.perturbed)
                let maxima = scratch.maxima
                // One specialisation per mapping (see `NoiseMath.perturb`).
                let (banded, valid) =
                    switch job.mapping {
                    case .centered:
                        NoiseMath.perturbRows(
                            logits, words, d, rows: rows, columns: columns, maxima: maxima, mapping: .centered)
                    case .jaxTiny:
                        NoiseMath.perturbRows(
                            logits, words, d, rows: rows, columns: columns, maxima: maxima, mapping: .jaxTiny)
                    }
                // A band word's exact noise changes its `d` after the pass, and with it the maximum.
                if banded { fixPerturbedBands(job, element: element, count: count, scratch: scratch) }
                return valid && !banded
            }
        #endif
        perturbRange(job, element: element, count: count, scratch: scratch)
        return false
    }

    /// The exact noise of the words in a tail band among the `count` perturbed elements from flat
    /// index `element`, each from one scalar Philox block (its tail word).
    private static func fixPerturbedBands(_ job: SamplingJob, element: Int, count: Int, scratch: borrowing Scratch) {
        let logits = job.logits + element
        let d = scratch.perturbed
        let tailWord = { (i: Int) in job.tailWord(element + i) }
        NoiseMath.fixBands(scratch.words, count: count, tailWord: tailWord) { i, g in
            d[i] = logits[i] + g
        }
    }

    /// Scales `count` floats by `factor`, with `cblas_sscal` for runs of at least `blasMinimum`,
    /// else in the bulk width then eight lanes at a time.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float, blasMinimum: Int) {
        if count >= blasMinimum {
            BLAS.scale(factor, x, count: count)
        } else {
            let blocks = Blocks(count: count)
            let wide = WideFloatLanes(repeating: factor)
            for i in blocks.wide {
                (WideFloatLanes.load(x + i) * wide).store(to: x + i)
            }
            let f = FloatLanes(repeating: factor)
            for (i, n) in blocks.narrow {
                storeLanes(loadLanes(x + i, count: n, padding: 0) * f, x + i, count: n)
            }
        }
    }

    /// `log(sum)` for a sum >= 1, with the kernel's own log.
    static func logOf(_ sum: Double) -> Float {
        FastMath.log(FloatLanes(repeating: Float(sum)))[0]
    }

    /// `exp(x)` for `x <= 0`, with the kernel's own exp.
    @inline(__always)
    static func expScalar(_ x: Float) -> Float {
        FastMath.expNonPositive(FloatLanes(repeating: x))[0]
    }
}
