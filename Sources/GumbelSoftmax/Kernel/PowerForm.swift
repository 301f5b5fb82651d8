#if canImport(Glibc)
    import Glibc
#endif

// The power form of soft output at temperature 1 or 1/2. With `g = -ln E` (`E = -ln U`),
// `exp((l + g) / T) = exp(l / T) * (1 / E)^(1/T)`, so each element needs one logarithm (`E`), one
// division and the softmax's exponential, where the general form takes two logarithms
// (`g = -ln(-ln U)`). The reference is the row's largest logit instead of its largest `l + g`.
// Which form a row takes depends only on its own temperature, so batching, sharding and thread
// counts never change a bit.
//
// The words in a tail band (one element in 32768) need care twice: their `1 / E` is recomputed
// from the tail word (`reciprocals`), and their terms in Double (`exactBandTerms`).

/// The power form of soft output: `y ∝ exp((l - L) n) (c / E)^n` for an inverse temperature `n`
/// of exactly 1 or 2, `L` the row's largest logit (raised in the rare rows where a tail-band term
/// would underflow: `SamplingKernel.reciprocals`) and `c` a power of two that keeps every term in
/// Float range: `1 / E` lies in `[0.09, 2^16]` for words outside the tail bands and reaches `2^65`
/// in them, so `(c / E)^n` stays within `[2^-19, 2^122]`.
struct PowerForm {
    /// `n = 1 / T`.
    let exponent: Int
    /// `c`: `(c / E)^n` at most `2^122` for every word (exact: a power of two).
    let scale: Float

    /// The power form for inverse temperature `inverseTemperature`, or nil when it is not 1 or 2.
    @inline(__always)
    init?(inverseTemperature: Float) {
        if inverseTemperature == 1 {
            (exponent, scale) = (1, 1)
        } else if inverseTemperature == 2 {
            (exponent, scale) = (2, 0x1p-4)
        } else {
            return nil
        }
    }

    /// `(c r)^n` for `r = 1 / E`.
    @inline(__always)
    func factor<V: FloatVector>(_ r: V) -> V {
        let t = r * V(repeating: scale)
        return exponent == 1 ? t : t * t
    }

    /// `(c r)^n` for `r = 1 / E`, in Double.
    @inline(__always)
    func exactFactor(_ r: Float) -> Double {
        let t = Double(scale) * Double(r)
        return exponent == 1 ? t : t * t
    }

    /// Stores the terms `exp((l - reference) n) (c r)^n` of `count` logits `l` and reciprocals
    /// `r = 1 / E` to `output` and returns their sum, accumulated like `RowReduce.expSum`.
    @inline(__always)
    func storeTerms(
        logits: UnsafePointer<Float>, reciprocals r: UnsafePointer<Float>, count: Int, reference: Float,
        into output: UnsafeMutablePointer<Float>
    ) -> Double {
        let blocks = Blocks(count: count)
        var wide = WideFloatLanes(repeating: 0)
        do {
            let ref = WideFloatLanes(repeating: reference)
            let n = WideFloatLanes(repeating: Float(exponent))
            for i in blocks.wide {
                let e = FastMath.expNonPositive((WideFloatLanes.load(logits + i) - ref) * n)
                let w = e * factor(WideFloatLanes.load(r + i))
                w.store(to: output + i)
                wide = wide + w
            }
        }
        let ref = FloatLanes(repeating: reference)
        let n = FloatLanes(repeating: Float(exponent))
        var sum0 = FloatLanes()
        for (i, m) in blocks.narrow {
            let l = loadLanes(logits + i, count: m, padding: -.infinity)
            let w = FastMath.expNonPositive((l - ref) * n) * factor(loadLanes(r + i, count: m, padding: 0))
            storeLanes(w, output + i, count: m)
            sum0 += w
        }
        return (wide.folded + sum0).sumInDouble()
    }
}

extension SamplingKernel {
    /// Writes `1 / E` (`E = -ln U`) for the `count` elements from flat index `element` to `r`
    /// given their words, exact in the tail bands like `perturbRange`, and returns the largest of
    /// their logits, whether one is NaN or `+inf`, and whether some word lay in a tail band (then
    /// `exactBandTerms` must run on the terms). Calls `bandElement(i)` once `r[i]` holds the
    /// exact value of a band element `i`.
    ///
    /// With `rowMaxima` (the elements whole rows of `columns`, a multiple of the bulk width), each
    /// row's largest logit goes to `maxima` in the same pass, before any `bandElement` call, and
    /// the returned maximum is `-inf`.
    @inline(__always)
    private static func reciprocals(
        _ job: SamplingJob, element: Int, count: Int, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        rowMaxima: (columns: Int, maxima: UnsafeMutablePointer<Float>)? = nil, bandElement: (_ i: Int) -> Void
    ) -> (maximum: Float, invalid: Bool, banded: Bool) {
        let logits = job.logits + element
        let result: (maximum: Float, invalid: Bool, banded: Bool)
        #if GUMBEL_SOFTMAX_AVX512
            if let (columns, maxima) = rowMaxima {
                let rows = count / columns
                let (banded, valid) =
                    switch job.mapping {
                    case .centered:
                        NoiseMath.reciprocalExponentials(
                            words, into: r, rows: rows, columns: columns, mapping: .centered, logits: logits,
                            maxima: maxima)
                    case .jaxTiny:
                        NoiseMath.reciprocalExponentials(
                            words, into: r, rows: rows, columns: columns, mapping: .jaxTiny, logits: logits,
                            maxima: maxima)
                    }
                result = (-.infinity, !valid, banded)
            } else {
                result = reciprocalExponentials(job, words: words, into: r, count: count, logits: logits)
            }
        #else
            result = reciprocalExponentials(job, words: words, into: r, count: count, logits: logits)
        #endif
        if result.banded {
            let tailWord = { (i: Int) in job.tailWord(element + i) }
            NoiseMath.fixBands(words, count: count, tailWord: tailWord, exact: NoiseMath.bandReciprocalExponential) {
                i, value in
                r[i] = value
                bandElement(i)
            }
        }
        return result
    }

    /// `NoiseMath.reciprocalExponentials` in the job's mapping.
    @inline(__always)
    private static func reciprocalExponentials(
        _ job: SamplingJob, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>, count: Int,
        logits: UnsafePointer<Float>
    ) -> (maximum: Float, invalid: Bool, banded: Bool) {
        // One specialisation per mapping (see `NoiseMath.perturb`).
        switch job.mapping {
        case .centered:
            NoiseMath.reciprocalExponentials(words, into: r, count: count, mapping: .centered, logits: logits)
        case .jaxTiny:
            NoiseMath.reciprocalExponentials(words, into: r, count: count, mapping: .jaxTiny, logits: logits)
        }
    }

    /// The reference a band element's term needs to stay at most about 1: `l + ln(c / E)`, in
    /// Double. Near `U = 1`, `(c / E)^n` reaches `2^122`.
    @inline(__always)
    private static func bandReference(logit: Float, reciprocal: Float, form: PowerForm) -> Float {
        Float(Double(logit) + log(Double(form.scale) * Double(reciprocal)))
    }

    /// `1 / E` for the `count` elements from flat index `element`, all of one row in power form
    /// `form`, into `r` (see `reciprocals(_:element:count:words:into:bandElement:)`); returns the
    /// reference of the stretch, whether a logit is NaN or `+inf`, and whether some word lay in a
    /// tail band.
    ///
    /// The reference is the largest logit, raised to `bandReference` where a band word's term
    /// would exceed 1. This happens only in rows holding a band word, depends only on the row's
    /// own words and logits, and leaves other rows' bits alone.
    // Not inlined: see `storeExponentials`.
    @inline(never)
    static func reciprocals(
        _ job: SamplingJob, element: Int, count: Int, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        form: PowerForm
    ) -> (reference: Float, invalid: Bool, banded: Bool) {
        let logits = job.logits + element
        var raised = -Float.infinity
        let result = reciprocals(job, element: element, count: count, words: words, into: r) { i in
            let reference = bandReference(logit: logits[i], reciprocal: r[i], form: form)
            if reference > raised { raised = reference }
        }
        return (raised > result.maximum ? raised : result.maximum, result.invalid, result.banded)
    }

    /// `1 / E` for the whole rows `rows` into `r`, each row in its own power form: raises
    /// `references[row - rows.lowerBound]` (which the caller fills) to the `bandReference` of
    /// each of the row's band elements. Returns whether some word lay in a tail band; the caller
    /// checks each row's logits itself.
    @inline(__always)
    static func reciprocals(
        _ job: SamplingJob, rows: Range<Int>, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        raising references: UnsafeMutablePointer<Float>
    ) -> Bool {
        reciprocals(job, rows: rows, words: words, into: r, references: references, logitMaxima: false).banded
    }

    /// `reciprocals(_:rows:words:into:raising:)` for rows a multiple of the bulk width long, in
    /// the avx512 tier: each row's reference starts at its largest logit, taken in the same pass
    /// (Noise/RowMaxima.swift), before it is raised. Returns whether some word lay in a tail band
    /// and whether every logit is below `+inf` and none NaN (false also when their sum
    /// overflows: then the caller checks each row's logits itself).
    @inline(__always)
    static func reciprocals(
        _ job: SamplingJob, rows: Range<Int>, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        takingLogitMaximaInto references: UnsafeMutablePointer<Float>
    ) -> (banded: Bool, valid: Bool) {
        reciprocals(job, rows: rows, words: words, into: r, references: references, logitMaxima: true)
    }

    // Constant `logitMaxima` in each caller: without it, the group's logit check of the bulk
    // loop is dead code.
    @inline(__always)
    private static func reciprocals(
        _ job: SamplingJob, rows: Range<Int>, words: UnsafePointer<UInt32>, into r: UnsafeMutablePointer<Float>,
        references: UnsafeMutablePointer<Float>, logitMaxima: Bool
    ) -> (banded: Bool, valid: Bool) {
        let columns = job.columns
        let element = rows.lowerBound * columns
        let logits = job.logits + element
        let result = reciprocals(
            job, element: element, count: rows.count * columns, words: words, into: r,
            rowMaxima: logitMaxima ? (columns, references) : nil
        ) { i in
            let row = i / columns
            let form = job.powerForm(row: rows.lowerBound + row)!
            let reference = bandReference(logit: logits[i], reciprocal: r[i], form: form)
            if reference > references[row] { references[row] = reference }
        }
        return (result.banded, !result.invalid)
    }

    /// Recomputes the power form's terms of the band words among `count` elements in Double and
    /// returns what that adds to their sum, given their reciprocals `r = 1 / E`.
    ///
    /// A term is `exp((l - reference) n) (c / E)^n`, two factors that the vector loop multiplies
    /// in Float: near `U = 1` the second reaches `2^122` and can carry the row while the first is
    /// below Float's range (an element 44 below the largest logit at temperature 0.5). Other terms
    /// have `(c / E)^n <= 2^24`, so when their first factor underflows they are below `2^-102` of
    /// the row.
    static func exactBandTerms(
        words: UnsafePointer<UInt32>, logits: UnsafePointer<Float>, reciprocals r: UnsafePointer<Float>,
        terms y: UnsafeMutablePointer<Float>, count: Int, reference: Float, form: PowerForm
    ) -> Double {
        exactBandTerms(words: words, logits: logits, terms: y, count: count, reference: reference, form: form) {
            form.exactFactor(r[$0])
        }
    }

    /// `exactBandTerms(words:logits:reciprocals:terms:count:reference:form:)` given the factors
    /// `f = (c / E)^n` (rounded to Float) instead of the reciprocals.
    static func exactBandTerms(
        words: UnsafePointer<UInt32>, logits: UnsafePointer<Float>, factors f: UnsafePointer<Float>,
        terms y: UnsafeMutablePointer<Float>, count: Int, reference: Float, form: PowerForm
    ) -> Double {
        exactBandTerms(words: words, logits: logits, terms: y, count: count, reference: reference, form: form) {
            Double(f[$0])
        }
    }

    @inline(__always)
    private static func exactBandTerms(
        words: UnsafePointer<UInt32>, logits: UnsafePointer<Float>, terms y: UnsafeMutablePointer<Float>, count: Int,
        reference: Float, form: PowerForm, factor: (Int) -> Double
    ) -> Double {
        var added = 0.0
        let n = Double(form.exponent)
        NoiseMath.forEachBandWord(words, count: count) { i in
            let exact = Float(exp((Double(logits[i]) - Double(reference)) * n) * factor(i))
            added += Double(exact) - Double(y[i])
            y[i] = exact
        }
        return added
    }
}
