// The passes that take each row's largest value on the way: the general form's `d = l + g`
// and the power form's `1 / E`, over whole rows a multiple of the bulk width long, in the avx512
// tier. A separate pass over the row for its maximum (eight lanes at a time, its loads, compares
// and loop) costs more than the four maxima and four additions per 64 elements taken here.
//
// The loop state is kept small, since the 64-lane noise already fills most of the 32 registers:
// one register each (`Lanes16`, the four of a step folded into it) for the row's maximum, for
// the pass's sum, whose finiteness says that no value was NaN or `+inf` (an overflow of the sum
// only sends the caller to its exact check), and for the minimum of the words for the band test
// (`SmallestWord`, in the pass that reads the words). With two or four registers each, the loops
// spilled them and read and wrote them through the stack at every step.
//
// A maximum is exact, so it is the value of a row's largest element whatever the order it is
// taken in; only where two zeros of either sign are a row's largest may it be either of them.

extension NoiseMath {
    /// Whether this build takes row maxima in the noise passes (`perturbRows`,
    /// `reciprocalExponentials(_:into:rows:columns:mapping:logits:maxima:)`).
    #if GUMBEL_SOFTMAX_AVX512
        static let takesRowMaxima = true
    #else
        static let takesRowMaxima = false
    #endif

    #if GUMBEL_SOFTMAX_AVX512
        /// `perturb` over `rows` whole rows of `columns` elements, `columns` a multiple of the bulk
        /// width, that also writes each row's largest `d` to `maxima` and returns whether every `d`
        /// is below `+inf` and none NaN (false also when their sum overflows). The maxima are those
        /// of this pass: where a word lies in a band (`banded`), `fixBands` changes its `d`
        /// afterwards.
        ///
        /// In two passes, each of one logarithm: `E = -ln U` of every word into `d`, then
        /// `d = l + g` with `g = -ln E` and the rows' maxima. The values are those of one pass
        /// (`E` is stored as the Float it is). Each element's two logarithms are one chain of
        /// dependent operations, about 80 cycles long for the four 512-bit vectors of a step, and
        /// a step that runs both keeps more of them waiting than the core's schedulers hold: in
        /// one pass the loop ran at 1.7 times the bound of its multiply pipes, and two passes,
        /// with their chains half as long, take the general form 4 to 12% less time on the
        /// in-cache shapes (docs/benchmarks.md, "Levers measured").
        @inline(__always)
        static func perturbRows(
            _ logits: UnsafePointer<Float>, _ words: UnsafePointer<UInt32>, _ d: UnsafeMutablePointer<Float>,
            rows: Int, columns: Int, maxima: UnsafeMutablePointer<Float>, mapping: UniformMapping
        ) -> (banded: Bool, valid: Bool) {
            typealias W = WideFloatLanes
            var smallest = SmallestWord()
            for i in stride(from: 0, to: rows * columns, by: W.count) {
                smallest.exponential(W.load(words + i), mapping: mapping).store(to: d + i)
            }
            let valid = rowMaxima(rows: rows, columns: columns, maxima: maxima) { i in
                let v = W.load(logits + i) + gumbel(exponential: W.load(d + i), mapping: mapping)
                v.store(to: d + i)
                return v
            }
            return (smallest.banded && mapping == .centered, valid)
        }

        /// `reciprocalExponentials` over `rows` whole rows of `columns` elements, `columns` a
        /// multiple of the bulk width: writes each row's largest logit to `maxima` and returns
        /// whether every logit is below `+inf` and none NaN (false also when their sum overflows),
        /// and whether some word lies in an outer band.
        @inline(__always)
        static func reciprocalExponentials(
            _ words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
            mapping: UniformMapping, logits: UnsafePointer<Float>, maxima: UnsafeMutablePointer<Float>
        ) -> (banded: Bool, valid: Bool) {
            typealias W = WideFloatLanes
            var smallest = SmallestWord()
            let valid = rowMaxima(rows: rows, columns: columns, maxima: maxima) { i in
                (1.0 / smallest.exponential(W.load(words + i), mapping: mapping)).store(to: r + i)
                return W.load(logits + i)
            }
            return (smallest.banded && mapping == .centered, valid)
        }

        /// Runs `block(i)` on every bulk vector of `rows` rows of `columns` elements, takes the
        /// largest of the values it returns per row into `maxima`, and returns whether all of them
        /// are below `+inf` and none NaN (false also when their sum overflows).
        @inline(__always)
        private static func rowMaxima(
            rows: Int, columns: Int, maxima: UnsafeMutablePointer<Float>, _ block: (_ i: Int) -> WideFloatLanes
        ) -> Bool {
            var total = RowPairLanes(0, 0)
            var start = 0
            for row in 0..<rows {
                var maximum = RowPairLanes(-.infinity, -.infinity)
                for i in stride(from: start, to: start + columns, by: WideFloatLanes.count) {
                    let v = block(i)
                    maximum = Lanes16.maximum(maximum, quartersOf: v)
                    total = Lanes16.sum(total, quartersOf: v)
                }
                maxima[row] = FloatLanes.maximum(maximum.a, maximum.b).maxLanes()[0]
                start += columns
            }
            return RowPairLanes.allFinite(total, total)
        }
    #endif
}
