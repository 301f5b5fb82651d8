import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The batched sampling engine behind every public sampling function.
//
// Work is cut into units whose boundaries depend only on the shape, never on the thread count:
// - rows with K <= tile are grouped, `tile / K` rows to a unit, so the words, the noise and the
//   add of logits run over one contiguous stretch of the batch (8-wide, or one saxpy);
// - longer rows are cut into segments of `segment` columns, each processed tile by tile with an
//   online softmax (a running maximum), then finished once the row's segments are combined in
//   order. Rows of one segment are finished by the same thread while they sit in cache.
// Each worker owns its scratch for the whole call; nothing is allocated per row.

/// What a sampling pass produces.
enum SampleKind: Sendable {
    case soft, log, hard, categorical
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
}

enum SamplingKernel {
    static let tile = 2048
    static let segment = 16 * tile

    /// Per-worker scratch: words (block-aligned, with room for a partial first block) and the
    /// perturbed logits `d = logits + g` of one tile.
    struct Scratch {
        let words: UnsafeMutablePointer<UInt32>
        let perturbed: UnsafeMutablePointer<Float>
        /// Per-row maxima and exponential sums of a group of short rows.
        let maxima: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Double>

        init() {
            words = .allocate(capacity: SamplingKernel.tile + 64)
            perturbed = .allocate(capacity: SamplingKernel.tile + 16)
            maxima = .allocate(capacity: SamplingKernel.tile)
            sums = .allocate(capacity: SamplingKernel.tile)
        }

        func deallocate() {
            words.deallocate()
            perturbed.deallocate()
            maxima.deallocate()
            sums.deallocate()
        }
    }

    /// The number of worker threads to use for `elements` elements.
    static func workerCount(
        requested: Int?, elements: Int, units: Int, parallelMinimum: Int = KernelConfiguration().parallelMinimum
    ) -> Int {
        let available = requested ?? defaultThreadCount
        if elements < parallelMinimum { return 1 }
        return Swift.max(1, Swift.min(available, units))
    }

    static let defaultThreadCount: Int = {
        #if canImport(Glibc)
            return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 1
        #endif
    }()

    /// Runs `body` over `0 ..< units` cut into `workers` contiguous ranges.
    static func parallelFor(units: Int, workers: Int, _ body: @Sendable (Range<Int>) -> Void) {
        if workers <= 1 || units <= 1 {
            body(0..<units)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = units * worker / workers
            let end = units * (worker + 1) / workers
            if start < end { body(start..<end) }
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
    static func perturbRange(_ job: SamplingJob, element: Int, count: Int, scratch: Scratch) {
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
        let (rows, columns) = (job.rows, job.columns)
        if rows == 0 { return nil }
        if columns <= tile {
            let rowsPerUnit = tile / columns
            let units = (rows + rowsPerUnit - 1) / rowsPerUnit
            let workers = workerCount(
                requested: threads, elements: rows * columns, units: units,
                parallelMinimum: job.configuration.parallelMinimum)
            let firstBad = FirstBadRow()
            parallelFor(units: units, workers: workers) { range in
                let scratch = Scratch()
                defer { scratch.deallocate() }
                for unit in range {
                    let start = unit * rowsPerUnit
                    let end = Swift.min(rows, start + rowsPerUnit)
                    if let bad = shortRows(job, rows: start..<end, scratch: scratch) {
                        firstBad.record(bad)
                        return
                    }
                }
            }
            return firstBad.value
        }
        return longRows(job, threads: threads)
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
    static func shortRows(_ job: SamplingJob, rows: Range<Int>, scratch: Scratch) -> Int? {
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
    static func longRows(_ job: SamplingJob, threads: Int?) -> Int? {
        let (rows, k) = (job.rows, job.columns)
        let segmentsPerRow = (k + segment - 1) / segment
        let tilesPerSegment = segment / tile
        let units = rows * segmentsPerRow
        let workers = workerCount(
            requested: threads, elements: rows * k, units: units, parallelMinimum: job.configuration.parallelMinimum)
        let results = UnsafeMutablePointer<SegmentResult>.allocate(capacity: units)
        results.initialize(repeating: SegmentResult(), count: units)
        let references = UnsafeMutablePointer<Float>.allocate(capacity: units * tilesPerSegment)
        defer {
            results.deallocate()
            references.deallocate()
        }
        let shared = (results: results, references: references)
        let firstBad = FirstBadRow()
        let single = segmentsPerRow == 1
        nonisolated(unsafe) let state = shared
        parallelFor(units: units, workers: workers) { range in
            let scratch = Scratch()
            defer { scratch.deallocate() }
            for unit in range {
                let row = unit / segmentsPerRow
                let seg = unit % segmentsPerRow
                let result = firstPass(
                    job, row: row, segment: seg, scratch: scratch,
                    references: state.references + unit * tilesPerSegment)
                state.results[unit] = result
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
                        references: state.references + unit * tilesPerSegment)
                }
            }
        }
        if single || firstBad.value != nil { return firstBad.value }
        // Combine each row's segments in order: deterministic whatever thread ran which.
        let combined = UnsafeMutablePointer<SegmentResult>.allocate(capacity: rows)
        defer { combined.deallocate() }
        for row in 0..<rows {
            var total = SegmentResult()
            for seg in 0..<segmentsPerRow {
                let r = results[row * segmentsPerRow + seg]
                if r.maximum > total.maximum {
                    total.maximum = r.maximum
                    total.argmax = r.argmax
                }
            }
            if total.maximum == -.infinity { return row }
            let invT = job.inverseTemperature(row: row)
            for seg in 0..<segmentsPerRow {
                let r = results[row * segmentsPerRow + seg]
                total.sum += r.sum * Double(expScalar((r.maximum - total.maximum) * invT))
            }
            (combined + row).initialize(to: total)
        }
        nonisolated(unsafe) let rowResults = combined
        parallelFor(units: units, workers: workers) { range in
            for unit in range {
                let row = unit / segmentsPerRow
                finish(
                    job, row: row, segment: unit % segmentsPerRow, result: rowResults[row],
                    references: state.references + unit * tilesPerSegment)
            }
        }
        return nil
    }

    @inline(__always)
    static func expScalar(_ x: Float) -> Float {
        FastMath.expNonPositive(FloatLanes(repeating: x))[0]
    }

    /// First pass over one segment of a long row: perturb tile by tile; for soft output store
    /// `exp((d - m) * invT)` with `m` the running maximum (recorded per tile in `references`);
    /// for log output store `d`; for hard output store zeros.
    static func firstPass(
        _ job: SamplingJob, row: Int, segment seg: Int, scratch: Scratch, references: UnsafeMutablePointer<Float>
    ) -> SegmentResult {
        let k = job.columns
        let start = seg * segment
        let end = Swift.min(k, start + segment)
        let invT = job.inverseTemperature(row: row)
        var result = SegmentResult()
        var column = start
        var tileIndex = 0
        while column < end {
            let n = Swift.min(tile, end - column)
            let element = row * k + column
            perturbRange(job, element: element, count: n, scratch: scratch)
            let d = UnsafePointer(scratch.perturbed)
            let (m, invalid) = RowReduce.max(d, count: n)
            if invalid {
                result.invalid = true
                return result
            }
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
