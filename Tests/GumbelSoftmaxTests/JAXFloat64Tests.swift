import Foundation
import Testing

@testable import GumbelSoftmax

/// `Tests/golden/jax_x64_vectors.json`, written by `Scripts/derive/jax_x64_known_answers.py` from
/// JAX itself with `jax_enable_x64=True`.
private nonisolated(unsafe) let jaxX64Golden: [String: Any] = {
    let url = packageRoot.appendingPathComponent("Tests/golden/jax_x64_vectors.json")
    let data = try! Data(contentsOf: url)
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}()

private var jaxX64Cases: [[String: Any]] { jaxX64Golden["cases"] as! [[String: Any]] }

private func doubles(_ any: Any?) -> [Double] { (any as! [Any]).map(number) }

private func generator(_ c: [String: Any]) -> ThreefryJAXGenerator {
    let key = (c["key"] as! [Any]).map(hex32)
    return ThreefryJAXGenerator(key: (key[0], key[1]))
}

private func shapeOf(_ c: [String: Any]) -> (rows: Int, columns: Int) {
    let shape = (c["shape"] as! [Any]).map { ($0 as! NSNumber).intValue }
    return (shape[0], shape[1])
}

@Suite("JAX compatibility in x64 mode: float64 noise and sampling against jax_x64_vectors.json")
struct JAXFloat64Tests {
    @Test func vectorsRecordX64() {
        let config = jaxX64Golden["config"] as! [String: Any]
        #expect(config["jax_enable_x64"] as? Bool == true)
        #expect(config["jax_threefry_partitionable"] as? Bool == true)
        #expect(jaxX64Cases.count >= 5)
    }

    @Test func float64UniformsAreJAXsBitForBit() {
        for c in jaxX64Cases {
            let expected = (c["uniform_bits"] as! [Any]).map { UInt64(($0 as! String).dropFirst(2), radix: 16)! }
            let g = generator(c)
            let mine = (0..<expected.count).map { g.float64Uniform(at: UInt64($0)).bitPattern }
            #expect(mine == expected, "seed \(c["seed"]!)")
            var buffer = [Double](repeating: 0, count: expected.count)
            let filled = buffer.withUnsafeMutableBufferPointer { g.fillFloat64Uniforms(startingAt: 0, into: $0) }
            #expect(filled)
            #expect(buffer.map(\.bitPattern) == expected)
        }
    }

    @Test func bulkFloat64UniformsEqualScalarAtEveryOffset() {
        let g = ThreefryJAXGenerator(key: (0x1234_5678, 0x9ABC_DEF0))
        for start: UInt64 in [0, 3, 0xFFFF_FFFB, 0x1_0000_0001, UInt64.max - 4] {
            for count in [1, 7, 8, 13, 40] {
                var buffer = [Double](repeating: 0, count: count)
                _ = buffer.withUnsafeMutableBufferPointer { g.fillFloat64Uniforms(startingAt: start, into: $0) }
                let scalar = (0..<count).map { g.float64Uniform(at: start &+ UInt64($0)) }
                #expect(buffer.map(\.bitPattern) == scalar.map(\.bitPattern), "start \(start) count \(count)")
            }
        }
    }

    @Test func philoxKeepsTheWordsUniforms() {
        var buffer = [Double](repeating: 7, count: 4)
        let filled = buffer.withUnsafeMutableBufferPointer {
            PhiloxGenerator(seed: 1).fillFloat64Uniforms(startingAt: 0, into: $0)
        }
        #expect(!filled)
        #expect(buffer == [7, 7, 7, 7])
    }

    @Test func float64NoiseIsJAXsGumbel() throws {
        for c in jaxX64Cases {
            let jax = doubles(c["gumbel"])
            for threads in [1, 2] {
                var g = generator(c)
                let mine = try GumbelNoise.sample(count: jax.count, as: Double.self, using: &g, threads: threads)
                #expect(g.position == UInt64(jax.count))
                for i in jax.indices {
                    #expect(
                        Swift.abs(mine[i] - jax[i]) <= 1e-12 * Swift.max(1, Swift.abs(jax[i])),
                        "seed \(c["seed"]!) element \(i): \(mine[i]) vs \(jax[i])")
                }
            }
        }
    }

    @Test(arguments: [GumbelSoftmax.Output.soft, .log])
    func float64SamplingIsJAXsSoftmax(output: GumbelSoftmax.Output) throws {
        for c in jaxX64Cases {
            let (rows, columns) = shapeOf(c)
            let logits = doubles(c["logits"])
            let temperature = number(c["temperature"]!)
            let jax = doubles(c["soft"])
            let noise = doubles(c["gumbel"])
            for threads in [1, 2] {
                var g = generator(c)
                let y = try GumbelSoftmax.sample(
                    logits: logits, rows: rows, columns: columns, temperature: temperature, output: output,
                    using: &g, threads: threads)
                for b in 0..<rows {
                    let z = (0..<columns).map { (logits[b * columns + $0] + noise[b * columns + $0]) / temperature }
                    let zmax = z.map(Swift.abs).max()!
                    for k in 0..<columns {
                        let i = b * columns + k
                        if output == .soft {
                            let tolerance = (1e-12 + 0x1p-48 * zmax) * jax[i] + 1e-300
                            #expect(Swift.abs(y[i] - jax[i]) <= tolerance, "seed \(c["seed"]!) element \(i)")
                        } else {
                            let exact = Foundation.log(jax[i])
                            let tolerance = 1e-12 * Swift.max(1, Swift.abs(exact)) + 0x1p-48 * zmax
                            #expect(Swift.abs(y[i] - exact) <= tolerance, "seed \(c["seed"]!) element \(i)")
                        }
                    }
                }
            }
        }
    }

    @Test func float64CategoricalIsTheArgmaxOfJAXsNoise() throws {
        for c in jaxX64Cases {
            let (rows, columns) = shapeOf(c)
            let logits = doubles(c["logits"])
            let noise = doubles(c["gumbel"])
            var g = generator(c)
            let indices = try GumbelSoftmax.categorical(logits: logits, rows: rows, columns: columns, using: &g)
            for b in 0..<rows {
                let z = (0..<columns).map { logits[b * columns + $0] + noise[b * columns + $0] }
                #expect(indices[b] == z.indices.max { z[$0] < z[$1] }!, "seed \(c["seed"]!) row \(b)")
            }
        }
    }
}
