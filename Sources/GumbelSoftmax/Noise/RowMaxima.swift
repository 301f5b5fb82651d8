// The passes that take each row's largest value on the way: the general form's `d = l + g`
// and the power form's `1 / E`, over whole rows a multiple of the bulk width long, in the avx512
// tier. A separate pass over the row for its maximum (eight lanes at a time, its loads, compares
// and loop) costs more than the four maxima and four additions per 64 elements taken here.
//
// The loop state is kept small, since the 64-lane noise already fills most of the 32 registers:
// one 32-lane maximum (two registers) per row, and for the whole pass one 32-lane sum whose
// finiteness says that no value was NaN or `+inf` (an overflow of the sum only sends the caller
// to its exact check) and one minimum of the words for the band test (taken in the pass that
// reads the words).
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
            var smallest = W.Bits(repeating: 0xFFFF_FFFF)
            for i in stride(from: 0, to: rows * columns, by: W.count) {
                exponential(W.load(words + i), mapping: mapping, smallest: &smallest, as: W.self).store(to: d + i)
            }
            let valid = rowMaxima(rows: rows, columns: columns, maxima: maxima) { i in
                let v = W.load(logits + i) + gumbel(exponential: W.load(d + i), mapping: mapping)
                v.store(to: d + i)
                return v
            }
            return (smallest.minOfLanes < bandWidth && mapping == .centered, valid)
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
            var smallest = WordLanes32(repeating: 0xFFFF_FFFF)
            let valid = rowMaxima(rows: rows, columns: columns, maxima: maxima) { i in
                // `exponential` lowers all-ones lanes: its own words.
                var least = W.Bits(repeating: 0xFFFF_FFFF)
                let e = exponential(W.load(words + i), mapping: mapping, smallest: &least, as: W.self)
                smallest = WordLanes32.minimum(smallest, WordLanes32.minimum(least.low, least.high))
                (1.0 / e).store(to: r + i)
                return W.load(logits + i)
            }
            return (smallest.minOfLanes < bandWidth && mapping == .centered, valid)
        }

        /// Runs `block(i)` on every bulk vector of `rows` rows of `columns` elements, takes the
        /// largest of the values it returns per row into `maxima`, and returns whether all of them
        /// are below `+inf` and none NaN (false also when their sum overflows).
        @inline(__always)
        private static func rowMaxima(
            rows: Int, columns: Int, maxima: UnsafeMutablePointer<Float>, _ block: (_ i: Int) -> WideFloatLanes
        ) -> Bool {
            var total = FloatLanes32(repeating: 0)
            var start = 0
            for row in 0..<rows {
                var maximum = FloatLanes32(repeating: -.infinity)
                for i in stride(from: start, to: start + columns, by: WideFloatLanes.count) {
                    let v = block(i)
                    maximum = FloatLanes32.maximum(maximum, FloatLanes32.maximum(v.low, v.high))
                    total = total + (v.low + v.high)
                }
                maxima[row] = maximum.maxFolded.maxLanes()[0]
                start += columns
            }
            return FloatLanes32.belowMask(total, FloatLanes32(repeating: .infinity)).minOfLanes != 0
        }
    #endif
}
