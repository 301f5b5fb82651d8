// The noise kernel behind `GumbelNoise.fill`: Gumbel noise of consecutive positions of one
// generator, written to a buffer, in float32 or float64. The buffer is tiled as one row of `count`
// columns (the scheduler's `Tiling`), a unit walked tile by tile; each element's noise depends
// only on its position, so the tiling never changes a bit. A tile's noise is each type's own
// (`noiseTile`: Float's below, Double's in Float64Kernel.swift).

/// One noise fill over a caller's buffer; workers write disjoint tiles.
struct NoiseFill<Scalar: GumbelScalar, G: CounterBasedRandomGenerator>: @unchecked Sendable {
    let source: G
    /// The position of `output[0]`.
    let start: UInt64
    let output: UnsafeMutablePointer<Scalar>
    let count: Int

    func run(threads: Int?, configuration: KernelConfiguration) {
        let tiling = Tiling(rows: 1, columns: count)
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: configuration.parallelMinimum,
            scratch: { KernelBuffer<UInt32>(capacity: Tiling.tile) },
            body: { range, words in
                for unit in range {
                    let columns = tiling.groupsRows ? 0..<count : tiling.columns(ofSegment: unit)
                    for (offset, n) in Tiling.tiles(of: columns) {
                        Scalar.noiseTile(
                            of: source, from: start &+ UInt64(offset), into: output + offset, count: n,
                            words: words.base)
                    }
                }
            })
    }
}

extension Float {
    /// The noise of `n <= tile` positions of `source` from `first` on.
    @inline(__always)
    static func noiseTile<G: CounterBasedRandomGenerator>(
        of source: G, from first: UInt64, into output: UnsafeMutablePointer<Float>, count n: Int,
        words: UnsafeMutablePointer<UInt32>
    ) {
        source.fillWords(startingAt: first, into: UnsafeMutableBufferPointer(start: words, count: n))
        // One specialisation per mapping (see `NoiseMath.perturb`).
        let banded: Bool
        switch G.uniformMapping {
        case .centered: banded = NoiseMath.noise(words, into: output, count: n, mapping: .centered)
        case .jaxTiny: banded = NoiseMath.noise(words, into: output, count: n, mapping: .jaxTiny)
        }
        if banded {
            let tailWord = { (i: Int) in source.tailWord(at: first &+ UInt64(i)) }
            NoiseMath.fixBands(words, count: n, tailWord: tailWord) {
                output[$0] = $1
            }
        }
    }
}
