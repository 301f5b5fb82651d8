import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The batched sampling engine behind every public sampling function. Work units come from the
// scheduler's `Tiling` (Scheduler.swift), whose boundaries depend only on the shape:
// - a group of rows with K <= tile is one unit, so the words, the noise and the add of logits run
//   over one contiguous stretch of the batch (8-wide, or one saxpy);
// - a segment of a longer row is one unit, processed tile by tile with an online softmax (a
//   running maximum), then finished once the row's segments are combined in order. Rows of one
//   segment are finished by the same thread while they sit in cache.
// Each worker owns its scratch (`Scratch`) for the whole call; nothing is allocated per row.
//
// Soft output at temperature 1 or 1/2 takes the power form (`PowerForm`): with `g = -ln E`,
// `exp((l + g) / T) = exp(l / T) * (1 / E)^(1/T)`, so each element needs one logarithm
// (`E = -ln U`), one division and the softmax's exponential, where the general form takes two
// logarithms (`g = -ln(-ln U)`). The reference is the row's largest logit instead of its largest
// `l + g`. Which form a row takes depends only on its own temperature, so batching, sharding and
// thread counts never change a bit.

/// What a sampling pass produces.
enum SampleKind: Sendable {
    case soft, log, hard, categorical
}

/// The power form of soft output (see the top of this file): `y ∝ exp((l - L) n) (c / E)^n` for
/// an inverse temperature `n` of exactly 1 or 2, `L` the row's largest logit (raised in the rare
/// rows where a tail-band term would underflow: `SamplingKernel.reciprocals`) and `c` a power of
/// two that keeps every term in Float range: `1 / E` lies in `[0.09, 2^16]` for words outside
/// the tail bands and reaches `2^65` in them, so `(c / E)^n` stays within `[2^-19, 2^122]`.
struct PowerForm {
    /// `n = 1 / T`.
    let exponent: Int
    /// `c`: `(c / E)^n` at most `2^122` for every word (exact: a power of two).
    let scale: Float

    /// The power form for inverse temperature `inverseTemperature`, or nil when it is not 1 or 2.
    @inline(__always)
    init?(inverseTemperature: Float) {
        if inverseTemperature == 1 {
            (exponent, scale) = (1, 1)
        } else if inverseTemperature == 2 {
            (exponent, scale) = (2, 0x1p-4)
        } else {
            return nil
        }
    }

    /// `(c r)^n` for `r = 1 / E`.
    @inline(__always)
    func factor<V: FloatVector>(_ r: V) -> V {
        let t = r * V(repeating: scale)
        return exponent == 1 ? t : t * t
    }
}

/// Knobs of the kernels that the benchmarks and tests use to compare paths; passed explicitly to
/// one call (there is no global setting). Not API: reached through `@_spi(Benchmarks)`.
@_spi(Benchmarks) public struct KernelConfiguration: Sendable, Hashable {
    /// Tiles (or groups of rows) at least this long add the logits to the noise with
    /// `cblas_saxpy` instead of the fused loop. `Int.max` disables the BLAS path.
    public var blasAddNoiseMinimum = Int.max
    /// Runs of at least this many outputs sharing one normalising factor are scaled with
    /// `cblas_sscal` instead of a Swift loop.
    public var blasScaleMinimum = 4096
    /// Batches smaller than this many elements run on the calling thread.
    public var parallelMinimum = 1 << 15

    /// The library's defaults.
    public init() {}
}

struct SamplingJob: @unchecked Sendable {
    var logits: UnsafePointer<Float>
    var rows: Int
    var columns: Int
    /// `min(1 / temperature, .greatestFiniteMagnitude)`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Float
    var rowInverseTemperatures: UnsafePointer<Float>?
    /// The words of flat elements `element ..< element + buffer.count` of the batch.
    var words: @Sendable (_ element: Int, _ buffer: UnsafeMutableBufferPointer<UInt32>) -> Void
    /// The tail word of flat element `element` (read for the rare words in a tail band).
    var tailWord: @Sendable (_ element: Int) -> UInt32
    var mapping: UniformMapping
    var kind: SampleKind
    /// `B * K` floats for soft, log and hard output.
    var output: UnsafeMutablePointer<Float>?
    /// `B` indices for categorical output.
    var indices: UnsafeMutablePointer<Int>?
    /// The kernel's knobs for this call.
    var configuration = KernelConfiguration()
    var blasAddNoiseMinimum: Int { configuration.blasAddNoiseMinimum }
    var blasScaleMinimum: Int { configuration.blasScaleMinimum }

    @inline(__always)
    func inverseTemperature(row: Int) -> Float {
        rowInverseTemperatures?[row] ?? inverseTemperature
    }

    /// The power form of row `row`, or nil when the row takes the general form.
    @inline(__always)
    func powerForm(row: Int) -> PowerForm? {
        kind == .soft ? PowerForm(inverseTemperature: inverseTemperature(row: row)) : nil
    }
}

enum SamplingKernel {
    @inline(__always) static var tile: Int { Tiling.tile }
    @inline(__always) static var segment: Int { Tiling.segment }

    /// Per-worker scratch: words (block-aligned, with room for a partial first block) and the
    /// perturbed logits `d = logits + g` of one tile. Owned by one worker (made by the scheduler),
    /// borrowed by the kernels, freed by `deinit`.
    struct Scratch: ~Copyable {
        let words: UnsafeMutablePointer<UInt32>
        let perturbed: UnsafeMutablePointer<Float>
        /// Per-row maxima and exponential sums of a group of short rows.
        let maxima: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Double>
        /// Per row of a group: whether its words include a tail-band word (power form).
        let banded: UnsafeMutablePointer<Bool>

        init() {
            words = .allocate(capacity: SamplingKernel.tile + 64)
            perturbed = .allocate(capacity: SamplingKernel.tile + 16)
            maxima = .allocate(capacity: SamplingKernel.tile)
            sums = .allocate(capacity: SamplingKernel.tile)
            banded = .allocate(capacity: SamplingKernel.tile)
        }

        deinit {
            words.deallocate()
            perturbed.deallocate()
            maxima.deallocate()
            sums.deallocate()
            banded.deallocate()
        }
    }

    /// `d = logits + gumbel(words)` over `count` elements, fused or through `cblas_saxpy`; false
    /// when some word lies in a tail band (its element must then be fixed up).
    @inline(__always)
    static func perturb(
        _ logits: UnsafePointer<Float>, words: UnsafePointer<UInt32>, into d: UnsafeMutablePointer<Float>,
        count: Int, mapping: UniformMapping, blasMinimum: Int
    ) -> Bool {
        if count >= blasMinimum {
            let bulk: Bool
            switch mapping {
            case .centered: bulk = NoiseMath.noise(words, into: d, count: count, mapping: .centered)
            case .jaxTiny: bulk = NoiseMath.noise(words, into: d, count: count, mapping: .jaxTiny)
            }
            BLAS.axpy(1, logits, d, count: count)
            return bulk
        }
        switch mapping {
        case .centered: return NoiseMath.perturb(logits, words, d, count: count, mapping: .centered)
        case .jaxTiny: return NoiseMath.perturb(logits, words, d, count: count, mapping: .jaxTiny)
        }
    }

    /// Fills `scratch.perturbed[0 ..< count]` with `logits + g` for the elements starting at flat
    /// index `element` of the batch: the bulk noise, then the exact noise of the rare words in a
    /// tail band, each from one scalar Philox block (its tail word).
    @inline(__always)
    static func perturbRange(_ job: SamplingJob, element: Int, count: Int, scratch: borrowing Scratch) {
        job.words(element, UnsafeMutableBufferPointer(start: scratch.words, count: count))
        let logits = job.logits + element
        let d = scratch.perturbed
        let bulk = perturb(
            logits, words: scratch.words, into: d, count: count, mapping: job.mapping,
            blasMinimum: job.blasAddNoiseMinimum)
        if !bulk {
            let tailWord = { (i: Int) in job.tailWord(element + i) }
            NoiseMath.fixBands(scratch.words, count: count, tailWord: tailWord) { i, g in
                d[i] = logits[i] + g
            }
        }
    }

    /// Writes `1 / E` (`E = -ln U`) for the `count` elements from flat index `element` to `r`,
    /// exact in the tail bands like `perturbRange`, given the elements' words (`words`), and
    /// returns the power form's reference for them, whether a logit is NaN or `+inf`, and whether
    /// some word lay in a tail band (`banded`: then `exactBandTerms` must run on the terms).
    ///
    /// The reference is the largest logit, raised where a band word's term would exceed 1: near
    /// `U = 1`, `(c / E)^n` reaches `2^122`. For each band element the reference is at least
    /// `l + ln(c / E)` (in Double), so every term stays at most about 1. This happens only in rows
    /// holding a band word (one element in 32768 has one), depends only on the row's own words and
    /// logits, and leaves other rows' bits alone. With `rowReferences` (the elements are whole rows,
    /// the first one `firstRow`; filled with `-inf` by the caller), the raised values are written
    /// per row instead, each with its row's own form.
    @inline(__always)
    static func reciprocals(
        _ job: SamplingJob, element: Int, count: Int, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        form: PowerForm, rowReferences: UnsafeMutablePointer<Float>? = nil, firstRow: Int = 0
    ) -> (reference: Float, invalid: Bool, banded: Bool) {
        let result =
            switch job.mapping {
            case .centered:
                NoiseMath.reciprocalExponentials(
                    words, into: r, count: count, mapping: .centered, logits: job.logits + element)
            case .jaxTiny:
                NoiseMath.reciprocalExponentials(
                    words, into: r, count: count, mapping: .jaxTiny, logits: job.logits + element)
            }
        var reference = result.maximum
        if !result.bulk {
            let tailWord = { (i: Int) in job.tailWord(element + i) }
            let logits = job.logits + element
            let columns = job.columns
            NoiseMath.fixBands(words, count: count, tailWord: tailWord, exact: NoiseMath.bandReciprocalExponential) {
                i, value in
                r[i] = value
                let row = i / columns
                let scale = rowReferences == nil ? form.scale : job.powerForm(row: firstRow + row)!.scale
                let raised = Float(Double(logits[i]) + log(Double(scale) * Double(value)))
                if let rowReferences {
                    if raised > rowReferences[row] { rowReferences[row] = raised }
                } else if raised > reference {
                    reference = raised
                }
            }
        }
        return (reference, result.invalid, !result.bulk)
    }

    /// Recomputes the power form's terms of the band words among `count` elements in Double and
    /// returns what that adds to their sum. A term is `exp((l - reference) n) (c / E)^n`, two
    /// factors that the vector loop multiplies in Float: near `U = 1` the second reaches `2^122`
    /// and can carry the row while the first is below Float's range (an element 44 below the
    /// largest logit at temperature 0.5). Other terms have `(c / E)^n <= 2^24`, so when their first
    /// factor underflows they are below `2^-102` of the row.
    /// `r` holds `1 / E`, or with `raised` the factors `(c / E)^n` already.
    static func exactBandTerms(
        words: UnsafePointer<UInt32>, logits: UnsafePointer<Float>, reciprocals r: UnsafePointer<Float>, raised: Bool,
        terms y: UnsafeMutablePointer<Float>, count: Int, reference: Float, form: PowerForm
    ) -> Double {
        var added = 0.0
        let n = Double(form.exponent)
        for i in 0..<count where NoiseMath.isInBand(words[i]) {
            let t = Double(form.scale) * Double(r[i])
            let factor = raised ? Double(r[i]) : form.exponent == 1 ? t : t * t
            let exact = Float(exp((Double(logits[i]) - Double(reference)) * n) * factor)
            added += Double(exact) - Double(y[i])
            y[i] = exact
        }
        return added
    }

    /// `y[i] = exp(y[i]) * factors[i]` for `y[i] <= 0`, in the bulk width, then eight at a time.
    @inline(__always)
    static func exponentials(times factors: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + WideFloatLanes.count <= count {
            let e = FastMath.expNonPositive(WideFloatLanes.load(y + i))
            (e * WideFloatLanes.load(factors + i)).store(to: y + i)
            i += WideFloatLanes.count
        }
        while i < count {
            let n = Swift.min(8, count - i)
            let e = FastMath.expNonPositive(loadPartial(y + i, count: n, padding: -.infinity))
            storePartial(e * loadPartial(factors + i, count: n, padding: 0), y + i, count: n)
            i += n
        }
    }

    /// Scales `count` floats by `factor`, with `cblas_sscal` for long runs.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float, blasMinimum: Int) {
        if count >= blasMinimum {
            BLAS.scale(factor, x, count: count)
        } else {
            let f = FloatLanes(repeating: factor)
            mapLanes(x, x, count: count) { $0 * f }
        }
    }

    /// Runs `job`. Returns the lowest row whose logits are refused, or nil.
    static func run(_ job: SamplingJob, threads: Int?) -> Int? {
        if job.rows == 0 { return nil }
        let tiling = Tiling(rows: job.rows, columns: job.columns)
        if !tiling.groupsRows { return longRows(job, tiling: tiling, threads: threads) }
        let firstBad = FirstBadRow()
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range {
                    if let bad = shortRows(job, rows: tiling.rows(ofGroup: unit), scratch: scratch) {
                        firstBad.record(bad)
                        return
                    }
                }
            })
        return firstBad.value
    }

    /// `y[i] = exp(z[i])` for `z[i] <= 0`, in the bulk width (32 or 64 lanes), then eight at a time.
    @inline(__always)
    static func exponentials(_ z: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + WideFloatLanes.count <= count {
            FastMath.expNonPositive(WideFloatLanes.load(z + i)).store(to: y + i)
            i += WideFloatLanes.count
        }
        mapLanes(z + i, y + i, count: count - i, padding: -.infinity) { FastMath.expNonPositive($0) }
    }

    /// Rows `rows` (each at most one tile long), perturbed together, then reduced phase by phase
    /// over the group rather than row by row. Done row by row, each row is a chain of dependent
    /// steps (a reduction, exponentials, a sum, a division) that leaves the core waiting on
    /// latencies when rows are short. For rows shorter than one bulk vector: every row's maximum
    /// and `z = (d - max) / T`, then `exp(z)` over the whole group in one wide loop, then every
    /// row's sum and scaling. For longer rows: every row's maximum, then every row's exp, store
    /// and sum in one pass, then every row's scaling. Each row's arithmetic is the same wherever
    /// the row sits in the group, so grouping never changes a bit.
    static func shortRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        if job.kind == .soft {
            let first = job.powerForm(row: rows.lowerBound) != nil
            if job.rowInverseTemperatures != nil && rows.contains(where: { (job.powerForm(row: $0) != nil) != first }) {
                // Rows of both forms (per-row temperatures): one row at a time, each in its own form.
                for row in rows {
                    if let bad = shortRows(job, rows: row..<row + 1, scratch: scratch) { return bad }
                }
                return nil
            }
            if first { return powerRows(job, rows: rows, scratch: scratch) }
        }
        let k = job.columns
        let count = rows.count
        perturbRange(job, element: rows.lowerBound * k, count: count * k, scratch: scratch)
        let d = UnsafePointer(scratch.perturbed)
        if (job.kind == .soft || job.kind == .log) && k < WideFloatLanes.count {
            // Rows shorter than one bulk vector: each row's maximum and z = (d - max) / T in
            // place; then exp over the whole group at once (no per-row chains); then each row's
            // sum and its scaling.
            let z = scratch.perturbed
            for r in 0..<count {
                let (m, invalid) = RowReduce.maxLanes(z + r * k, count: k)
                if invalid || m[0] == -.infinity { return rows.lowerBound + r }
                let t = FloatLanes(repeating: job.inverseTemperature(row: rows.lowerBound + r))
                mapLanes(z + r * k, z + r * k, count: k) { ($0 - m) * t }
            }
            let y = job.output! + rows.lowerBound * k
            exponentials(UnsafePointer(z), into: y, count: count * k)
            for r in 0..<count {
                let sum = RowReduce.sum(y + r * k, count: k)
                if job.kind == .soft {
                    scale(y + r * k, count: k, by: Float(1 / sum), blasMinimum: job.blasScaleMinimum)
                } else {
                    let logSum = FloatLanes(repeating: logOf(sum))
                    mapLanes(z + r * k, y + r * k, count: k) { $0 - logSum }
                }
            }
            return nil
        }
        let maxima = scratch.maxima
        for r in 0..<count {
            let (m, invalid) = RowReduce.max(d + r * k, count: k)
            if invalid || m == -.infinity { return rows.lowerBound + r }
            maxima[r] = m
        }
        switch job.kind {
        case .soft, .log:
            // Rows of at least one bulk vector: exp, store and sum in one pass per row.
            let y = job.output! + rows.lowerBound * k
            for r in 0..<count {
                let invT = job.inverseTemperature(row: rows.lowerBound + r)
                scratch.sums[r] = RowReduce.expSum(
                    d + r * k, count: k, reference: maxima[r], scale: invT,
                    storingTo: job.kind == .soft ? y + r * k : nil)
            }
            if job.kind == .soft {
                for r in 0..<count {
                    scale(y + r * k, count: k, by: Float(1 / scratch.sums[r]), blasMinimum: job.blasScaleMinimum)
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

    /// `shortRows` for rows that all take the power form: `1 / E` for the group, then each row's
    /// largest logit `L`, then `w = exp((l - L) n) (c / E)^n` stored and summed, then the scaling.
    /// Rows shorter than one bulk vector: each row's `(l - L) n` into the output and `(c / E)^n`
    /// in place, then `exp` times the factor over the whole group at once.
    static func powerRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        let k = job.columns
        let count = rows.count
        let first = rows.lowerBound * k
        job.words(first, UnsafeMutableBufferPointer(start: scratch.words, count: count * k))
        let r = scratch.perturbed
        let logits = job.logits + first
        let y = job.output! + first
        let maxima = scratch.maxima
        if k < WideFloatLanes.count {
            // Rows of both exponents may share the group (per-row temperatures): the reciprocals
            // do not depend on the form, and the raised references take each row's own.
            maxima.update(repeating: -.infinity, count: count)
            let banded = reciprocals(
                job, element: first, count: count * k, words: scratch.words, into: r,
                form: job.powerForm(row: rows.lowerBound)!, rowReferences: maxima, firstRow: rows.lowerBound
            ).banded
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
            exponentials(times: r, y, count: count * k)
            for i in 0..<count {
                if banded {
                    _ = exactBandTerms(
                        words: scratch.words + i * k, logits: logits + i * k, reciprocals: r + i * k, raised: true,
                        terms: y + i * k, count: k, reference: maxima[i], form: job.powerForm(row: rows.lowerBound + i)!
                    )
                }
                let sum = RowReduce.sum(y + i * k, count: k)
                scale(y + i * k, count: k, by: Float(1 / sum), blasMinimum: job.blasScaleMinimum)
            }
            return nil
        }
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
            scratch.sums[i] = RowReduce.powerExpSum(
                logits + i * k, reciprocals: r + i * k, count: k, reference: maxima[i], form: form,
                storingTo: y + i * k)
            if scratch.banded[i] {
                scratch.sums[i] += exactBandTerms(
                    words: scratch.words + i * k, logits: logits + i * k, reciprocals: r + i * k, raised: false,
                    terms: y + i * k, count: k, reference: maxima[i], form: form)
            }
        }
        for i in 0..<count {
            scale(y + i * k, count: k, by: Float(1 / scratch.sums[i]), blasMinimum: job.blasScaleMinimum)
        }
        return nil
    }

    /// `log(sum)` for a sum >= 1, with the kernel's own log.
    static func logOf(_ sum: Double) -> Float {
        FastMath.log(FloatLanes(repeating: Float(sum)))[0]
    }

    /// The state of one segment of a long row after its first pass.
    struct SegmentResult {
        var maximum: Float = -.infinity
        var sum: Double = 0
        var argmax: Int = 0
        var invalid = false
    }

    /// Rows longer than a tile: segments in parallel, then the row's combination, then the finish.
    static func longRows(_ job: SamplingJob, tiling: Tiling, threads: Int?) -> Int? {
        let rows = job.rows
        let segmentsPerRow = tiling.segmentsPerRow
        let tilesPerSegment = segment / tile
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

    @inline(__always)
    static func expScalar(_ x: Float) -> Float {
        FastMath.expNonPositive(FloatLanes(repeating: x))[0]
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
        let start = seg * segment
        let end = Swift.min(k, start + segment)
        let invT = job.inverseTemperature(row: row)
        var result = SegmentResult()
        var column = start
        var tileIndex = 0
        let form = job.powerForm(row: row)
        while column < end {
            let n = Swift.min(tile, end - column)
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
                    result.sum += RowReduce.powerExpSum(
                        job.logits + element, reciprocals: d, count: n, reference: result.maximum, form: form,
                        storingTo: y)
                    if banded {
                        result.sum += exactBandTerms(
                            words: scratch.words, logits: job.logits + element, reciprocals: d, raised: false,
                            terms: y, count: n, reference: result.maximum, form: form)
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
        let start = seg * segment
        let end = Swift.min(k, start + segment)
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
                var runEnd = Swift.min(end, column + tile)
                var next = tileIndex + 1
                while runEnd < end && references[next] == reference {
                    runEnd = Swift.min(end, runEnd + tile)
                    next += 1
                }
                let factor = Float(Double(expScalar((reference - result.maximum) * invT)) * inverseSum)
                scale(
                    job.output! + base + column, count: runEnd - column, by: factor, blasMinimum: job.blasScaleMinimum)
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

/// The lowest row any worker reported as refused.
final class FirstBadRow: Sendable {
    private let lock = Mutex(Int.max)
    func record(_ row: Int) { lock.withLock { $0 = Swift.min($0, row) } }
    var value: Int? {
        let v = lock.withLock { $0 }
        return v == Int.max ? nil : v
    }
}
