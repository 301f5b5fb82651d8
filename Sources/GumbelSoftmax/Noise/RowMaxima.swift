// The passes that take each row's largest value on the way: the general form's `d = l + g`
// and the power form's `1 / E`, over whole rows a multiple of the bulk width long, in the avx512
// tier. A separate pass over the row for its maximum (eight lanes at a time, its loads, compares
// and loop) costs more than the four maxima and four additions per 64 elements taken here.
//
// The loop state is kept small, since the 64-lane noise already fills most of the 32 registers:
// one 32-lane maximum (two registers) per row, and for the whole pass one 32-lane sum whose
// finiteness says that no value was NaN or `+inf` (an overflow of the sum only sends the caller
// to its exact check) and one 32-lane minimum of the words for the band test.
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
        @inline(__always)
        static func perturbRows(
            _ logits: UnsafePointer<Float>, _ words: UnsafePointer<UInt32>, _ d: UnsafeMutablePointer<Float>,
            rows: Int, columns: Int, maxima: UnsafeMutablePointer<Float>, mapping: UniformMapping
        ) -> (banded: Bool, valid: Bool) {
            rowMaxima(rows: rows, columns: columns, words: words, maxima: maxima, mapping: mapping) {
                i, x, smallest in
                let g = gumbel(x, mapping: mapping, smallest: &smallest, as: WideFloatLanes.self)
                let v = WideFloatLanes.load(logits + i) + g
                v.store(to: d + i)
                return v
            }
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
            rowMaxima(rows: rows, columns: columns, words: words, maxima: maxima, mapping: mapping) {
                i, x, smallest in
                let e = exponential(x, mapping: mapping, smallest: &smallest, as: WideFloatLanes.self)
                (1.0 / e).store(to: r + i)
                return WideFloatLanes.load(logits + i)
            }
        }

        /// Runs `block(i, words, &smallest)` on every bulk vector of `rows` rows of `columns` words
        /// and takes the largest of the values it returns per row into `maxima`.
        @inline(__always)
        private static func rowMaxima(
            rows: Int, columns: Int, words: UnsafePointer<UInt32>, maxima: UnsafeMutablePointer<Float>,
            mapping: UniformMapping,
            _ block: (_ i: Int, _ words: WideFloatLanes.Bits, _ smallest: inout WideFloatLanes.Bits) -> WideFloatLanes
        ) -> (banded: Bool, valid: Bool) {
            typealias W = WideFloatLanes
            var smallest = WordLanes32(repeating: 0xFFFF_FFFF)
            var total = FloatLanes32(repeating: 0)
            var start = 0
            for row in 0..<rows {
                var maximum = FloatLanes32(repeating: -.infinity)
                for i in stride(from: start, to: start + columns, by: W.count) {
                    // `block` lowers all-ones lanes: its own words.
                    var least = W.Bits(repeating: 0xFFFF_FFFF)
                    let v = block(i, W.load(words + i), &least)
                    smallest = WordLanes32.minimum(smallest, WordLanes32.minimum(least.low, least.high))
                    maximum = FloatLanes32.maximum(maximum, FloatLanes32.maximum(v.low, v.high))
                    total = total + (v.low + v.high)
                }
                maxima[row] = maximum.maxFolded.maxLanes()[0]
                start += columns
            }
            let valid = FloatLanes32.belowMask(total, FloatLanes32(repeating: .infinity)).minOfLanes != 0
            return (smallest.minOfLanes < bandWidth && mapping == .centered, valid)
        }
    #endif
}
