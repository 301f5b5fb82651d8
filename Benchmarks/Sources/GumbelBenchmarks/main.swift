import GumbelSoftmax
import Foundation

let shapes: [(Int, Int)] = [(1, 1_000_000), (1, 16_000_000), (64, 32000), (1024, 1024), (4096, 256), (65536, 16), (256, 128256), (8, 4_000_000)]

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start)
}

let args = CommandLine.arguments
let selected = args.count > 2 ? [(Int(args[1])!, Int(args[2])!)] : shapes
let threadList = args.count > 3 ? [Int(args[3])!] : [1, 2]
for (b, k) in selected {
    let n = b * k
    var logits = [Float](repeating: 0, count: n)
    var s: UInt64 = 1
    for i in 0..<n { s = s &* 6364136223846793005 &+ 1442695040888963407; logits[i] = Float(s >> 40) / Float(1 << 24) * 4 - 2 }
    var out = [Float](repeating: 0, count: n)
    for threads in threadList {
        var generator = PhiloxGenerator(seed: 1)
        var samples: [Double] = []
        let reps = Int(ProcessInfo.processInfo.environment["REPS"] ?? "") ?? max(5, min(30, 200_000_000 / n))
        logits.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<(reps + 2) {
                    let t = time { try! GumbelSoftmax.sample(logits: l, rows: b, columns: k, temperature: 0.5, into: o, using: &generator, threads: threads) }
                    if r >= 2 { samples.append(t) }
                }
            }
        }
        let ns = median(samples) / Double(n)
        print("[\(b),\(k)] threads \(threads): \(String(format: "%.3f", ns)) ns/el  \(String(format: "%.1f", 1000 / ns)) M/s")
    }
}
