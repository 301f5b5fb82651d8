// The Concrete log-density on the scheduler: one row to a work unit, the row's arithmetic in
// `ConcreteDistribution.rowLogDensity`. The public API is ConcreteDistribution.swift.

/// One log-density pass over validated buffers; row `b` reads row `b` of the inputs and writes
/// `result[b]` only. Workers share it through the scheduler (the pointer idiom of Scheduler.swift).
/// `Scalar` is the type of the inputs (Float or Double); the arithmetic is in Double either way.
struct DensityJob<Scalar: BinaryFloatingPoint & Sendable>: @unchecked Sendable {
    let logits: UnsafePointer<Scalar>
    let temperatures: UnsafePointer<Scalar>
    let point: UnsafePointer<Scalar>
    let result: UnsafeMutablePointer<Double>
    let columns: Int
    let space: ConcreteDistribution.Space

    /// One row to a work unit; each worker holds one row of doubles.
    func run(rows: Int, threads: Int?) {
        let workers = Scheduler.workerCount(requested: threads, elements: rows * columns, units: rows)
        Scheduler.run(
            units: rows, workers: workers, scratch: { KernelBuffer<Double>(capacity: columns) },
            body: { range, scratch in
                for row in range {
                    result[row] = ConcreteDistribution.rowLogDensity(
                        logits: logits + row * columns, point: point + row * columns, count: columns,
                        temperature: Double(temperatures[row]), space: space, scratch: scratch.base)
                }
            })
    }
}
