import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The threads behind `Scheduler.run`: the calling thread plus `cores - 1` helper threads that
// the library starts on its first parallel call and keeps. Between calls a helper spins on an
// atomic counter for a short while (`spinLimit`, about 0.1 ms) before it blocks on a condition
// variable, so back-to-back calls (a training loop, a benchmark) find it awake. Measured on the
// 2-core test VM: a helper woken from sleep, as `DispatchQueue.concurrentPerform`'s are, joined a
// call 0.1 to 0.3 ms late, which cost 5 to 25% of a 10^6-element sample with both cores.
//
// One call uses the pool at a time, with every helper: a call that finds it busy (another thread
// sampling at the same moment, or a call from inside a worker), asks for another thread count
// than the pool's, or runs in a child process after `fork` (whose helpers do not exist) uses
// `concurrentPerform` instead. Every helper reports each job before the next is posted, so a
// helper never sees two jobs overlap.
// Which thread runs which unit never changes a result (Scheduler.swift).

final class WorkerPool: @unchecked Sendable {
    /// The pool of this process: `cores - 1` helpers, or nil on one core.
    static let shared: WorkerPool? = {
        let helpers = Scheduler.defaultThreadCount - 1
        if helpers < 1 { return nil }
        return WorkerPool(helpers: helpers)
    }()

    /// Set in a child process after `fork`: the helpers are the parent's.
    static let forked = Atomic<Bool>(false)

    /// Spins of an idle helper (an atomic load each, about 0.1 ms in all) before it sleeps.
    static let spinLimit = 50_000

    /// The helper threads running.
    private(set) var helpers = 0
    /// Bumped (sequentially consistent) to post a job; helpers run each generation once.
    private let generation = Atomic<Int>(0)
    /// Helpers done with the current job.
    private let finished = Atomic<Int>(0)
    /// Helpers that are asleep or about to sleep on `condition`.
    private let sleepers = Atomic<Int>(0)
    /// True while a call owns the pool.
    private let busy = Atomic<Bool>(false)
    /// The current job, written before `generation` is bumped and read after it is seen.
    private var job: (@Sendable (Int) -> Void)?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    private init(helpers count: Int) {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        pthread_atfork(nil, nil) { WorkerPool.forked.store(true, ordering: .relaxed) }
        for index in 1...count {
            let context = Unmanaged.passRetained(Helper(pool: self, index: index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { context in
                    let helper = Unmanaged<Helper>.fromOpaque(context!).takeRetainedValue()
                    helper.pool.serve(index: helper.index)
                    return nil
                }, context)
            if status == 0 {
                pthread_detach(thread)
                helpers += 1
            } else {
                Unmanaged<Helper>.fromOpaque(context).release()
            }
        }
    }

    /// What a new helper thread needs to know.
    private final class Helper {
        let pool: WorkerPool
        let index: Int
        init(pool: WorkerPool, index: Int) {
            self.pool = pool
            self.index = index
        }
    }

    /// A helper's loop: wait for a generation, run the job, report, repeat.
    private func serve(index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                spins += 1
                if spins >= Self.spinLimit {
                    sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_lock(mutex)
                    while generation.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(condition, mutex)
                    }
                    pthread_mutex_unlock(mutex)
                    sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                }
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            job?(index)
            finished.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Runs `body(worker)` for `worker` in `0 ..< workers`, worker 0 on the calling thread and
    /// the others on the helpers; false (and nothing run) when the pool cannot take the call.
    func run(workers: Int, _ body: @Sendable (Int) -> Void) -> Bool {
        if workers != helpers + 1 || Self.forked.load(ordering: .relaxed) { return false }
        if !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            finished.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            body(0)
            while finished.load(ordering: .acquiring) < helpers {}
            job = nil
        }
        return true
    }
}
