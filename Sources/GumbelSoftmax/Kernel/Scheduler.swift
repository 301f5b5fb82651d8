import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The one scheduler: how many workers a call gets, the threads that run them (`WorkerPool`), the
// cutting of a `[rows, columns]` batch into work units (`Tiling`) and each worker's scratch.
// Sampling, noise, top-k, gradients and the Concrete density all run through it.
//
// What is computed depends only on the shape, never on the thread count: the tiles, groups and
// segments and the order their results are combined in. Which unit of work a worker claims (a
// segment of a long row, or with few workers a whole row of segments: Kernel/SegmentedRows.swift)
// may depend on the worker count; each unit writes only its own results, so a result never depends
// on how many threads ran or which of them ran a unit.
// Workers claim chunks of units from a shared counter (dynamic scheduling): on a shared machine
// a worker that wakes late or loses its core to another process does not hold up the call.
//
// Handing pointers to worker threads, the one idiom: a worker closure is `@Sendable`, and every
// raw pointer it reads or writes travels inside an `@unchecked Sendable` struct: either a job that
// views the caller's buffers (`SamplingJob`, `Float64Job`, `TopKPass`, `BackwardJob`, `NoiseFill`,
// `DensityJob`, and `RowStreamTable` for per-row streams) or a `~Copyable` owner of the call's
// shared memory (`KernelBuffer`), captured by borrow. The caller keeps the memory alive for the
// call, and workers write disjoint elements only. There are no `nonisolated(unsafe)` locals.

/// How a `[rows, columns]` batch is cut into work units; the boundaries depend only on the shape.
///
/// - Rows with `columns <= tile` are grouped, `tile / columns` rows to a unit (`rows(ofGroup:)`),
///   so a unit is one contiguous stretch of at most a tile.
/// - Longer rows are cut into segments of `segment` columns, `segmentsPerRow` units per row in
///   row order (`segment(ofUnit:)`); a segment is walked tile by tile.
struct Tiling: Sendable {
    /// The longest stretch a kernel perturbs at once; each worker's scratch holds one tile.
    static let tile = 2048
    /// The columns of one work unit of a row longer than a tile.
    static let segment = 16 * tile

    let rows: Int
    let columns: Int
    /// Rows to a unit when `groupsRows`, else 0.
    let rowsPerGroup: Int
    /// Units of each row when it is longer than a tile, else 0.
    let segmentsPerRow: Int
    /// The number of work units.
    let units: Int

    /// The tiling of a `[rows, columns]` batch, `columns >= 1`.
    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        if columns <= Self.tile {
            rowsPerGroup = Self.tile / columns
            segmentsPerRow = 0
            units = (rows + rowsPerGroup - 1) / rowsPerGroup
        } else {
            rowsPerGroup = 0
            segmentsPerRow = (columns + Self.segment - 1) / Self.segment
            units = rows * segmentsPerRow
        }
    }

    /// True when rows are at most a tile long and grouped; false when they are cut into segments.
    var groupsRows: Bool { columns <= Self.tile }

    /// The rows of group `unit` (when `groupsRows`).
    @inline(__always)
    func rows(ofGroup unit: Int) -> Range<Int> {
        let start = unit * rowsPerGroup
        return start..<Swift.min(rows, start + rowsPerGroup)
    }

    /// The row of unit `unit` and the index of its segment in the row (when `!groupsRows`).
    @inline(__always)
    func segment(ofUnit unit: Int) -> (row: Int, index: Int) {
        (unit / segmentsPerRow, unit % segmentsPerRow)
    }

    /// The columns of segment `index` of a row.
    @inline(__always)
    func columns(ofSegment index: Int) -> Range<Int> {
        let start = index * Self.segment
        return start..<Swift.min(columns, start + Self.segment)
    }

    /// The tiles of `columns`, in order, as `(column, count)` pairs: `tile` columns each, the
    /// last one shorter.
    @inline(__always)
    static func tiles(of columns: Range<Int>) -> some Sequence<(column: Int, count: Int)> {
        stride(from: columns.lowerBound, to: columns.upperBound, by: tile).lazy.map {
            (column: $0, count: Swift.min(tile, columns.upperBound - $0))
        }
    }
}

/// Memory a kernel owns for one call or one worker: `capacity` uninitialised elements, freed by
/// `deinit`. Workers share it by borrowing it in their closure (it is `@unchecked Sendable`: they
/// write disjoint elements, and read only after the writers have joined).
struct KernelBuffer<Element: BitwiseCopyable>: ~Copyable, @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>

    init(capacity: Int) {
        base = .allocate(capacity: Swift.max(1, capacity))
    }

    deinit {
        base.deallocate()
    }
}

enum Scheduler {
    /// The threads a call uses when it does not say: the online processors.
    static let defaultThreadCount: Int = {
        #if canImport(Glibc)
            return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 1
        #endif
    }()

    /// The number of worker threads for `elements` elements in `units` work units: one below
    /// `parallelMinimum` elements, else the requested count (default: all cores), at most `units`.
    static func workerCount(
        requested: Int?, elements: Int, units: Int, parallelMinimum: Int = KernelConfiguration().parallelMinimum
    ) -> Int {
        let available = requested ?? defaultThreadCount
        if elements < parallelMinimum { return 1 }
        return Swift.max(1, Swift.min(available, units))
    }

    /// Runs `body` over `0 ..< units` on `workers` threads; on the calling thread when there is
    /// one worker or one unit.
    static func run(units: Int, workers: Int, _ body: @Sendable (Range<Int>) -> Void) {
        run(units: units, workers: workers, scratch: {}, body: { range, _ in body(range) })
    }

    /// The units a worker claims at a time: about eight claims per worker, so a worker that
    /// starts late or runs on a slower core leaves its share to the others.
    static func chunk(units: Int, workers: Int) -> Int {
        Swift.max(1, units / (workers * 8))
    }

    /// `run(units:workers:_:)` with a scratch made once per worker (`makeScratch`) and freed when
    /// the worker is done; nothing is allocated per unit. Workers claim consecutive chunks of
    /// units from a shared counter until none is left (`body` is called once per chunk); which
    /// worker ran a unit never matters, as every unit writes only its own results.
    static func run<Scratch: ~Copyable>(
        units: Int, workers: Int, scratch makeScratch: @Sendable () -> Scratch,
        body: @Sendable (Range<Int>, inout Scratch) -> Void
    ) {
        if workers <= 1 || units <= 1 {
            var scratch = makeScratch()
            body(0..<units, &scratch)
            return
        }
        let chunk = chunk(units: units, workers: workers)
        let next = Atomic<Int>(0)
        let worker: @Sendable (Int) -> Void = { _ in
            var scratch = makeScratch()
            while true {
                let start = next.wrappingAdd(chunk, ordering: .relaxed).oldValue
                if start >= units { return }
                body(start..<Swift.min(units, start + chunk), &scratch)
            }
        }
        if WorkerPool.shared?.run(workers: workers, worker) == true { return }
        WorkerPool.runOnNewThreads(workers: workers, worker)
    }

    /// Runs `body` over the units of `tiling`, with `threads` workers at most (see
    /// `workerCount`) and one scratch per worker.
    static func run<Scratch: ~Copyable>(
        _ tiling: Tiling, threads: Int?, parallelMinimum: Int, scratch makeScratch: @Sendable () -> Scratch,
        body: @Sendable (Range<Int>, inout Scratch) -> Void
    ) {
        let workers = workerCount(
            requested: threads, elements: tiling.rows * tiling.columns, units: tiling.units,
            parallelMinimum: parallelMinimum)
        run(units: tiling.units, workers: workers, scratch: makeScratch, body: body)
    }
}
