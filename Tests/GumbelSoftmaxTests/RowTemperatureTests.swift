import Foundation
import Testing

@testable import GumbelSoftmax

@Suite("Per-row temperatures")
struct RowTemperatureTests {
    @Test(arguments: [GumbelSoftmax.Output.soft, .log, .hard])
    func eachRowEqualsScalarSamplingOfThatRow(output: GumbelSoftmax.Output) throws {
        // Short rows (grouped in tiles, shorter and longer than a bulk vector), rows longer than
        // a tile and rows of two segments (the batch in whole rows per worker, each row alone in
        // segments); temperatures 1 and 0.5 take the power form, the others the general one, so
        // groups mix both.
        for (rows, columns) in [(9, 13), (14, 64), (3, 5000), (7, 5000), (9, 40000)] {
            var logits = testLogits(count: rows * columns, seed: UInt64(columns), scale: 5)
            logits[columns + 2] = -.infinity
            let temperatures = (0..<rows).map { Float([0.05, 0.3, 1, 4, 0.5, 0.7][$0 % 6]) }
            let position: UInt64 = 1_000
            var generator = PhiloxGenerator(seed: 51, stream: 2, position: position)
            let batch = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
                using: &generator)
            #expect(generator.position == position + UInt64(rows * columns))
            for b in 0..<rows {
                let alone = try GumbelSoftmax.sample(
                    logits: Array(logits[b * columns..<(b + 1) * columns]), temperature: temperatures[b],
                    output: output, seed: 51, stream: 2, position: position + UInt64(b * columns))
                #expect(alone == Array(batch[b * columns..<(b + 1) * columns]), "[\(rows), \(columns)] row \(b)")
            }
            // Rows really are at different temperatures: rows with the same logits differ.
            if output == .soft {
                let same = [Float]((0..<2).flatMap { _ in logits[0..<columns] })
                let two = try GumbelSoftmax.sample(
                    logits: same, rows: 2, columns: columns, temperatures: [0.5, 2], seed: 1)
                let cold = try GumbelSoftmax.sample(
                    logits: same, rows: 2, columns: columns, temperature: 0.5, seed: 1)
                #expect(two[0..<columns] == cold[0..<columns])
                #expect(two[columns...] != cold[columns...])
            }
        }
    }

    /// Rows of 16, sixteen at a time with AVX-512 (`SixteenRows`): with one form per group, the
    /// general form's shift takes each row's own temperature in the block, and both forms'
    /// scaling runs in blocks (the power form's per-row exponents are taken with the factors, row
    /// by row). 300 rows: several groups, so blocks start at rows other than the batch's first.
    @Test(arguments: [[Float(0.05), 0.3, 0.7, 4], [0.5, 1]])
    func rowsOfSixteenTakeEachRowsTemperature(cycle: [Float]) throws {
        let (rows, columns) = (300, 16)
        var logits = testLogits(count: rows * columns, seed: 53, scale: 5)
        logits[3 * columns + 7] = -.infinity
        logits[250 * columns + 2] = -.infinity
        let temperatures = (0..<rows).map { cycle[($0 * 7 + $0 / 5) % cycle.count] }
        for output in GumbelSoftmax.Output.allCases {
            for threads in [1, 2] {
                let batch = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output, seed: 54,
                    threads: threads)
                for b in 0..<rows {
                    let alone = try GumbelSoftmax.sample(
                        logits: Array(logits[b * columns..<(b + 1) * columns]), temperature: temperatures[b],
                        output: output, seed: 54, position: UInt64(b * columns))
                    #expect(
                        alone.map(\.bitPattern) == batch[b * columns..<(b + 1) * columns].map(\.bitPattern),
                        "\(output) threads \(threads) row \(b)")
                }
            }
        }
    }

    @Test func equalTemperaturesEqualTheScalarForm() throws {
        let (rows, columns) = (40, 1000)
        let logits = testLogits(count: rows * columns, seed: 52)
        for output in GumbelSoftmax.Output.allCases {
            for temperature: Float in [0.6, 0.5, 1] {
                for threads in [1, 2] {
                    let perRow = try GumbelSoftmax.sample(
                        logits: logits, rows: rows, columns: columns,
                        temperatures: [Float](repeating: temperature, count: rows), output: output, seed: 8,
                        threads: threads)
                    let scalar = try GumbelSoftmax.sample(
                        logits: logits, rows: rows, columns: columns, temperature: temperature, output: output, seed: 8,
                        threads: 1)
                    #expect(perRow == scalar, "\(output) T \(temperature) threads \(threads)")
                }
            }
        }
    }

    @Test func accuracyAgainstDouble() throws {
        let (rows, columns) = (6, 50)
        let logits = testLogits(count: rows * columns, seed: 53, scale: 10)
        let temperatures: [Float] = [0.1, 0.25, 0.5, 1, 2, 10]
        let generator = PhiloxGenerator(seed: 54, stream: 9, position: 77)
        var g = generator
        let soft = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, using: &g)
        g = generator
        let logs = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: .log, using: &g)
        let reference = Reference.sample(
            logits: logits, rows: rows, columns: columns, temperatures: temperatures.map(Double.init),
            generator: generator)
        for i in 0..<rows * columns {
            let zmax = reference.zmax[i / columns]
            #expect(Swift.abs(Double(soft[i]) - reference.soft[i]) <= Reference.softTolerance(zmax: zmax), "\(i)")
            #expect(
                Swift.abs(Double(logs[i]) - reference.log[i])
                    <= Reference.logTolerance(expected: reference.log[i], zmax: zmax), "\(i)")
        }
    }

    @Test func bufferForm() throws {
        let logits = testLogits(count: 4 * 6, seed: 55)
        let temperatures: [Float] = [0.5, 1, 1.5, 2]
        let expected = try GumbelSoftmax.sample(
            logits: logits, rows: 4, columns: 6, temperatures: temperatures, output: .log, seed: 2, position: 3)
        var generator = PhiloxGenerator(seed: 2, position: 3)
        var result = [Float](repeating: .nan, count: 24)
        try logits.withUnsafeBufferPointer { l in
            try temperatures.withUnsafeBufferPointer { t in
                try result.withUnsafeMutableBufferPointer { r in
                    try GumbelSoftmax.sample(
                        logits: l, rows: 4, columns: 6, temperatures: t, output: .log, into: r, using: &generator)
                }
            }
        }
        #expect(result == expected)
        #expect(generator.position == 3 + 24)
    }

    @Test func everyRowIsValidated() throws {
        let (rows, columns) = (5, 3)
        let logits = testLogits(count: rows * columns, seed: 56)
        for row in 0..<rows {
            for bad: Float in [0, -0.0, -1, .infinity, -.infinity, .nan, -Float.leastNonzeroMagnitude] {
                var temperatures = [Float](repeating: 1, count: rows)
                temperatures[row] = bad
                // A later bad row never hides this one.
                if row + 1 < rows { temperatures[row + 1] = .nan }
                var generator = PhiloxGenerator(seed: 1, position: 9)
                do {
                    _ = try GumbelSoftmax.sample(
                        logits: logits, rows: rows, columns: columns, temperatures: temperatures, using: &generator)
                    Issue.record("row \(row) temperature \(bad) was accepted")
                } catch {
                    guard case .invalidRowTemperature(let r, let value) = error, r == row,
                        value.bitPattern == bad.bitPattern
                    else {
                        Issue.record("row \(row) temperature \(bad): \(error)")
                        continue
                    }
                }
                #expect(generator.position == 9, "a refusal does not advance the generator")
            }
        }
        // Tiny but positive temperatures are accepted.
        var tiny = [Float](repeating: 1, count: rows)
        tiny[2] = .leastNonzeroMagnitude
        let y = try GumbelSoftmax.sample(logits: logits, rows: rows, columns: columns, temperatures: tiny, seed: 1)
        #expect(y[6..<9].allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test func countMismatchAndEmptyBatch() throws {
        let logits = testLogits(count: 6, seed: 57)
        for temperatures: [Float] in [[1], [1, 1, 1], []] {
            #expect(throws: GumbelSoftmaxError.temperatureCountMismatch(expected: 2, actual: temperatures.count)) {
                _ = try GumbelSoftmax.sample(logits: logits, rows: 2, columns: 3, temperatures: temperatures, seed: 1)
            }
        }
        #expect(try GumbelSoftmax.sample(logits: [], rows: 0, columns: 3, temperatures: [], seed: 1) == [])
        #expect(throws: GumbelSoftmaxError.temperatureCountMismatch(expected: 0, actual: 1)) {
            _ = try GumbelSoftmax.sample(logits: [], rows: 0, columns: 3, temperatures: [1], seed: 1)
        }
        // The logits are still checked row by row.
        #expect(throws: GumbelSoftmaxError.nanLogit(row: 1, column: 0)) {
            _ = try GumbelSoftmax.sample(
                logits: [0, 1, 2, .nan, 1, 2], rows: 2, columns: 3, temperatures: [1, 1], seed: 1)
        }
    }
}
