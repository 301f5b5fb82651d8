#if canImport(Glibc)
    import Glibc
#endif

// The float64 sampling engine (SPEC section 5): the same work units as the float32 kernel (the
// scheduler's `Tiling`), the same words, and every step in Double:
// - rows of at most a tile are perturbed a group at a time (`DoubleNoise.perturb`, the band
//   words fixed from their tail words), then each row's maximum, `exp((d - max) / T)`, sum and
//   scaling (soft), log-sum (log) or argmax (hard, categorical);
// - a longer row is cut into segments, each walked tile by tile with a running maximum (the
//   reference of each tile is recorded), and finished once the row's segments are combined in
//   index order.
// Soft output at temperature 1 or 1/2 takes the power form, as the float32 kernel does: with
// `g = -ln E`, `exp((l + g) / T) = exp(l / T) (1 / E)^(1/T)`, so a term is
// `exp((l - L) n) (1 / E)^n` with `n = 1 / T` and `L` the largest logit: one logarithm and one
// division per element instead of two logarithms. In Double every factor stays in range
// (`1 / E <= 2^65`), and the rare terms whose exponential underflows while `(1 / E)^n` is large
// are recomputed in one piece (`DoubleRows.powerSum`). Which form a row takes depends only on its
// own temperature.
// The input is validated before the kernel runs (`Validate.logits`), so the kernel never fails
// and the output is written only for an accepted input. Every unit writes its own elements only,
// and sums are taken in a fixed order: the bits never depend on the thread count.

/// One float64 sampling pass over validated buffers. Workers share it through the scheduler (the
/// pointer idiom of Scheduler.swift).
struct Float64Job: @unchecked Sendable {
    var logits: UnsafePointer<Double>
    var rows: Int
    var columns: Int
    /// `min(1 / temperature, .greatestFiniteMagnitude)`, used when `rowInverseTemperatures` is nil.
    var inverseTemperature: Double
    var rowInverseTemperatures: UnsafePointer<Double>?
    var words: BatchWords
    var kind: SampleKind
    /// `B * K` doubles for soft, log and hard output.
    var output: UnsafeMutablePointer<Double>?
    /// `B` indices for categorical output.
    var indices: UnsafeMutablePointer<Int>?
    var configuration = KernelConfiguration()

    /// The power form's exponent `n = 1 / T` of row `row` (1 or 2), or nil for the general form.
    @inline(__always)
    func powerExponent(row: Int) -> Int? {
        guard kind == .soft else { return nil }
        let n = inverseTemperature(row: row)
        return n == 1 ? 1 : n == 2 ? 2 : nil
    }

    /// Fills `scratch.perturbed[0 ..< count]` with `1 / E` for the elements from flat index
    /// `element` on (the power form), exact in the tail bands.
    @inline(__always)
    func reciprocals(element: Int, count: Int, scratch: borrowing Float64Kernel.Scratch) {
        let r = scratch.perturbed
        if words.fillFloat64Uniforms(element, UnsafeMutableBufferPointer(start: r, count: count)) {
            DoubleNoise.mapUniforms(r, count: count) { u, _, _ in DoubleLanes(repeating: 1) / -DoubleMath.log(u) }
            return
        }
        words.fill(element, UnsafeMutableBufferPointer(start: scratch.words, count: count))
        if !DoubleNoise.reciprocals(scratch.words, into: r, count: count, mapping: words.mapping) {
            let tailWord = { (i: Int) in words.tailWord(element + i) }
            DoubleNoise.fixBands(
                scratch.words, count: count, tailWord: tailWord, exact: DoubleNoise.bandReciprocal(word:tailWord:)
            ) { r[$0] = $1 }
        }
    }

    /// Fills `scratch.perturbed[0 ..< count]` with `logits + g` for the elements from flat index
    /// `element` on: the bulk noise, then the exact noise of the words in a tail band.
    @inline(__always)
    func perturb(element: Int, count: Int, scratch: borrowing Float64Kernel.Scratch) {
        let l = logits + element
        let d = scratch.perturbed
        if words.fillFloat64Uniforms(element, UnsafeMutableBufferPointer(start: d, count: count)) {
            DoubleNoise.mapUniforms(d, count: count) { u, i, n in
                DoubleNoise.gumbel(uniforms: u) + DoubleLanes.load(l + i, count: n, padding: 0)
            }
            return
        }
        words.fill(element, UnsafeMutableBufferPointer(start: scratch.words, count: count))
        if !DoubleNoise.perturb(l, words: scratch.words, into: d, count: count, mapping: words.mapping) {
            let tailWord = { (i: Int) in words.tailWord(element + i) }
            DoubleNoise.fixBands(scratch.words, count: count, tailWord: tailWord) { d[$0] = l[$0] + $1 }
        }
    }
}

enum Float64Kernel {
    /// Per-worker scratch: the words and the perturbed logits of one tile.
    struct Scratch: ~Copyable {
        let words: UnsafeMutablePointer<UInt32>
        let perturbed: UnsafeMutablePointer<Double>

        init() {
            words = .allocate(capacity: Tiling.tile + 64)
            perturbed = .allocate(capacity: Tiling.tile + 16)
        }

        deinit {
            words.deallocate()
            perturbed.deallocate()
        }
    }

    /// Runs `job` over validated input.
    static func run(_ job: Float64Job, threads: Int?) {
        if job.rows == 0 { return }
        let tiling = Tiling(rows: job.rows, columns: job.columns)
        if !tiling.groupsRows {
            longRows(job, tiling: tiling, threads: threads)
            return
        }
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range { shortRows(job, rows: tiling.rows(ofGroup: unit), scratch: scratch) }
            })
    }

    /// Rows `rows`, each at most a tile long, perturbed together (or their `1 / E`, power form),
    /// then finished row by row.
    static func shortRows(_ job: Float64Job, rows: Range<Int>, scratch: borrowing Scratch) {
        let k = job.columns
        let exponent = job.powerExponent(row: rows.lowerBound)
        if job.rowInverseTemperatures != nil && rows.count > 1
            && rows.contains(where: { job.powerExponent(row: $0) != exponent })
        {
            // Rows of both forms (per-row temperatures): one row at a time, each in its own form.
            for row in rows { shortRows(job, rows: row..<row + 1, scratch: scratch) }
            return
        }
        if let exponent {
            job.reciprocals(element: rows.lowerBound * k, count: rows.count * k, scratch: scratch)
            for row in rows {
                let l = job.logits + row * k
                let y = job.output! + row * k
                let sum = DoubleRows.powerSum(
                    l, reciprocals: scratch.perturbed + (row - rows.lowerBound) * k, count: k,
                    reference: DoubleRows.max(l, count: k), exponent: exponent, storingTo: y)
                scale(y, count: k, by: 1 / sum, blasMinimum: job.configuration.blasScaleMinimumFloat64)
            }
            return
        }
        job.perturb(element: rows.lowerBound * k, count: rows.count * k, scratch: scratch)
        for row in rows {
            let d = UnsafePointer(scratch.perturbed + (row - rows.lowerBound) * k)
            let m = DoubleRows.max(d, count: k)
            let invT = job.inverseTemperature(row: row)
            switch job.kind {
            case .soft:
                let y = job.output! + row * k
                let sum = DoubleRows.expSum(d, count: k, reference: m, scale: invT, storingTo: y)
                scale(y, count: k, by: 1 / sum, blasMinimum: job.configuration.blasScaleMinimumFloat64)
            case .log:
                let sum = DoubleRows.expSum(d, count: k, reference: m, scale: invT, storingTo: nil)
                DoubleRows.logSoftmax(
                    d, into: job.output! + row * k, count: k, reference: m, scale: invT, logSum: log(sum))
            case .hard:
                let y = job.output! + row * k
                y.update(repeating: 0, count: k)
                y[DoubleRows.argmax(d, count: k, max: m)] = 1
            case .categorical:
                job.indices![row] = DoubleRows.argmax(d, count: k, max: m)
            }
        }
    }

    /// Scales `count` doubles by `factor`, with `cblas_dscal` for long runs.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Double>, count: Int, by factor: Double, blasMinimum: Int) {
        if count >= blasMinimum {
            BLAS.scale(factor, x, count: count)
        } else {
            DoubleRows.map(x, x, count: count) { $0 * DoubleLanes(repeating: factor) }
        }
    }

    /// The state of one segment of a long row after its first pass.
    struct SegmentResult {
        var maximum = -Double.infinity
        var sum = 0.0
        var argmax = 0
    }

    /// Rows longer than a tile: segments in parallel, then each row's combination, then the finish.
    static func longRows(_ job: Float64Job, tiling: Tiling, threads: Int?) {
        let segmentsPerRow = tiling.segmentsPerRow
        let tilesPerSegment = Tiling.segment / Tiling.tile
        let units = tiling.units
        let results = KernelBuffer<SegmentResult>(capacity: units)
        let references = KernelBuffer<Double>(capacity: units * tilesPerSegment)
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: job.configuration.parallelMinimum, scratch: { Scratch() },
            body: { range, scratch in
                for unit in range {
                    let (row, index) = tiling.segment(ofUnit: unit)
                    let reference = references.base + unit * tilesPerSegment
                    let result = firstPass(
                        job, row: row, columns: tiling.columns(ofSegment: index), scratch: scratch,
                        references: reference)
                    (results.base + unit).initialize(to: result)
                    if segmentsPerRow == 1 {
                        finish(
                            job, row: row, columns: tiling.columns(ofSegment: index), result: result,
                            references: reference)
                    }
                }
            })
        if segmentsPerRow == 1 { return }
        // Combine each row's segments in order: deterministic whatever thread ran which.
        let combined = KernelBuffer<SegmentResult>(capacity: job.rows)
        for row in 0..<job.rows {
            var total = SegmentResult()
            for unit in row * segmentsPerRow..<(row + 1) * segmentsPerRow
            where results.base[unit].maximum > total.maximum {
                total.maximum = results.base[unit].maximum
                total.argmax = results.base[unit].argmax
            }
            let invT = job.inverseTemperature(row: row)
            for unit in row * segmentsPerRow..<(row + 1) * segmentsPerRow {
                let r = results.base[unit]
                total.sum += r.sum * expScalar((r.maximum - total.maximum) * invT)
            }
            (combined.base + row).initialize(to: total)
        }
        let workers = Scheduler.workerCount(
            requested: threads, elements: job.rows * job.columns, units: units,
            parallelMinimum: job.configuration.parallelMinimum)
        Scheduler.run(units: units, workers: workers) { range in
            for unit in range {
                let (row, index) = tiling.segment(ofUnit: unit)
                finish(
                    job, row: row, columns: tiling.columns(ofSegment: index), result: combined.base[row],
                    references: references.base + unit * tilesPerSegment)
            }
        }
    }

    @inline(__always)
    static func expScalar(_ x: Double) -> Double {
        DoubleMath.expNonPositive(DoubleLanes(repeating: x)).simd[0]
    }

    /// First pass over the columns `columns` of row `row`, tile by tile: soft output stores
    /// `exp((d - m) / T)` with `m` the running maximum (recorded per tile in `references`), log
    /// output stores `d`, hard output zeros.
    static func firstPass(
        _ job: Float64Job, row: Int, columns: Range<Int>, scratch: borrowing Scratch,
        references: UnsafeMutablePointer<Double>
    ) -> SegmentResult {
        let invT = job.inverseTemperature(row: row)
        let exponent = job.powerExponent(row: row)
        var result = SegmentResult()
        var tileIndex = 0
        for (column, n) in Tiling.tiles(of: columns) {
            let element = row * job.columns + column
            // The tile's reference: its largest `d = l + g`, or in the power form its largest logit.
            let m: Double
            if exponent != nil {
                job.reciprocals(element: element, count: n, scratch: scratch)
                m = DoubleRows.max(job.logits + element, count: n)
            } else {
                job.perturb(element: element, count: n, scratch: scratch)
                m = DoubleRows.max(scratch.perturbed, count: n)
            }
            let d = UnsafePointer(scratch.perturbed)
            if m > result.maximum {
                result.sum *= expScalar((result.maximum - m) * invT)
                result.maximum = m
                if job.kind == .hard || job.kind == .categorical {
                    result.argmax = column + DoubleRows.argmax(d, count: n, max: m)
                }
            }
            switch job.kind {
            case .soft:
                let y = job.output! + element
                if result.maximum == -.infinity {
                    y.update(repeating: 0, count: n)
                } else if let exponent {
                    result.sum += DoubleRows.powerSum(
                        job.logits + element, reciprocals: d, count: n, reference: result.maximum,
                        exponent: exponent, storingTo: y)
                } else {
                    result.sum += DoubleRows.expSum(d, count: n, reference: result.maximum, scale: invT, storingTo: y)
                }
            case .log:
                (job.output! + element).update(from: d, count: n)
                if result.maximum != -.infinity {
                    result.sum += DoubleRows.expSum(d, count: n, reference: result.maximum, scale: invT, storingTo: nil)
                }
            case .hard:
                (job.output! + element).update(repeating: 0, count: n)
            case .categorical:
                break
            }
            references[tileIndex] = result.maximum
            tileIndex += 1
        }
        return result
    }

    /// Second pass over a segment once the row's maximum, sum and argmax are known.
    static func finish(
        _ job: Float64Job, row: Int, columns: Range<Int>, result: SegmentResult, references: UnsafePointer<Double>
    ) {
        let invT = job.inverseTemperature(row: row)
        let base = row * job.columns
        switch job.kind {
        case .soft:
            // Runs of tiles that used the same reference share one factor.
            let inverseSum = 1 / result.sum
            var column = columns.lowerBound
            var tileIndex = 0
            while column < columns.upperBound {
                let reference = references[tileIndex]
                var end = Swift.min(columns.upperBound, column + Tiling.tile)
                tileIndex += 1
                while end < columns.upperBound && references[tileIndex] == reference {
                    end = Swift.min(columns.upperBound, end + Tiling.tile)
                    tileIndex += 1
                }
                let shift = (reference - result.maximum) * invT
                let y = job.output! + base + column
                if shift < -700 {
                    // Power-form terms reach 2^130: the factor alone would underflow.
                    for i in 0..<(end - column) where y[i] > 0 { y[i] = exp(log(y[i]) + shift) * inverseSum }
                } else {
                    scale(
                        y, count: end - column, by: expScalar(shift) * inverseSum,
                        blasMinimum: job.configuration.blasScaleMinimumFloat64)
                }
                column = end
            }
        case .log:
            let y = job.output! + base + columns.lowerBound
            DoubleRows.logSoftmax(
                y, into: y, count: columns.count, reference: result.maximum, scale: invT, logSum: log(result.sum))
        case .hard:
            if columns.contains(result.argmax) { job.output![base + result.argmax] = 1 }
        case .categorical:
            if columns.lowerBound == 0 { job.indices![row] = result.argmax }
        }
    }
}

/// Row reductions and maps over Double lanes; partial vectors are padded so every element goes
/// through the same lane arithmetic wherever it sits.
enum DoubleRows {
    /// Applies `transform` to `count` doubles at `source`, sixteen at a time, writing to `target`
    /// (which may equal `source`).
    @inline(__always)
    static func map(
        _ source: UnsafePointer<Double>, _ target: UnsafeMutablePointer<Double>, count: Int, padding: Double = 0,
        _ transform: (DoubleLanes) -> DoubleLanes
    ) {
        var i = 0
        while i + DoubleLanes.count <= count {
            transform(DoubleLanes.load(source + i)).store(to: target + i)
            i += DoubleLanes.count
        }
        if i < count {
            transform(DoubleLanes.load(source + i, count: count - i, padding: padding)).store(
                to: target + i, count: count - i)
        }
    }

    /// The largest of `count` doubles (validated: no NaN).
    @inline(__always)
    static func max(_ x: UnsafePointer<Double>, count: Int) -> Double {
        var m = DoubleLanes(repeating: -.infinity)
        var i = 0
        while i + DoubleLanes.count <= count {
            m = DoubleLanes.maximum(m, DoubleLanes.load(x + i))
            i += DoubleLanes.count
        }
        if i < count { m = DoubleLanes.maximum(m, DoubleLanes.load(x + i, count: count - i, padding: -.infinity)) }
        return m.maxOfLanes
    }

    /// The first index of `max` among `count` doubles (ties to the lowest index).
    @inline(__always)
    static func argmax(_ x: UnsafePointer<Double>, count: Int, max: Double) -> Int {
        for i in 0..<count where x[i] == max { return i }
        return 0
    }

    /// `sum(exp((x - reference) * scale))` over `count` doubles, storing each term to `output`
    /// when it is not nil; summed lane-wise, then the lanes in a fixed tree.
    @inline(__always)
    static func expSum(
        _ x: UnsafePointer<Double>, count: Int, reference: Double, scale: Double,
        storingTo output: UnsafeMutablePointer<Double>?
    ) -> Double {
        let ref = DoubleLanes(repeating: reference)
        let s = DoubleLanes(repeating: scale)
        var sum = DoubleLanes(repeating: 0)
        var i = 0
        while i + DoubleLanes.count <= count {
            let e = DoubleMath.expNonPositive((DoubleLanes.load(x + i) - ref) * s)
            if let output { e.store(to: output + i) }
            sum = sum + e
            i += DoubleLanes.count
        }
        if i < count {
            let e = DoubleMath.expNonPositive(
                (DoubleLanes.load(x + i, count: count - i, padding: -.infinity) - ref) * s)
            if let output { e.store(to: output + i, count: count - i) }
            sum = sum + e
        }
        return sum.sumOfLanes
    }

    /// The power form's `sum(exp((l - reference) n) r^n)` over `count` logits `l` and reciprocals
    /// `r = 1 / E`, storing each term to `output`. A term whose exponential is near or below the
    /// bottom of Double's range (`(l - reference) n < -600`) while `r^n` (up to `2^130`) could lift
    /// it back into range is recomputed as `exp((l - reference) n + n ln r)`.
    @inline(__always)
    static func powerSum(
        _ l: UnsafePointer<Double>, reciprocals r: UnsafePointer<Double>, count: Int, reference: Double,
        exponent: Int, storingTo output: UnsafeMutablePointer<Double>
    ) -> Double {
        let ref = DoubleLanes(repeating: reference)
        let n = DoubleLanes(repeating: Double(exponent))
        let lowest = DoubleLanes(repeating: -.greatestFiniteMagnitude)
        let zero = DoubleLanes(repeating: 0)
        var sum = zero
        var smallest = zero
        var i = 0
        while i < count {
            let m = Swift.min(DoubleLanes.count, count - i)
            let logit = DoubleLanes.load(l + i, count: m, padding: -.infinity)
            let q = DoubleLanes.load(r + i, count: m, padding: 0)
            let argument = (logit - ref) * n
            let t = DoubleMath.expNonPositive(argument) * (exponent == 1 ? q : q * q)
            t.store(to: output + i, count: m)
            sum = sum + t
            smallest = DoubleLanes.minimum(
                smallest, DoubleLanes.select(DoubleLanes.atLeastMask(logit, lowest), argument, zero))
            i += m
        }
        var total = sum.sumOfLanes
        if smallest.minOfLanes < -600 {
            for j in 0..<count where l[j] != -.infinity && (l[j] - reference) * Double(exponent) < -600 {
                let exact = exp((l[j] - reference) * Double(exponent) + Double(exponent) * log(r[j]))
                total += exact - output[j]
                output[j] = exact
            }
        }
        return total
    }

    /// `y = (d - reference) * scale - logSum` over `count` doubles (`-inf` stays `-inf`).
    @inline(__always)
    static func logSoftmax(
        _ d: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int, reference: Double,
        scale: Double, logSum: Double
    ) {
        let ref = DoubleLanes(repeating: reference)
        let s = DoubleLanes(repeating: scale)
        let l = DoubleLanes(repeating: logSum)
        map(d, y, count: count) { ($0 - ref) * s - l }
    }
}

extension Double {
    /// The float64 noise of elements `first ..< first + n` of `words`, `n <= tile` (`NoiseFill`).
    @inline(__always)
    @_spi(Exports) public static func noiseTile(
        of words: BatchWords, from first: Int, into g: UnsafeMutablePointer<Double>, count n: Int,
        scratch: UnsafeMutablePointer<UInt32>
    ) {
        if words.fillFloat64Uniforms(first, UnsafeMutableBufferPointer(start: g, count: n)) {
            DoubleNoise.mapUniforms(g, count: n) { u, _, _ in DoubleNoise.gumbel(uniforms: u) }
            return
        }
        words.fill(first, UnsafeMutableBufferPointer(start: scratch, count: n))
        if !DoubleNoise.perturb(nil, words: scratch, into: g, count: n, mapping: words.mapping) {
            let tailWord = { (i: Int) in words.tailWord(first + i) }
            DoubleNoise.fixBands(scratch, count: n, tailWord: tailWord) { g[$0] = $1 }
        }
    }
}
