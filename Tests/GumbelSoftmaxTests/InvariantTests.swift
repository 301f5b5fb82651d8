import Foundation
import Synchronization
import Testing

@_spi(Benchmarks) @testable import GumbelSoftmax

/// The reproducibility promises of SPEC 3, on shapes that exercise every kernel path: grouped short
/// rows (rows of 16: sixteen at a time with AVX-512, `SixteenRows`, the last three alone),
/// single-segment long rows and multi-segment long rows (segments in parallel, and whole rows
/// per worker when there are at least four rows per worker: `[9, 40000]` with one or two threads).
@Suite("Invariants")
struct InvariantTests {
    static let shapes: [(rows: Int, columns: Int)] = [
        (37, 1), (50, 3), (33, 17), (35, 16), (9, 2048), (5, 2049), (4, 5000),
        (3, 32768), (2, 32769), (2, 70001), (9, 40000),
    ]

    /// A temperature of the general form (0.7) and both of the power form (0.5 and 1).
    static let temperatures: [Float] = [0.7, 0.5, 1]

    @Test(arguments: 0..<shapes.count)
    func batchEqualsRowsOneByOne(shapeIndex: Int) throws {
        let (rows, columns) = Self.shapes[shapeIndex]
        let logits = testLogits(count: rows * columns, seed: 5)
        for output in GumbelSoftmax.Output.allCases {
            for temperature in Self.temperatures {
                let batch = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, seed: 11,
                    stream: 2, position: 1 << 33 - 5)
                for row in 0..<rows {
                    let alone = try GumbelSoftmax.sample(
                        logits: Array(logits[row * columns..<(row + 1) * columns]), temperature: temperature,
                        output: output, seed: 11, stream: 2, position: 1 << 33 - 5 + UInt64(row * columns), threads: 1)
                    #expect(
                        alone == Array(batch[row * columns..<(row + 1) * columns]),
                        "row \(row) of \(output) at T \(temperature)")
                }
            }
        }
    }

    @Test(arguments: 0..<shapes.count)
    func anyThreadCountGivesTheSameBits(shapeIndex: Int) throws {
        let (rows, columns) = Self.shapes[shapeIndex]
        let logits = testLogits(count: rows * columns, seed: 6)
        // Every batch in parallel, however small.
        var configuration = KernelConfiguration()
        configuration.parallelMinimum = 0
        func sample(
            _ output: GumbelSoftmax.Output, temperature: Float, threads: Int, prefetching: Bool = false
        ) throws -> [Float] {
            var result = [Float](repeating: 0, count: logits.count)
            var generator = PhiloxGenerator(seed: 3)
            var configuration = configuration
            if prefetching { configuration.streamingMinimum = 0 }
            try logits.withUnsafeBufferPointer { l in
                try result.withUnsafeMutableBufferPointer { o in
                    try GumbelSoftmax.sample(
                        logits: l, rows: rows, columns: columns, temperature: temperature, output: output, into: o,
                        using: &generator, threads: threads, configuration: configuration)
                }
            }
            return result
        }
        for output in GumbelSoftmax.Output.allCases {
            for temperature: Float in [0.3, 0.5, 1] {
                let one = try sample(output, temperature: temperature, threads: 1)
                let plain = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, seed: 3,
                    threads: 1)
                #expect(plain.map(\.bitPattern) == one.map(\.bitPattern))
                for threads in [2, 3, 8] {
                    let many = try sample(output, temperature: temperature, threads: threads)
                    #expect(
                        many.map(\.bitPattern) == one.map(\.bitPattern),
                        "\(output) at T \(temperature) with \(threads) threads")
                }
                // The first passes' prefetches of a batch larger than the cache change nothing.
                for threads in [1, 3] {
                    let prefetched = try sample(output, temperature: temperature, threads: threads, prefetching: true)
                    #expect(
                        prefetched.map(\.bitPattern) == one.map(\.bitPattern),
                        "\(output) at T \(temperature) with \(threads) threads, prefetching")
                }
            }
        }
        let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, seed: 3, threads: 1)
        #expect(
            try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, seed: 3, threads: 4) == indices)
    }

    /// Rows of several segments take both schedules (Kernel/SegmentedRows.swift): whole rows per
    /// worker with one worker or at least four rows per worker, else segments in parallel; the
    /// shapes of these tests and of ErrorTests.firstBadRowWins run both.
    @Test func longRowsTakeBothSchedules() {
        let nine = Tiling(rows: 9, columns: 40000)
        #expect(SamplingKernel.takesWholeRows(nine, workers: 1))
        #expect(SamplingKernel.takesWholeRows(nine, workers: 2))
        #expect(!SamplingKernel.takesWholeRows(nine, workers: 3))
        #expect(!SamplingKernel.takesWholeRows(nine, workers: 8))
        let twelve = Tiling(rows: 12, columns: 70000)
        #expect(SamplingKernel.takesWholeRows(twelve, workers: 2))
        #expect(!SamplingKernel.takesWholeRows(twelve, workers: 4))
        #expect(!SamplingKernel.takesWholeRows(Tiling(rows: 2, columns: 70001), workers: 2))
        #expect(!SamplingKernel.takesWholeRows(Tiling(rows: 9, columns: 32768), workers: 1))
    }

    /// Calls from several threads at once (one gets the worker pool, the others fall back to
    /// Dispatch) and calls made back to back all give the single-threaded bits.
    @Test func concurrentAndRepeatedCallsGiveTheSameBits() throws {
        let (rows, columns) = (64, 4096)
        let logits = testLogits(count: rows * columns, seed: 13)
        let reference = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: 0.5, seed: 21, threads: 1)
        let results = Mutex([[Float]]())
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<5 {
                let y = try? GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: 0.5, seed: 21)
                results.withLock { $0.append(y ?? []) }
            }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 20)
        #expect(all.allSatisfy { $0.map(\.bitPattern) == reference.map(\.bitPattern) })
    }

    /// Rows shorter than one bulk vector read and write a row's last partial vector whole only
    /// inside their group: nothing past the caller's output changes, for any K, form and threads.
    @Test(arguments: [1, 2, 3, 5, 7, 10, 13, 31], [1, 2])
    func shortRowsWriteNothingPastTheOutput(columns: Int, threads: Int) throws {
        let rows = 4099
        let count = rows * columns
        let logits = testLogits(count: count, seed: 21)
        for temperature: Float in [0.5, 0.7, 1] {
            var buffer = [Float](repeating: .nan, count: count + 16)
            var generator = PhiloxGenerator(seed: 5)
            try logits.withUnsafeBufferPointer { l in
                try buffer.withUnsafeMutableBufferPointer { b in
                    try GumbelSoftmax.sample(
                        logits: l, rows: rows, columns: columns, temperature: temperature,
                        into: UnsafeMutableBufferPointer(rebasing: b[0..<count]), using: &generator, threads: threads)
                }
            }
            let untouched = buffer[count...].allSatisfy { $0.isNaN }
            let written = buffer[..<count].allSatisfy { $0.isFinite }
            #expect(untouched)
            #expect(written)
        }
        // Per-row temperatures that mix the power form (0.5, 1) and the general form (0.7, 2) in
        // one group, in every output form.
        let temperatures = (0..<rows).map { [Float(0.5), 0.7, 1, 2][$0 % 4] }
        for output: GumbelSoftmax.Output in [.soft, .log, .hard] {
            var buffer = [Float](repeating: .nan, count: count + 16)
            var generator = PhiloxGenerator(seed: 6)
            try logits.withUnsafeBufferPointer { l in
                try temperatures.withUnsafeBufferPointer { t in
                    try buffer.withUnsafeMutableBufferPointer { b in
                        try GumbelSoftmax.sample(
                            logits: l, rows: rows, columns: columns, temperatures: t, output: output,
                            into: UnsafeMutableBufferPointer(rebasing: b[0..<count]), using: &generator,
                            threads: threads)
                    }
                }
            }
            let untouched = buffer[count...].allSatisfy { $0.isNaN }
            let written = buffer[..<count].allSatisfy { !$0.isNaN }
            #expect(untouched, "\(output)")
            #expect(written, "\(output)")
        }
    }

    /// The CBLAS add-noise path (saxpy) and the fused loop give identical bits.
    @Test func blasAndFusedPathsAgree() throws {
        let logits = testLogits(count: 4 * 9000, seed: 8)
        let fused = try GumbelSoftmax.sample(logits: logits, rows: 4, columns: 9000, temperature: 0.5, seed: 1)
        func sample(_ configuration: KernelConfiguration) throws -> [Float] {
            var result = [Float](repeating: 0, count: logits.count)
            var generator = PhiloxGenerator(seed: 1)
            try logits.withUnsafeBufferPointer { l in
                try result.withUnsafeMutableBufferPointer { o in
                    try GumbelSoftmax.sample(
                        logits: l, rows: 4, columns: 9000, temperature: 0.5, into: o, using: &generator,
                        configuration: configuration)
                }
            }
            return result
        }
        var configuration = KernelConfiguration()
        configuration.blasAddNoiseMinimum = 1
        configuration.blasScaleMinimum = Int.max
        let blasAdd = try sample(configuration)
        #expect(blasAdd.map(\.bitPattern) == fused.map(\.bitPattern))
        configuration.blasScaleMinimum = 1
        let blasScale = try sample(configuration)
        // sscal may use FMA-free multiplies like ours: a single rounding either way.
        #expect(blasScale.map(\.bitPattern) == fused.map(\.bitPattern))
    }

    @Test func statefulDrawsConcatenate() throws {
        let logits = testLogits(count: 6 * 40, seed: 9)
        var generator = PhiloxGenerator(seed: 77, stream: 1, position: 3)
        let first = try GumbelSoftmax.sample(logits: logits, rows: 6, columns: 40, temperature: 1, using: &generator)
        #expect(generator.position == 3 + 240)
        let second = try GumbelSoftmax.sample(logits: logits, rows: 6, columns: 40, temperature: 1, using: &generator)
        let once = try GumbelSoftmax.sample(
            logits: logits + logits, rows: 12, columns: 40, temperature: 1, seed: 77, stream: 1, position: 3)
        #expect(first + second == once)
        #expect(first != second)
    }

    /// Every path against the float64 reference of SPEC 3, with masked entries.
    @Test(arguments: 0..<shapes.count, [Float(0.4), 0.5, 1])
    func matchesFloat64Reference(shapeIndex: Int, temperature: Float) throws {
        let (rows, columns) = Self.shapes[shapeIndex]
        var logits = testLogits(count: rows * columns, seed: 10, scale: 4)
        for i in stride(from: 0, to: logits.count, by: 7) where columns > 1 && i % columns != 0 {
            logits[i] = -.infinity
        }
        let generator = PhiloxGenerator(seed: 123, stream: 4, position: 99)
        let reference = Reference.sample(
            logits: logits, rows: rows, columns: columns,
            temperatures: Array(repeating: Double(temperature), count: rows), generator: generator)
        var g1 = generator
        var g2 = generator
        var g3 = generator
        let soft = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, using: &g1)
        let log = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: .log, using: &g2)
        let hard = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: temperature, output: .hard, using: &g3)
        var g4 = generator
        let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, using: &g4)
        for b in 0..<rows {
            var sum: Double = 0
            var worst = 0.0
            for k in 0..<columns {
                let i = b * columns + k
                sum += Double(soft[i])
                if logits[i] == -.infinity {
                    #expect(soft[i] == 0 && log[i] == -.infinity, "masked element \(i)")
                    continue
                }
                worst = Swift.max(worst, Swift.abs(Double(soft[i]) - reference.soft[i]))
                let tol = Reference.logTolerance(expected: reference.log[i], zmax: reference.zmax[b])
                if Swift.abs(Double(log[i]) - reference.log[i]) > tol {
                    Issue.record("log[\(i)] = \(log[i]), expected \(reference.log[i])")
                }
            }
            #expect(worst <= Reference.softTolerance(zmax: reference.zmax[b]), "row \(b) soft error \(worst)")
            #expect(Swift.abs(sum - 1) <= 1e-5, "row \(b) sums to \(sum)")
            let row = Array(reference.z[b * columns..<(b + 1) * columns])
            let expectedIndex = row.firstIndex(of: row.max()!)!
            #expect(indices[b] == expectedIndex)
            #expect(hard[b * columns + expectedIndex] == 1)
            #expect(hard[b * columns..<(b + 1) * columns].reduce(0, +) == 1)
        }
    }

    @Test func extremeTemperatureAndLogitsStayFinite() throws {
        let logits: [Float] = [1000, 1001, 999, -1000, 1000.5, 0]
        for t: Float in [0.05, 1e-30, Float.leastNonzeroMagnitude, 1e30] {
            let soft = try GumbelSoftmax.sample(logits: logits, rows: 1, columns: 6, temperature: t, seed: 4)
            let log = try GumbelSoftmax.sample(
                logits: logits, rows: 1, columns: 6, temperature: t, output: .log, seed: 4)
            #expect(soft.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "T = \(t): \(soft)")
            #expect(Swift.abs(soft.reduce(0, +) - 1) <= 1e-5)
            #expect(log.allSatisfy { !$0.isNaN && $0 <= 0 }, "T = \(t): \(log)")
            if t == 0.05 { #expect(log.allSatisfy { $0.isFinite }) }
        }
        let hot = try GumbelSoftmax.sample(logits: logits, rows: 1, columns: 6, temperature: 1e-30, seed: 4)
        #expect(hot.filter { $0 == 1 }.count == 1)
    }

    @Test func degenerateGeneratorWordsStayFinite() throws {
        struct Constant: CounterBasedRandomGenerator {
            var word: UInt32
            var position: UInt64 = 0
            static var uniformMapping: UniformMapping { .centered }
            mutating func next() -> UInt64 { UInt64(word) | UInt64(word) << 32 }
            func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>) {
                buffer.initialize(repeating: word)
            }
            func tailWord(at position: UInt64) -> UInt32 { word }
        }
        let logits = testLogits(count: 3 * 50, seed: 12)
        // The outermost words of both bands (noise -3.8 and 45.06: `1 / E` from 0.022 to 2^65), at
        // temperatures of both forms, rows shorter and longer than a bulk vector: identical noise
        // everywhere, so the soft sample is softmax(logits / T).
        for word: UInt32 in [0, .max] {
            for temperature: Float in [0.5, 1, 0.7] {
                for columns in [10, 50] {
                    var generator = Constant(word: word)
                    let y = try GumbelSoftmax.sample(
                        logits: Array(logits[0..<3 * columns]), rows: 3, columns: columns, temperature: temperature,
                        using: &generator)
                    #expect(generator.position == UInt64(3 * columns))
                    for b in 0..<3 {
                        let z = logits[b * columns..<(b + 1) * columns].map { Double($0) / Double(temperature) }
                        let m = z.max()!
                        let s = z.reduce(0) { $0 + Foundation.exp($1 - m) }
                        for k in 0..<columns {
                            let expected = Foundation.exp(z[k] - m) / s
                            #expect(
                                Swift.abs(Double(y[b * columns + k]) - expected) <= 2e-5,
                                "word \(word) T \(temperature) [\(b), \(k)]: \(y[b * columns + k]) vs \(expected)")
                        }
                    }
                }
            }
            var generator = Constant(word: word)
            let y = try GumbelSoftmax.sample(logits: logits, rows: 3, columns: 50, temperature: 0.5, using: &generator)
            #expect(y.allSatisfy { $0.isFinite })
            #expect(generator.position == 150)
            // Identical noise everywhere: the sample is softmax(logits / T), ties broken by index.
            var g = Constant(word: word)
            let index = try GumbelSoftmax.categorical(logits: Array(logits[0..<50]), using: &g)
            #expect(index == logits[0..<50].firstIndex(of: logits[0..<50].max()!)!)
        }
    }

    /// A row whose largest term is a band word's: near `U = 1`, `(c / E)^2` reaches `2^122`, so at
    /// temperature 0.5 an element 44 below the largest logit still carries most of the weight,
    /// though `exp((l - L) 2)` alone is below Float's range. Short rows (K < 32 and K >= 32) and a
    /// row of two segments, at both power-form temperatures and a general one.
    @Test func bandTermsThatWouldUnderflowTheReference() throws {
        for columns in [2, 40, 40_000] {
            // U = 1 - 2^-65 (E = 2^-65) at the last column, logit -44; elsewhere U = 2^-16 + 2^-33
            // (E = 11.09), logit 0 (or, in the two-column row, U = 1/2).
            var words = [UInt32](repeating: columns == 2 ? 1 << 31 : 1 << 16, count: columns)
            words[columns - 1] = .max
            var logits = [Float](repeating: 0, count: columns)
            logits[columns - 1] = -44
            for temperature: Float in [0.5, 1, 0.7] {
                var generator = ScriptedWords(words: words)
                let y = try GumbelSoftmax.sample(
                    logits: logits, rows: 1, columns: columns, temperature: temperature, using: &generator)
                let z = (0..<columns).map {
                    (Double(logits[$0]) - Foundation.log(Reference.exponential(words[$0], tail: .max)))
                        / Double(temperature)
                }
                let m = z.max()!
                let s = z.reduce(0) { $0 + Foundation.exp($1 - m) }
                let zmax = z.map { Swift.abs($0) }.max()!
                var worst = 0.0
                for k in 0..<columns {
                    worst = Swift.max(worst, Swift.abs(Double(y[k]) - Foundation.exp(z[k] - m) / s))
                }
                #expect(
                    worst <= Reference.softTolerance(zmax: zmax),
                    "K \(columns) T \(temperature): last \(y[columns - 1]), expected \(Foundation.exp(z[columns - 1] - m) / s)"
                )
            }
        }
    }

    /// Rows of 16 in blocks of sixteen (`SixteenRows`) whose band words raise the reference above
    /// the row's largest logit: every row of a `[40, 16]` batch has the bits it gets alone (one
    /// row, the row loop), at both power-form temperatures and a general one.
    @Test func bandWordsRaiseTheReferenceInBlocksOfSixteen() throws {
        let (rows, columns) = (40, 16)
        var words = testWords(count: rows * columns, seed: 21).map { UInt32(truncatingIfNeeded: $0) | 1 << 12 }
        var logits = testLogits(count: rows * columns, seed: 22)
        // U = 1 - 2^-65 (a band word, E = 2^-65) at logit -40 in every third row: its reference
        // `l + ln(c / E)` is about 5, above the row's largest logit (below 3).
        for row in stride(from: 0, to: rows, by: 3) {
            words[row * columns + row % columns] = .max
            logits[row * columns + row % columns] = -40
        }
        for temperature: Float in [0.5, 1, 0.7] {
            var generator = ScriptedWords(words: words)
            let batch = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, using: &generator)
            for row in 0..<rows {
                var alone = ScriptedWords(words: Array(words[row * columns..<(row + 1) * columns]))
                let y = try GumbelSoftmax.sample(
                    logits: Array(logits[row * columns..<(row + 1) * columns]), temperature: temperature,
                    using: &alone)
                #expect(
                    y.map(\.bitPattern) == batch[row * columns..<(row + 1) * columns].map(\.bitPattern),
                    "row \(row) at T \(temperature)")
            }
        }
    }

    @Test func randomNumberGeneratorConformance() {
        var generator = PhiloxGenerator(seed: 5, stream: 6, position: 10)
        let value = generator.next()
        #expect(generator.position == 12)
        let words = PhiloxGenerator(seed: 5, stream: 6).words(startingAt: 10, count: 2)
        #expect(value == UInt64(words[0]) | UInt64(words[1]) << 32)
        var a = PhiloxGenerator(seed: 1)
        var b = PhiloxGenerator(seed: 1)
        #expect(Int.random(in: 0..<1000, using: &a) == Int.random(in: 0..<1000, using: &b))
        #expect(
            PhiloxGenerator(seed: 1).words(startingAt: 0, count: 8)
                != PhiloxGenerator(seed: 1, stream: 1).words(startingAt: 0, count: 8))
    }

    @Test func noiseIsIndependentOfChunkingAndThreads() throws {
        var configuration = KernelConfiguration()
        configuration.parallelMinimum = 0
        var generator = PhiloxGenerator(seed: 8, position: 3)
        var whole = [Float](repeating: 0, count: 10_001)
        try whole.withUnsafeMutableBufferPointer { (buffer) throws(GumbelSoftmaxError) in
            try GumbelNoise.fill(buffer, using: &generator, threads: 3, configuration: configuration)
        }
        #expect(generator.position == 10_004)
        var pieces = PhiloxGenerator(seed: 8, position: 3)
        let a = try GumbelNoise.sample(count: 4097, using: &pieces, threads: 1)
        let b = try GumbelNoise.sample(count: 5904, using: &pieces, threads: 2)
        #expect((a + b).map(\.bitPattern) == whole.map(\.bitPattern))
        let scalar = (0..<10_001).map { GumbelNoise.gumbel(at: 3 + UInt64($0), of: PhiloxGenerator(seed: 8)) }
        #expect(scalar.map(\.bitPattern) == whole.map(\.bitPattern))
    }
}

/// A generator of given words (from position 0), every tail word `.max`.
private struct ScriptedWords: CounterBasedRandomGenerator {
    var words: [UInt32]
    var position: UInt64 = 0
    static var uniformMapping: UniformMapping { .centered }
    mutating func next() -> UInt64 {
        defer { position += 2 }
        return UInt64(word(at: position)) | UInt64(word(at: position + 1)) << 32
    }
    func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>) {
        for i in buffer.indices { buffer[i] = words[Int(position) + i] }
    }
    func tailWord(at position: UInt64) -> UInt32 { .max }
}
