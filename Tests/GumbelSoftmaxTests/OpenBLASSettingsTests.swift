import COpenBLAS
import Foundation
import Synchronization
import Testing

@_spi(Benchmarks) @testable import GumbelSoftmax

/// Shapes that reach every CBLAS call: long soft rows (`sscal` over runs of tiles), the saxpy
/// add-noise path, and gradients of long rows (`sdot`, `sscal`).
private func everyBLASPath(threads: Int?) throws -> [UInt32] {
    let (rows, columns) = (3, 70_000)
    let logits = testLogits(count: rows * columns, seed: 77, scale: 0.01)
    var bits: [UInt32] = []
    let soft = try GumbelSoftmax.sample(
        logits: logits, rows: rows, columns: columns, temperature: 3, seed: 5, threads: threads)
    bits += soft.map(\.bitPattern)
    var configuration = KernelConfiguration()
    configuration.blasAddNoiseMinimum = 1
    configuration.blasScaleMinimum = 1
    try logits.withUnsafeBufferPointer { l in
        var out = [Float](repeating: 0, count: logits.count)
        try out.withUnsafeMutableBufferPointer { o in
            var generator = PhiloxGenerator(seed: 6)
            try GumbelSoftmax.sample(
                logits: l, rows: rows, columns: columns, temperature: 0.5, output: .soft, into: o,
                using: &generator, threads: threads, configuration: configuration)
        }
        bits += out.map(\.bitPattern)
    }
    let upstream = testLogits(count: rows * columns, seed: 78)
    let gradient = try GumbelSoftmax.backward(
        output: soft, upstream: upstream, rows: rows, columns: columns, temperature: 3, threads: threads)
    bits += gradient.logits.map(\.bitPattern) + gradient.temperature.map(\.bitPattern)
    return bits
}

/// The library never touches OpenBLAS's process-wide settings, and no result depends on them.
/// Serialized: the second test sets OpenBLAS's thread count (and restores it).
@Suite("OpenBLAS's process settings are left alone", .serialized)
struct OpenBLASSettingsTests {
    @Test func concurrentCallerSeesItsThreadCountUnchanged() throws {
        let saved = openblas_get_num_threads()
        openblas_set_num_threads(3)
        defer { openblas_set_num_threads(saved) }
        let expected = openblas_get_num_threads()
        let done = Atomic<Bool>(false)
        let changes = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let watcher = Thread {
            while !done.load(ordering: .acquiring) {
                if openblas_get_num_threads() != expected { changes.add(1, ordering: .relaxed) }
                reads.add(1, ordering: .relaxed)
            }
        }
        watcher.start()
        for threads in [nil, 1, 2, 4] { _ = try everyBLASPath(threads: threads) }
        done.store(true, ordering: .releasing)
        while !watcher.isFinished { usleep(1000) }
        #expect(changes.load(ordering: .relaxed) == 0)
        #expect(reads.load(ordering: .relaxed) > 0)
        #expect(openblas_get_num_threads() == expected)
    }

    @Test func resultsAreIdenticalForAnyOpenBLASThreadCount() throws {
        let saved = openblas_get_num_threads()
        defer { openblas_set_num_threads(saved) }
        var results: [[UInt32]] = []
        for count: Int32 in [1, 2, 4] {
            openblas_set_num_threads(count)
            results.append(try everyBLASPath(threads: 2))
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
    }
}
