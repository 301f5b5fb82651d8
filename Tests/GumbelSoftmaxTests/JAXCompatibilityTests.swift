import Foundation
import Testing

@testable import GumbelSoftmax

/// `Tests/golden/jax_vectors.json`, written by `Scripts/derive/jax_known_answers.py` from JAX itself.
nonisolated(unsafe) let jaxGolden: [String: Any] = {
    let url = packageRoot.appendingPathComponent("Tests/golden/jax_vectors.json")
    let data = try! Data(contentsOf: url)
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}()

private func jaxCases(_ section: String) -> [[String: Any]] {
    (jaxGolden[section] as! [String: Any])["cases"] as! [[String: Any]]
}

private func words(_ any: Any?) -> [UInt32] { (any as! [Any]).map(hex32) }

private func floats(_ any: Any?) -> [Double] { (any as! [Any]).map(number) }

private func shapeOf(_ c: [String: Any]) -> (rows: Int, columns: Int) {
    let shape = (c["shape"] as! [Any]).map { ($0 as! NSNumber).intValue }
    return shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1])
}

/// The generator a case names: its raw key (every case has one).
private func generator(_ c: [String: Any]) -> ThreefryJAXGenerator {
    let key = words(c["key"])
    return ThreefryJAXGenerator(key: (key[0], key[1]))
}

/// Float64 `-log(-log(u))`.
private func exactGumbel(_ u: Float) -> Double { -Foundation.log(-Foundation.log(Double(u))) }

private func gumbelTolerance(_ exact: Double) -> Double { 2e-6 * Swift.max(1, Swift.abs(exact)) }

/// The `.jaxTiny` uniforms of `words`, through the vectorised path the sampler uses.
private func jaxUniforms(_ words: [UInt32]) -> [Float] {
    var result: [Float] = []
    var start = 0
    while start < words.count {
        var lanes = WordLanes(repeating: 0)
        for lane in 0..<Swift.min(8, words.count - start) { lanes[lane] = words[start + lane] }
        let u = NoiseMath.jaxUniform(lanes, as: FloatLanes.self)
        for lane in 0..<Swift.min(8, words.count - start) { result.append(u[lane]) }
        start += 8
    }
    return result
}

@Suite("JAX compatibility: ThreefryJAXGenerator against jax_vectors.json")
struct JAXCompatibilityTests {
    @Test func vectorsRecordPartitionableJAX() {
        let config = jaxGolden["config"] as! [String: Any]
        #expect(config["jax_threefry_partitionable"] as? Bool == true)
        #expect(config["jax_enable_x64"] as? Bool == false)
        #expect(config["jax_default_prng_impl"] as? String == "threefry2x32")
        #expect((jaxGolden["jax_version"] as? String)?.isEmpty == false)
        #expect(ThreefryJAXGenerator.uniformMapping == .jaxTiny)
    }

    @Test func keysFromSeeds() {
        let cases = jaxCases("keys")
        #expect(cases.count == 10)
        for c in cases {
            let seed = decimal64(c["seed_uint64"]!)
            let x32 = ThreefryJAXGenerator(seed: seed)
            let x64 = ThreefryJAXGenerator(seed: seed, enableX64: true)
            #expect([x32.key.0, x32.key.1] == words(c["key_x32"]), "seed \(seed)")
            #expect([x64.key.0, x64.key.1] == words(c["key_x64"]), "seed \(seed)")
            // A UInt64 seed is the bit pattern of JAX's int64 seed.
            #expect(Int64(bitPattern: seed) == Int64(c["seed"] as! String)!)
        }
    }

    @Test func threefryBlocks() {
        let cases = jaxCases("threefry2x32_blocks")
        #expect(cases.count == 4)
        for c in cases {
            let key = words(c["key"])
            let counter = words(c["counter"])
            let out = Threefry.block(counter: (counter[0], counter[1]), key: (key[0], key[1]))
            #expect([out.0, out.1] == words(c["output"]))
        }
    }

    @Test func streamWordsAreBitIdentical() {
        let cases = jaxCases("streams")
        #expect(cases.count == 17)
        for c in cases {
            let expected = words(c["bits"])
            var g = generator(c)
            if let seed = c["seed_uint64"] as? String {
                let fromSeed = ThreefryJAXGenerator(seed: decimal64(seed), enableX64: c["enable_x64"] as! Bool)
                #expect(fromSeed == g)
            }
            let scalar = (0..<expected.count).map { g.word(at: UInt64($0)) }
            #expect(scalar == expected)
            // The bulk path from every offset (every 37th for the long cases).
            for skip in stride(from: 0, to: expected.count, by: expected.count > 100 ? 37 : 1) {
                var h = g
                h.position = UInt64(skip)
                #expect(h.nextWords(expected.count - skip) == Array(expected[skip...]), "skip \(skip)")
            }
            #expect(g.nextWords(expected.count) == expected)
            #expect(g.position == UInt64(expected.count))
        }
    }

    @Test func uniformsAreBitIdentical() {
        for c in jaxCases("streams") {
            let u = jaxUniforms(words(c["bits"]))
            #expect(u.map(\.bitPattern) == words(c["uniform_bits"]))
        }
    }

    /// JAX's uniform is `m == 0 ? tiny : m * 2^-23` for `m = x >> 9` (the script checks this on JAX
    /// for every mantissa); here `.jaxTiny` is checked against it for every mantissa too.
    @Test func uniformFormulaForEveryMantissa() {
        let formula = jaxGolden["uniform_formula"] as! [String: Any]
        #expect((formula["checked_mantissas"] as! NSNumber).intValue == 1 << 23)
        let tiny = Float.leastNormalMagnitude
        var mismatches = 0
        var m: UInt32 = 0
        while m < 1 << 23 {
            // Varying low bits, which JAX ignores.
            let lanes =
                (WordLanes(repeating: m) &+ WordLanes(0, 1, 2, 3, 4, 5, 6, 7)) &<< 9
                | (WordLanes(0, 1, 2, 3, 4, 5, 6, 7) &* 73 &+ m) & 0x1FF
            let u = NoiseMath.jaxUniform(lanes, as: FloatLanes.self)
            for lane in 0..<8 {
                let mantissa = m + UInt32(lane)
                let expected = mantissa == 0 ? tiny : Float(mantissa) * 0x1p-23
                if u[lane].bitPattern != expected.bitPattern { mismatches += 1 }
            }
            m += 8
        }
        #expect(mismatches == 0)
    }

    @Test func gumbelNoiseWithinTolerance() throws {
        for c in jaxCases("streams") {
            let exact = floats(c["gumbel_exact"])
            let jax = words(c["gumbel_bits"]).map { Double(Float(bitPattern: $0)) }
            let u = words(c["uniform_bits"]).map { Float(bitPattern: $0) }
            var g = generator(c)
            let noise = try GumbelNoise.sample(count: exact.count, using: &g, threads: 2)
            #expect(g.position == UInt64(exact.count))
            for i in 0..<exact.count {
                let mine = Double(noise[i])
                #expect(Swift.abs(exactGumbel(u[i]) - exact[i]) <= 1e-12 * Swift.max(1, Swift.abs(exact[i])))
                #expect(Swift.abs(mine - exact[i]) <= gumbelTolerance(exact[i]), "element \(i): \(mine) vs \(exact[i])")
                // JAX's float32 noise is within the same bound of the exact value, so within twice it of ours.
                #expect(Swift.abs(mine - jax[i]) <= 2 * gumbelTolerance(exact[i]))
            }
            // The scalar entry point agrees with the bulk one.
            let scalar = words(c["bits"]).prefix(8).map { GumbelNoise.gumbel(word: $0, tailWord: 0, mapping: .jaxTiny) }
            #expect(scalar == Array(noise.prefix(8)))
        }
    }

    @Test func wordsPastTwoToThe32() {
        let cases = jaxCases("large_index_words")
        #expect(cases.count == 4)
        for c in cases {
            let g = generator(c)
            let start = decimal64(c["start"]!)
            let expected = words(c["words"])
            #expect((0..<expected.count).map { g.word(at: start &+ UInt64($0)) } == expected)
            for skip in 0..<expected.count {
                var h = g
                h.position = start &+ UInt64(skip)
                #expect(h.nextWords(expected.count - skip) == Array(expected[skip...]), "start \(start) skip \(skip)")
            }
        }
    }

    /// The bulk fill equals the scalar definition for every count and offset near the places where
    /// the high counter word changes (2^32, 2^33, 2^64), with stretches long enough for the bulk
    /// loop (128 words a step in the avx512 tier) to meet the change at its start and in its middle.
    @Test func bulkFillEqualsScalarAtEveryOffset() {
        let generators = [
            ThreefryJAXGenerator(seed: 0), ThreefryJAXGenerator(key: (0xFFFF_FFFF, 0xFFFF_FFFF)),
            ThreefryJAXGenerator(key: (0x1319_8A2E, 0x0370_7344)),
        ]
        let bases: [UInt64] = [
            0, (1 << 32) - 20, (1 << 32) - 150, (1 << 33) - 9, UInt64.max - 20, 0x1234_5678_9ABC_DEF0,
        ]
        let counts = [0, 1, 7, 8, 9, 20, 127, 128, 129, 300]
        for g in generators {
            for base in bases {
                let reference = (0..<(21 + counts.max()!)).map { g.word(at: base &+ UInt64($0)) }
                for offset in 0..<21 {
                    for count in counts {
                        var buffer = [UInt32](repeating: 0xDEAD_BEEF, count: count + 1)
                        buffer.withUnsafeMutableBufferPointer { b in
                            g.fillWords(
                                startingAt: base &+ UInt64(offset),
                                into: UnsafeMutableBufferPointer(rebasing: b[..<count]))
                        }
                        #expect(Array(buffer[..<count]) == Array(reference[offset..<offset + count]))
                        #expect(buffer[count] == 0xDEAD_BEEF, "wrote past the buffer")
                    }
                }
            }
        }
    }

    @Test func nextReturnsTwoWords() {
        var g = ThreefryJAXGenerator(seed: 42, position: (1 << 32) - 1)
        let first = g.next()
        #expect(first == UInt64(g.word(at: (1 << 32) - 1)) | UInt64(g.word(at: 1 << 32)) << 32)
        #expect(g.position == (1 << 32) + 1)
        var a = ThreefryJAXGenerator(seed: 7)
        let viaNext = (0..<5).map { _ in a.next() }
        var b = ThreefryJAXGenerator(seed: 7)
        let w = b.nextWords(10)
        #expect(viaNext == (0..<5).map { UInt64(w[2 * $0]) | UInt64(w[2 * $0 + 1]) << 32 })
        // Standard-library APIs draw from it deterministically.
        var c = ThreefryJAXGenerator(seed: 7)
        var d = ThreefryJAXGenerator(seed: 7)
        #expect(Int.random(in: 0..<1000, using: &c) == Int.random(in: 0..<1000, using: &d))
    }

    @Test func splitAndFoldIn() {
        let derived = jaxCases("streams").filter { $0["derived_from"] != nil }
        #expect(derived.count == 2)
        for c in derived {
            let expected = generator(c)
            switch c["derived_from"] as! String {
            case "split(PRNGKey(42), 3)[2]":
                #expect(ThreefryJAXGenerator(seed: 42).split(into: 3)[2] == expected)
            case "fold_in(PRNGKey(0), 7)":
                #expect(ThreefryJAXGenerator(seed: 0).foldingIn(7) == expected)
            default:
                Issue.record("unknown derivation \(c["derived_from"]!)")
            }
        }
        #expect(ThreefryJAXGenerator(seed: 1).split().count == 2)
    }

    @Test func workedExample() throws {
        let example = jaxGolden["worked_example"] as! [String: Any]
        let jax = floats(example["soft"])
        #expect(Swift.abs(jax[0] - 0.28715432) < 1e-7 && Swift.abs(jax[1] - 0.7128457) < 1e-7)
        var g = ThreefryJAXGenerator(seed: 0)
        let y = try GumbelSoftmax.sample(logits: [0, 0], temperature: 1, using: &g)
        #expect(g.position == 2)
        // zmax: the largest |z| = |0 + g|.
        let zmax = (0..<2).map { Swift.abs(exactGumbel(jaxUniforms([g.word(at: UInt64($0))])[0])) }.max()!
        for k in 0..<2 {
            #expect(Swift.abs(Double(y[k]) - jax[k]) <= Reference.softTolerance(zmax: zmax), "\(y) vs \(jax)")
        }
    }

    @Test func softmaxBatches() throws {
        let cases = jaxCases("softmax_batches")
        #expect(cases.count == 4)
        for c in cases {
            let (rows, columns) = shapeOf(c)
            let logits = floats(c["logits"]).map(Float.init)
            let temperature = Float(number(c["temperature"]!))
            let jax = floats(c["soft"])
            var g = generator(c)
            let y = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: temperature, using: &g)
            #expect(g.position == UInt64(rows * columns))
            let source = generator(c)
            for b in 0..<rows {
                let u = jaxUniforms((0..<columns).map { source.word(at: UInt64(b * columns + $0)) })
                let zmax = (0..<columns).map {
                    Swift.abs((Double(logits[b * columns + $0]) + exactGumbel(u[$0])) / Double(temperature))
                }.max()!
                for k in 0..<columns {
                    let i = b * columns + k
                    #expect(
                        Swift.abs(Double(y[i]) - jax[i]) <= Reference.softTolerance(zmax: zmax),
                        "seed \(c["seed"]!) [\(b), \(k)]")
                }
            }
        }
    }

    @Test func categoricalIndicesAreExact() throws {
        let cases = jaxCases("categorical")
        #expect(cases.count == 5)
        for c in cases {
            let (rows, columns) = shapeOf(c)
            let logits = floats(c["logits"]).map(Float.init)
            let expected = (c["indices"] as! [Any]).map { ($0 as! NSNumber).intValue }
            var g = ThreefryJAXGenerator(seed: decimal64(c["seed_uint64"]!))
            #expect(g == generator(c))
            let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, using: &g)
            #expect(indices == expected, "seed \(c["seed"]!)")
            // The hard sample is the one-hot of the same indices, at any temperature.
            var h = generator(c)
            let hard = try GumbelSoftmax.sample(
                logits: logits, rows: rows, columns: columns, temperature: 0.3, output: .hard, using: &h)
            for b in 0..<rows {
                #expect(hard[b * columns + expected[b]] == 1)
                #expect(hard[(b * columns)..<((b + 1) * columns)].reduce(0, +) == 1)
            }
        }
    }

    @Test func hashableAndSendable() {
        let a = ThreefryJAXGenerator(seed: 5)
        var b = a
        #expect(a == b && a.hashValue == b.hashValue)
        b.position = 1
        #expect(a != b)
        #expect(ThreefryJAXGenerator(key: (1, 2)) != ThreefryJAXGenerator(key: (2, 1)))
        let sendable: any Sendable = a
        #expect(sendable is ThreefryJAXGenerator)
    }
}
