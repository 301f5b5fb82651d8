import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// The threads behind `Scheduler.run`: the calling thread plus `cores - 1` helper threads that
// the library starts on its first parallel call and keeps. Between calls a helper spins on an
// atomic counter for a short while (`spinLimit` loads) before it blocks on a condition variable,
// so back-to-back calls (a training loop, a benchmark) find it awake. Measured on the 2-core test
// VM: `[256, 1024]` took 437 µs with two threads woken from sleep (Dispatch's) against 557 µs with
// one; with the spinning helper, 334 µs.
//
// A call posts a job and runs worker 0 itself; helpers join the job only while it is open, and
// the caller closes it once every work unit is claimed (by then there is nothing left to join
// for), then waits only for the helpers that joined. So a helper that is asleep, descheduled or
// confined to the caller's core never holds up a call. One call uses the pool at a time: a call
// that finds it busy (another thread sampling at the same moment, or a call from inside a
// worker), asks for another thread count than the pool's, runs in a child process after `fork`
// (whose helpers do not exist), or finds the pool short of helpers that could not start, starts
// threads of its own for the call (`runOnNewThreads`). A thread that cannot start (no memory for
// its stack under an address-space limit, a thread limit) is simply missing and its work falls to
// the threads that did start, the caller at least: a call never waits or retries for a thread.
// Which thread runs which unit never changes a result (Scheduler.swift). Every thread the library
// starts is created with all signals blocked and keeps them blocked, so the application's signal
// handlers run only on its own threads.

final class WorkerPool: @unchecked Sendable {
    /// The pool of this process: `cores - 1` helpers, or nil on one core.
    static let shared: WorkerPool? = {
        let helpers = Scheduler.defaultThreadCount - 1
        if helpers < 1 { return nil }
        return WorkerPool(helpers: helpers)
    }()

    /// Set in a child process after `fork`: the helpers are the parent's.
    static let forked = Atomic<Bool>(false)

    /// Atomic loads an idle helper makes (tens of microseconds) before it sleeps.
    static let spinLimit = 50_000

    /// The helper threads running.
    private(set) var helpers = 0
    /// Bumped (sequentially consistent) to post a job; helpers look at each generation once.
    private let generation = Atomic<Int>(0)
    /// The open job: `generation << 17 | closed << 16 | helpers joined`.
    private let ticket = Atomic<Int>(0)
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

    private static let closed = 1 << 16
    private static let joinedMask = (1 << 16) - 1

    private init(helpers count: Int) {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        pthread_atfork(nil, nil) { WorkerPool.forked.store(true, ordering: .relaxed) }
        for _ in 0..<Swift.min(count, Self.joinedMask) {
            let context = Unmanaged.passRetained(Helper(pool: self, index: helpers + 1)).toOpaque()
            let thread = Self.startThread(context) { context in
                let helper = Unmanaged<Helper>.fromOpaque(context!).takeRetainedValue()
                helper.pool.serve(index: helper.index)
                return nil
            }
            if let thread {
                pthread_detach(thread)
                helpers += 1
            } else {
                Unmanaged<Helper>.fromOpaque(context).release()
            }
        }
    }

    /// Starts a thread running `entry(context)` with every signal blocked from its first
    /// instruction (a thread inherits its creator's mask), or returns nil when it cannot start.
    /// The corresponding C function is `pthread_create`.
    private static func startThread(
        _ context: UnsafeMutableRawPointer,
        _ entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
    ) -> pthread_t? {
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        var thread = pthread_t()
        return pthread_create(&thread, nil, entry, context) == 0 ? thread : nil
    }

    /// One thread of `runOnNewThreads`: its worker number and the call's body.
    private final class CallWorker {
        let index: Int
        let body: @Sendable (Int) -> Void
        init(index: Int, body: @escaping @Sendable (Int) -> Void) {
            self.index = index
            self.body = body
        }
    }

    /// Runs `body(worker)` on the calling thread (worker 0) and on up to `workers - 1` threads
    /// started for this call, then waits for them; for the calls the pool cannot take. `body`
    /// must take work from a shared counter: a thread that cannot start is skipped, and the
    /// threads that did start (the caller at least) do its share, with the same results.
    static func runOnNewThreads(workers: Int, _ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            withUnsafeTemporaryAllocation(of: pthread_t.self, capacity: Swift.max(1, workers - 1)) { threads in
                var started = 0
                for index in 1..<Swift.max(1, workers) {
                    let context = Unmanaged.passRetained(CallWorker(index: index, body: body)).toOpaque()
                    let thread = startThread(context) { context in
                        let worker = Unmanaged<CallWorker>.fromOpaque(context!).takeRetainedValue()
                        worker.body(worker.index)
                        return nil
                    }
                    guard let thread else {
                        Unmanaged<CallWorker>.fromOpaque(context).release()
                        break
                    }
                    threads[started] = thread
                    started += 1
                }
                body(0)
                for thread in threads.prefix(started) { pthread_join(thread, nil) }
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

    /// A helper's loop: wait for a generation, join its job if still open, run it, report.
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
                    spins = 0
                }
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            if join(generation: seen) {
                job?(index)
                finished.wrappingAdd(1, ordering: .releasing)
            }
        }
    }

    /// Joins the job of `generation` if it is still open.
    private func join(generation: Int) -> Bool {
        var current = ticket.load(ordering: .sequentiallyConsistent)
        while current >> 17 == generation && current & Self.closed == 0 {
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .sequentiallyConsistent)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Runs `body(worker)` on the calling thread (worker 0) and on every helper that joins in
    /// time (workers 1 ..< `workers`); `body` must take work from a shared counter, so that the
    /// caller alone finishes it if no helper joins. False (and nothing run) when the pool cannot
    /// take the call.
    func run(workers: Int, _ body: @Sendable (Int) -> Void) -> Bool {
        if workers != helpers + 1 || Self.forked.load(ordering: .relaxed) { return false }
        if !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            finished.store(0, ordering: .relaxed)
            let next = generation.load(ordering: .relaxed) + 1
            ticket.store(next << 17, ordering: .sequentiallyConsistent)
            generation.store(next, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            body(0)
            // Every unit is claimed: close the job, then wait for the helpers that joined it.
            let joined = ticket.bitwiseOr(Self.closed, ordering: .sequentiallyConsistent).oldValue & Self.joinedMask
            var spins = 0
            while finished.load(ordering: .acquiring) < joined {
                spins += 1
                if spins >= 1000 { sched_yield() }
            }
            job = nil
        }
        return true
    }
}
