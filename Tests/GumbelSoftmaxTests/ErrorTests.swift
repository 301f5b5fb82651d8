import Testing

@testable import GumbelSoftmax

/// Every refused input of SPEC section 4 throws its typed error, with a message naming it.
@Suite("Refused inputs")
struct ErrorTests {
    let logits: [Float] = [0.5, -1, 2, 0, 1, 3]

    func sample(
        _ logits: [Float], rows: Int = 2, columns: Int = 3, temperature: Float = 1
    ) throws(GumbelSoftmaxError)
        -> [Float]
    {
        try GumbelSoftmax.sample(logits: logits, rows: rows, columns: columns, temperature: temperature, seed: 1)
    }

    @Test(arguments: [Float(0), -1, .nan, .infinity, -.infinity, -0.0])
    func badTemperature(_ t: Float) {
        do {
            _ = try sample(logits, temperature: t)
            Issue.record("temperature \(t) was accepted")
        } catch {
            guard case .invalidTemperature(let value) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(value.bitPattern == t.bitPattern)
            #expect(error.description.hasPrefix("temperature must be finite and > 0, got"))
        }
    }

    @Test func messageForNegativeTemperature() {
        #expect(GumbelSoftmaxError.invalidTemperature(-1).description == "temperature must be finite and > 0, got -1.0")
    }

    @Test func nanLogit() {
        var bad = [Float](repeating: 0, count: 4 * 20)
        bad[3 * 20 + 17] = .nan
        bad[3 * 20 + 18] = .infinity
        #expect(throws: GumbelSoftmaxError.nanLogit(row: 3, column: 17)) {
            try sample(bad, rows: 4, columns: 20)
        }
        #expect(GumbelSoftmaxError.nanLogit(row: 3, column: 17).description == "logit at row 3, column 17 is NaN")
    }

    @Test func positiveInfinityLogit() {
        var bad = logits
        bad[4] = .infinity
        #expect(throws: GumbelSoftmaxError.infiniteLogit(row: 1, column: 1)) { try sample(bad) }
    }

    @Test func allMaskedRow() {
        var bad = logits
        bad[3] = -.infinity
        bad[4] = -.infinity
        bad[5] = -.infinity
        #expect(throws: GumbelSoftmaxError.allMaskedRow(row: 1)) { try sample(bad) }
        #expect(throws: GumbelSoftmaxError.allMaskedRow(row: 1)) {
            try GumbelSoftmax.categorical(logits: bad, rows: 2, columns: 3, seed: 0)
        }
    }

    /// Rows of 16, sixteen at a time with AVX-512 (`SixteenRows`): a block holding a bad row is
    /// taken row by row, and the lowest bad row is the one reported, whichever block it is in.
    @Test(arguments: [Float(0.5), 0.7])
    func rowsOfSixteenReportTheFirstBadRow(temperature: Float) {
        let (rows, columns) = (48, 16)
        let good = testLogits(count: rows * columns, seed: 12)
        func refusal(_ logits: [Float]) -> GumbelSoftmaxError? {
            do {
                _ = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, seed: 0, threads: 1)
                return nil
            } catch {
                return error
            }
        }
        var bad = good
        bad[37 * columns + 3] = .nan
        bad[40 * columns] = .infinity
        #expect(refusal(bad) == .nanLogit(row: 37, column: 3))
        bad[17 * columns + 15] = .infinity
        #expect(refusal(bad) == .infiniteLogit(row: 17, column: 15))
        for k in 0..<columns { bad[16 * columns + k] = -.infinity }
        #expect(refusal(bad) == .allMaskedRow(row: 16))
        var masked = good
        for k in 0..<columns { masked[47 * columns + k] = -.infinity }
        #expect(refusal(masked) == .allMaskedRow(row: 47))
        masked[15 * columns + 8] = .nan
        #expect(refusal(masked) == .nanLogit(row: 15, column: 8))
    }

    /// The lowest bad row is reported even when several threads see several bad rows, for short
    /// rows, single-segment long rows and multi-segment long rows (twelve rows of 70000: whole rows
    /// per worker with one and two threads, segments in parallel with four).
    @Test(arguments: [7, 5000, 70000], [1, 2, 4])
    func firstBadRowWins(columns: Int, threads: Int) {
        let rows = 12
        var bad = [Float](repeating: 0, count: rows * columns)
        bad[5 * columns + 1] = .nan
        bad[2 * columns + columns - 1] = .infinity
        bad[9 * columns] = .nan
        for output in GumbelSoftmax.Output.allCases {
            #expect(throws: GumbelSoftmaxError.infiniteLogit(row: 2, column: columns - 1)) {
                try GumbelSoftmax.sample(
                    logits: bad, rows: rows, columns: columns, temperature: 1, output: output, seed: 0,
                    threads: threads)
            }
        }
        var masked = [Float](repeating: 0, count: rows * columns)
        for k in 0..<columns { masked[4 * columns + k] = -.infinity }
        for k in 0..<columns { masked[10 * columns + k] = -.infinity }
        #expect(throws: GumbelSoftmaxError.allMaskedRow(row: 4)) {
            try GumbelSoftmax.sample(
                logits: masked, rows: rows, columns: columns, temperature: 1, seed: 0, threads: threads)
        }
        // An all -inf row before a NaN one is the one reported, in both forms of soft output.
        masked[5 * columns + 1] = .nan
        for k in 0..<columns { masked[1 * columns + k] = -.infinity }
        for temperature: Float in [1, 0.7] {
            for output in GumbelSoftmax.Output.allCases {
                #expect(throws: GumbelSoftmaxError.allMaskedRow(row: 1)) {
                    try GumbelSoftmax.sample(
                        logits: masked, rows: rows, columns: columns, temperature: temperature, output: output,
                        seed: 0, threads: threads)
                }
            }
        }
    }

    @Test func noCategories() {
        #expect(throws: GumbelSoftmaxError.noCategories) { try sample([], rows: 3, columns: 0) }
        #expect(throws: GumbelSoftmaxError.noCategories) {
            try GumbelSoftmax.sample(logits: [], temperature: 1, seed: 0)
        }
    }

    @Test func wrongLogitCount() {
        #expect(throws: GumbelSoftmaxError.logitCountMismatch(expected: 6, actual: 5)) {
            try sample(Array(logits.dropLast()))
        }
        #expect(throws: GumbelSoftmaxError.invalidShape(rows: -1, columns: 3)) { try sample(logits, rows: -1) }
        #expect(throws: GumbelSoftmaxError.invalidShape(rows: Int.max, columns: 3)) {
            try sample(logits, rows: Int.max)
        }
    }

    @Test func wrongOutputSize() {
        var out = [Float](repeating: 7, count: 5)
        var generator = PhiloxGenerator(seed: 0)
        logits.withUnsafeBufferPointer { (input) -> Void in
            out.withUnsafeMutableBufferPointer { (output) -> Void in
                #expect(throws: GumbelSoftmaxError.bufferSizeMismatch(name: "output", expected: 6, actual: 5)) {
                    try GumbelSoftmax.sample(
                        logits: input, rows: 2, columns: 3, temperature: 1, into: output, using: &generator)
                }
            }
        }
        #expect(generator.position == 0, "a refused call must not advance the generator")
        var indices = [Int](repeating: 0, count: 3)
        logits.withUnsafeBufferPointer { (input) -> Void in
            indices.withUnsafeMutableBufferPointer { (output) -> Void in
                #expect(throws: GumbelSoftmaxError.bufferSizeMismatch(name: "index output", expected: 2, actual: 3)) {
                    try GumbelSoftmax.categorical(logits: input, rows: 2, columns: 3, into: output, using: &generator)
                }
            }
        }
    }

    /// A logit refused during the pass leaves zeros in the caller's buffer, not half a sample.
    @Test func refusedCallLeavesNoHalfWrittenOutput() {
        let columns = 40000
        var bad = [Float](repeating: 1, count: 3 * columns)
        bad[2 * columns + 5] = .nan
        var out = [Float](repeating: 7, count: 3 * columns)
        var generator = PhiloxGenerator(seed: 0)
        bad.withUnsafeBufferPointer { (input) -> Void in
            out.withUnsafeMutableBufferPointer { (output) -> Void in
                #expect(throws: GumbelSoftmaxError.nanLogit(row: 2, column: 5)) {
                    try GumbelSoftmax.sample(
                        logits: input, rows: 3, columns: columns, temperature: 1, into: output, using: &generator)
                }
            }
        }
        #expect(out.allSatisfy { $0 == 0 })
    }

    /// A refused argument (a size, shape, temperature, `k` or thread count) leaves every caller's
    /// buffer as it was: sampling, per-row temperatures and streams, top-k, gradients and the
    /// log-density alike.
    @Test func refusedArgumentsLeaveBuffersUntouched() {
        let sentinel: Float = 7.25
        var out = [Float](repeating: sentinel, count: 6)
        var indices = [Int](repeating: -3, count: 6)
        var temperatureGradient = [Float](repeating: sentinel, count: 2)
        var density = [Double](repeating: 9, count: 2)
        let soft: [Float] = [0.2, 0.3, 0.5, 0.1, 0.1, 0.8]
        let streams = [RowStream(seed: 1), RowStream(seed: 2)]
        var generator = PhiloxGenerator(seed: 0)
        logits.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                let short = UnsafeMutableBufferPointer(rebasing: output[0..<5])
                #expect(throws: GumbelSoftmaxError.self) {
                    try GumbelSoftmax.sample(
                        logits: input, rows: 2, columns: 3, temperature: 1, into: short, using: &generator)
                }
                #expect(throws: GumbelSoftmaxError.self) {
                    try GumbelSoftmax.sample(
                        logits: input, rows: Int.max, columns: 3, temperature: 1, into: output, using: &generator)
                }
                for temperature in [Float(0), -1, .nan, .infinity] {
                    #expect(throws: GumbelSoftmaxError.self) {
                        try GumbelSoftmax.sample(
                            logits: input, rows: 2, columns: 3, temperature: temperature, into: output,
                            using: &generator)
                    }
                }
                #expect(throws: GumbelSoftmaxError.self) {
                    try GumbelSoftmax.sample(
                        logits: input, rows: 2, columns: 3, temperature: 1, into: output, using: &generator, threads: 0)
                }
                [Float(1), .nan].withUnsafeBufferPointer { (temperatures) -> Void in
                    #expect(throws: GumbelSoftmaxError.self) {
                        try GumbelSoftmax.sample(
                            logits: input, rows: 2, columns: 3, temperatures: temperatures, into: output,
                            using: &generator)
                    }
                }
                streams.withUnsafeBufferPointer { rowStreams in
                    let one = UnsafeBufferPointer(rebasing: rowStreams[0..<1])
                    #expect(throws: GumbelSoftmaxError.self) {
                        try GumbelSoftmax.sample(
                            logits: input, rows: 2, columns: 3, temperature: 1, streams: one, into: output)
                    }
                }
                soft.withUnsafeBufferPointer { y in
                    temperatureGradient.withUnsafeMutableBufferPointer { t in
                        #expect(throws: GumbelSoftmaxError.self) {
                            try GumbelSoftmax.backward(
                                output: y, upstream: y, rows: 2, columns: 3, temperature: 0, logitsGradient: output,
                                temperatureGradient: t)
                        }
                        #expect(throws: GumbelSoftmaxError.self) {
                            try GumbelSoftmax.backward(
                                output: y, upstream: y, rows: 2, columns: 3, temperature: 1, logitsGradient: short,
                                temperatureGradient: t)
                        }
                    }
                }
            }
            indices.withUnsafeMutableBufferPointer { output in
                #expect(throws: GumbelSoftmaxError.self) {
                    try GumbelSoftmax.topK(
                        logits: input, rows: 2, columns: 3, k: 4, into: output, using: &generator)
                }
                #expect(throws: GumbelSoftmaxError.self) {
                    try GumbelSoftmax.topK(
                        logits: input, rows: 2, columns: 3, k: 2, into: output, using: &generator, threads: -1)
                }
            }
        }
        if let distribution = try? ConcreteDistribution(logits: logits, rows: 2, columns: 3, temperature: 1) {
            let shortPoint = [Float](repeating: 0.5, count: 5)
            shortPoint.withUnsafeBufferPointer { (point) -> Void in
                density.withUnsafeMutableBufferPointer { (result) -> Void in
                    #expect(throws: GumbelSoftmaxError.self) { try distribution.logDensity(point, into: result) }
                }
            }
        } else {
            Issue.record("the distribution was refused")
        }
        #expect(out.allSatisfy { $0 == sentinel }, "\(out)")
        #expect(temperatureGradient.allSatisfy { $0 == sentinel })
        #expect(indices.allSatisfy { $0 == -3 })
        #expect(density.allSatisfy { $0 == 9 })
        #expect(generator.position == 0)
    }

    @Test func emptyBatchIsNotAnError() throws {
        #expect(try sample([], rows: 0, columns: 3).isEmpty)
        #expect(try GumbelSoftmax.categorical(logits: [], rows: 0, columns: 5, seed: 0).isEmpty)
        var generator = PhiloxGenerator(seed: 0, position: 9)
        _ = try GumbelSoftmax.sample(logits: [], rows: 0, columns: 5, temperature: 1, using: &generator)
        #expect(generator.position == 9)
    }

    @Test func badThreadCount() {
        #expect(throws: GumbelSoftmaxError.invalidThreadCount(0)) {
            try GumbelSoftmax.sample(logits: logits, rows: 2, columns: 3, temperature: 1, seed: 0, threads: 0)
        }
    }

    @Test func badRowTemperatures() {
        #expect(throws: GumbelSoftmaxError.temperatureCountMismatch(expected: 2, actual: 1)) {
            try GumbelSoftmax.sample(logits: logits, rows: 2, columns: 3, temperatures: [1], seed: 0)
        }
        #expect(throws: GumbelSoftmaxError.invalidRowTemperature(row: 1, value: -2)) {
            try GumbelSoftmax.sample(logits: logits, rows: 2, columns: 3, temperatures: [1, -2], seed: 0)
        }
    }
}
