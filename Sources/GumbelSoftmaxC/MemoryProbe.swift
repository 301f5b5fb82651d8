import CGumbelSoftmaxABI
@_spi(Kernel) import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

/// Memory the library will allocate for a call, checked before the call: the library allocates
/// with Swift's `allocate` and `Array`, which trap when `malloc` fails, so this maps the same
/// number of bytes first, as `malloc` does for a large block (private, anonymous, read-write: the
/// address-space limit and the kernel's overcommit check both apply), and refuses with
/// `GS_OUT_OF_MEMORY` if it cannot have them. (A `malloc` and `free` pair whose result is unused
/// may be removed by the optimiser, so the probe calls `mmap` itself.)
enum MemoryProbe {
    /// Refuses with `GS_OUT_OF_MEMORY` unless `bytes` (nil: more than an `Int` holds) can be mapped.
    static func reserve(_ bytes: Int?, for what: @autoclosure () -> String) throws(CallError) {
        if let bytes {
            guard bytes > 0 else { return }
            let probe = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let probe, probe != MAP_FAILED {
                munmap(probe, bytes)
                return
            }
        }
        let size = bytes.map { "\($0) bytes" } ?? "more bytes than the address space holds"
        throw CallError(GS_OUT_OF_MEMORY, "out of memory: \(what()) needs \(size) of scratch")
    }

    /// `a * b + c` bytes, or nil on overflow.
    static func bytes(_ a: Int, times b: Int, plus c: Int = 0) -> Int? {
        let (product, o1) = a.multipliedReportingOverflow(by: b)
        let (sum, o2) = product.addingReportingOverflow(c)
        return o1 || o2 ? nil : sum
    }

    /// Top-k's scratch (`TopKSelection.scratchBytes`, which sizes it next to its allocations).
    static func topK<Scalar>(of scalar: Scalar.Type, rows: Int, columns: Int, k: Int) throws(CallError) {
        // Shapes and k the library refuses are left to its own messages.
        guard rows > 0, columns > 0, k >= 1, k <= columns else { return }
        try reserve(
            TopKSelection.scratchBytes(of: scalar, rows: rows, columns: columns, k: k),
            for: "top-k of [\(rows), \(columns)] with k = \(k)")
    }

    /// ConcreteDistribution copies the logits and temperatures into arrays, and each worker
    /// holds one row of doubles.
    static func density(rows: Int, columns: Int) throws(CallError) {
        guard rows > 0, columns > 0 else { return }
        let needed = bytes(rows, times: columns, plus: rows).flatMap { floats in
            bytes(columns, times: MemoryLayout<Double>.stride).flatMap { row in
                bytes(floats, times: MemoryLayout<Float>.stride, plus: row)
            }
        }
        try reserve(needed, for: "the log-density of [\(rows), \(columns)]")
    }
}
