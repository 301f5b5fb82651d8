// The noise kernel behind `GumbelNoise.fill`: Gumbel noise of consecutive positions of one
// generator, written to a buffer, in float32 or float64. The buffer is tiled as one row of `count`
// columns (the scheduler's `Tiling`), a unit walked tile by tile; each element's noise depends
// only on its position, so the tiling never changes a bit. A tile's noise is each type's own
// (`noiseTile`: Float's below, Double's in Float64Kernel.swift).

/// One noise fill over a caller's buffer; workers write disjoint tiles. Element `i` is the noise
/// of the words' element `i`.
struct NoiseFill<Scalar: GumbelScalar>: @unchecked Sendable {
    let words: BatchWords
    let output: UnsafeMutablePointer<Scalar>
    let count: Int

    func run(threads: Int?, configuration: KernelConfiguration) {
        let tiling = Tiling(rows: 1, columns: count)
        Scheduler.run(
            tiling, threads: threads, parallelMinimum: configuration.parallelMinimum,
            scratch: { KernelBuffer<UInt32>(capacity: Tiling.tile) },
            body: { range, scratch in
                for unit in range {
                    let columns = tiling.groupsRows ? 0..<count : tiling.columns(ofSegment: unit)
                    for (offset, n) in Tiling.tiles(of: columns) {
                        Scalar.noiseTile(
                            of: words, from: offset, into: output + offset, count: n, scratch: scratch.base)
                    }
                }
            })
    }
}

extension Float {
    /// The noise of elements `first ..< first + n` of `words`, `n <= tile`.
    @inline(__always)
    @_spi(Exports) public static func noiseTile(
        of words: BatchWords, from first: Int, into output: UnsafeMutablePointer<Float>, count n: Int,
        scratch: UnsafeMutablePointer<UInt32>
    ) {
        words.fill(first, UnsafeMutableBufferPointer(start: scratch, count: n))
        // One specialisation per mapping (see `NoiseMath.perturb`).
        let banded: Bool
        switch words.mapping {
        case .centered: banded = NoiseMath.noise(scratch, into: output, count: n, mapping: .centered)
        case .jaxTiny: banded = NoiseMath.noise(scratch, into: output, count: n, mapping: .jaxTiny)
        }
        if banded {
            let tailWord = { (i: Int) in words.tailWord(first + i) }
            NoiseMath.fixBands(scratch, count: n, tailWord: tailWord) {
                output[$0] = $1
            }
        }
    }
}
