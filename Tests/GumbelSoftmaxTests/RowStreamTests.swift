import Foundation
import Testing

@testable import GumbelSoftmax

/// Streams for `rows` rows: varied seeds and streams, positions near the ends of the stream, and
/// one row whose window holds tail-band words (seed 0, stream 0, position 20344: band words at
/// 20349 and 74581).
private func testStreams(_ rows: Int, salt: UInt64) -> [RowStream] {
    (0..<rows).map { b in
        let x = UInt64(b) &* 0x9E37_79B9_7F4A_7C15 &+ salt
        switch b % 4 {
        case 0: return RowStream(seed: 0, stream: 0, position: 20344 &+ UInt64(b / 4) &* 7)
        case 1: return RowStream(seed: x, stream: x >> 7, position: UInt64.max &- UInt64(b))
        case 2: return RowStream(seed: x ^ 0xFFFF, stream: 1, position: x >> 3)
        default: return RowStream(seed: 42, stream: UInt64(b), position: 0)
        }
    }
}

@Suite("Per-row streams (SPEC section 3)")
struct RowStreamTests {
    @Test(arguments: [1, 2])
    func goldenPerRowStreams(threads: Int) throws {
        let cases = goldenCases("per_row_streams")
        #expect(cases.count == 2)
        for c in cases {
            let shape = c["shape"] as! [Int]
            let (rows, columns) = (shape[0], shape[1])
            let logits = (c["logits"] as! [Any]).map { Float(number($0)) }
            let temperature = Float(number(c["temperature"]!))
            let streams = (c["rows"] as! [[String: Any]]).map {
                RowStream(
                    seed: decimal64($0["seed"]!), stream: decimal64($0["stream"]!), position: decimal64($0["position"]!)
                )
            }
            let expected = (c["soft"] as! [Any]).map(number)
            let argmax = c["argmax"] as! [Int]
            let soft = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, streams: streams,
                threads: threads)
            let hard = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, output: .hard,
                streams: streams, threads: threads)
            #expect(
                try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, streams: streams) == argmax)
            #expect(
                try GumbelSoftmax.topK(logits: logits, rows: rows, columns: columns, k: 1, streams: streams) == argmax)
            for b in 0..<rows {
                let row = Array(logits[b * columns..<(b + 1) * columns])
                let reference = Reference.sample(
                    logits: row, rows: 1, columns: columns, temperatures: [Double(temperature)],
                    generator: streams[b].generator)
                for k in 0..<columns {
                    let i = b * columns + k
                    #expect(
                        Swift.abs(Double(soft[i]) - expected[i]) <= Reference.softTolerance(zmax: reference.zmax[0]),
                        "row \(b) column \(k): \(soft[i]) vs \(expected[i])")
                    #expect(hard[i] == (k == argmax[b] ? 1 : 0))
                }
            }
        }
    }

    /// A row sampled alone (with its stream's generator) equals that row inside any batch, in any
    /// order, at any thread count; for every output, categorical and top-k; short rows (grouped
    /// into one unit of work), rows of one tile and rows longer than a tile (cut into segments).
    @Test(arguments: [7, 300, 2048, 40_000])
    func rowAloneEqualsRowInAnyBatch(columns: Int) throws {
        let rows = 9
        let logits = testLogits(count: rows * columns, seed: UInt64(columns))
        let streams = testStreams(rows, salt: UInt64(columns))
        let temperatures = (0..<rows).map { Float($0 + 1) * 0.3 }
        let k = Swift.min(5, columns)
        let order = [4, 0, 8, 2, 7, 1, 6, 3, 5]
        let permutedLogits = order.flatMap { logits[$0 * columns..<($0 + 1) * columns] }
        let permutedStreams = order.map { streams[$0] }
        let permutedTemperatures = order.map { temperatures[$0] }
        for threads in [1, 2, 3] {
            for output in GumbelSoftmax.Output.allCases {
                let batch = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperatures: temperatures, output: output,
                    streams: streams, threads: threads)
                let permuted = try GumbelSoftmax.sample(
                    logits: permutedLogits, rows: rows, columns: columns, temperatures: permutedTemperatures,
                    output: output, streams: permutedStreams, threads: threads)
                for b in 0..<rows {
                    var generator = streams[b].generator
                    let alone = try GumbelSoftmax.sample(
                        logits: Array(logits[b * columns..<(b + 1) * columns]), temperature: temperatures[b],
                        output: output, using: &generator, threads: 1)
                    let inBatch = Array(batch[b * columns..<(b + 1) * columns])
                    let p = order.firstIndex(of: b)!
                    let inPermuted = Array(permuted[p * columns..<(p + 1) * columns])
                    #expect(
                        alone.map(\.bitPattern) == inBatch.map(\.bitPattern), "\(output) row \(b), \(threads) threads")
                    #expect(alone.map(\.bitPattern) == inPermuted.map(\.bitPattern), "\(output) row \(b) permuted")
                }
            }
            let indices = try GumbelSoftmax.categorical(
                logits: logits, rows: rows, columns: columns, streams: streams, threads: threads)
            let top = try GumbelSoftmax.topK(
                logits: permutedLogits, rows: rows, columns: columns, k: k, streams: permutedStreams, threads: threads)
            for b in 0..<rows {
                let row = Array(logits[b * columns..<(b + 1) * columns])
                var generator = streams[b].generator
                #expect(indices[b] == (try GumbelSoftmax.categorical(logits: row, using: &generator)))
                var g = streams[b].generator
                let p = order.firstIndex(of: b)!
                let alone = try GumbelSoftmax.topK(logits: row, rows: 1, columns: columns, k: k, using: &g)
                #expect(Array(top[p * k..<(p + 1) * k]) == alone, "top-k row \(b)")
                #expect(alone[0] == indices[b])
            }
        }
    }

    /// One scalar temperature with per-row streams equals per-row temperatures all equal to it;
    /// different per-row temperatures change only their own rows.
    @Test func temperaturesCombineWithStreams() throws {
        let (rows, columns) = (4, 33)
        let logits = testLogits(count: rows * columns, seed: 5)
        let streams = testStreams(rows, salt: 9)
        let scalar = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperature: 0.7, streams: streams)
        let same = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: [0.7, 0.7, 0.7, 0.7], streams: streams)
        #expect(scalar.map(\.bitPattern) == same.map(\.bitPattern))
        let mixed = try GumbelSoftmax.sample(
            logits: logits, rows: rows, columns: columns, temperatures: [0.7, 2, 0.7, 0.1], streams: streams)
        for b in 0..<rows {
            let slice = b * columns..<(b + 1) * columns
            let changed = mixed[slice].map(\.bitPattern) != scalar[slice].map(\.bitPattern)
            #expect(changed == (b == 1 || b == 3), "row \(b)")
        }
    }

    @Test func streamCountIsChecked() throws {
        let logits = testLogits(count: 6, seed: 1)
        #expect(throws: GumbelSoftmaxError.bufferSizeMismatch(name: "row streams", expected: 2, actual: 1)) {
            try GumbelSoftmax.sample(
                logits: logits, rows: 2, columns: 3, temperature: 1, streams: [RowStream(seed: 1)])
        }
        #expect(throws: GumbelSoftmaxError.bufferSizeMismatch(name: "row streams", expected: 2, actual: 3)) {
            try GumbelSoftmax.categorical(
                logits: logits, rows: 2, columns: 3, streams: Array(repeating: RowStream(seed: 1), count: 3))
        }
        #expect(throws: GumbelSoftmaxError.bufferSizeMismatch(name: "row streams", expected: 0, actual: 1)) {
            try GumbelSoftmax.topK(logits: [], rows: 0, columns: 3, k: 1, streams: [RowStream(seed: 1)])
        }
        #expect(try GumbelSoftmax.sample(logits: [], rows: 0, columns: 3, temperature: 1, streams: []).isEmpty)
    }
}
