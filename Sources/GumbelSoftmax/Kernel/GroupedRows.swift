// Rows of at most one tile, a group of them per work unit: perturbed together, then reduced phase
// by phase over the group rather than row by row. Done row by row, each row is a chain of
// dependent steps (a reduction, exponentials, a sum, a division) that leaves the core waiting on
// latencies when rows are short. Each row's arithmetic is the same wherever the row sits in the
// group, so grouping never changes a bit.

extension SamplingKernel {
    /// Rows `rows` (each at most one tile long), in the general form or, for soft output at
    /// temperature 1 or 1/2, the power form (`groupedPowerRows`). For rows of at least one bulk
    /// vector: every row's maximum, then every row's exp, store and sum in one pass, then every
    /// row's scaling; shorter rows: `rowsBelowBulkWidth`. Returns the first refused row, or nil.
    static func groupedRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        if job.kind == .soft {
            let first = job.powerForm(row: rows.lowerBound) != nil
            if job.rowInverseTemperatures != nil && rows.contains(where: { (job.powerForm(row: $0) != nil) != first }) {
                // Rows of both forms (per-row temperatures): one row at a time, each in its own form.
                for row in rows {
                    if let bad = groupedRows(job, rows: row..<row + 1, scratch: scratch) { return bad }
                }
                return nil
            }
            if first { return groupedPowerRows(job, rows: rows, scratch: scratch) }
        }
        let k = job.columns
        let count = rows.count
        let taken = perturbTakingMaxima(job, element: rows.lowerBound * k, rows: count, columns: k, scratch: scratch)
        if (job.kind == .soft || job.kind == .log) && k < WideFloatLanes.count {
            return rowsBelowBulkWidth(job, rows: rows, scratch: scratch)
        }
        let d = UnsafePointer(scratch.perturbed)
        let maxima = scratch.maxima
        if taken {
            for r in 0..<count where maxima[r] == -.infinity { return rows.lowerBound + r }
        } else {
            for r in 0..<count {
                let (m, invalid) = RowReduce.max(d + r * k, count: k)
                if invalid || m == -.infinity { return rows.lowerBound + r }
                maxima[r] = m
            }
        }
        switch job.kind {
        case .soft, .log:
            let y = job.output! + rows.lowerBound * k
            for r in 0..<count {
                let invT = job.inverseTemperature(row: rows.lowerBound + r)
                scratch.sums[r] = RowReduce.expSum(
                    d + r * k, count: k, reference: maxima[r], scale: invT,
                    storingTo: job.kind == .soft ? y + r * k : nil)
            }
            if job.kind == .soft {
                for r in 0..<count {
                    scale(
                        y + r * k, count: k, by: Float(1 / scratch.sums[r]),
                        blasMinimum: job.configuration.blasScaleMinimum)
                }
            } else {
                for r in 0..<count {
                    let shift = FloatLanes(repeating: maxima[r])
                    let t = FloatLanes(repeating: job.inverseTemperature(row: rows.lowerBound + r))
                    let logSum = FloatLanes(repeating: logOf(scratch.sums[r]))
                    mapLanes(d + r * k, y + r * k, count: k) { ($0 - shift) * t - logSum }
                }
            }
        case .hard:
            let y = job.output! + rows.lowerBound * k
            y.update(repeating: 0, count: count * k)
            for r in 0..<count {
                y[r * k + RowReduce.argmax(d + r * k, count: k, max: maxima[r])] = 1
            }
        case .categorical:
            for r in 0..<count {
                job.indices![rows.lowerBound + r] = RowReduce.argmax(d + r * k, count: k, max: maxima[r])
            }
        }
        return nil
    }

    /// Soft or log output of rows shorter than one bulk vector, already perturbed: each row's
    /// maximum and `z = (d - max) / T` into the scratch's terms; then `exp` over the whole group
    /// at once (no per-row chains); then each row's sum and its scaling (soft output:
    /// `normalizeRows`).
    @inline(__always)
    private static func rowsBelowBulkWidth(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        let k = job.columns
        let count = rows.count
        let z = scratch.terms
        if let bad = shiftRows(
            scratch.perturbed, into: z, columns: k, count: count, job: job, firstRow: rows.lowerBound)
        {
            return rows.lowerBound + bad
        }
        let y = job.output! + rows.lowerBound * k
        if job.kind == .soft {
            storeExponentials(of: UnsafePointer(z), into: z, count: count * k)
            normalizeRows(z, into: y, columns: k, count: count)
            return nil
        }
        storeExponentials(of: UnsafePointer(z), into: y, count: count * k)
        for r in 0..<count {
            let logSum = FloatLanes(repeating: logOf(RowReduce.sum(y + r * k, count: k)))
            mapLanes(z + r * k, y + r * k, count: k) { $0 - logSum }
        }
        return nil
    }

    // The row passes of rows shorter than one bulk vector read and write each row's last partial
    // vector as a whole vector (`loadOver`, `store8`) where the eight floats lie in this group:
    // always in the scratch, which has room past the tile; in the caller's buffers wherever they
    // end before the group's last element (rows shorter than four spill past the next row). A
    // pass writes rows in order to a buffer it does not read, so the next rows' stores replace
    // what spills past a row (and no load waits on an overlapping store). The lanes inside the
    // row get the arithmetic of `loadLanes` and `storeLanes`, so the bits are theirs. With AVX-512,
    // rows shorter than 16 go two at a time, one row per half of a 16-lane vector (`RowPairLanes`):
    // each half gets its row's operations in its row's order, and row a's last vector is stored
    // before row b's, so the pairs leave the bits and the writes of single rows.

    /// `z = (d - max) * t` for `count` rows of `columns` floats `d` in the scratch, into `z` (the
    /// scratch's terms), with `t` each row's inverse temperature. Returns the index of the first
    /// row holding a NaN or `+inf` or only `-inf`, or nil.
    @inline(never)
    private static func shiftRows(
        _ d: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, columns k: Int, count: Int, job: SamplingJob,
        firstRow: Int
    ) -> Int? {
        #if GUMBEL_SOFTMAX_AVX512
            let (paired, refused) =
                k < 16
                ? shiftRowPairs(d, into: z, columns: k, count: count, job: job, firstRow: firstRow)
                : k == 16 && job.kind == .soft
                    ? (shiftSixteenRowBlocks(d, into: z, count: count, job: job, firstRow: firstRow), nil) : (0, nil)
            if let refused { return refused }
        #else
            let paired = 0
        #endif
        for r in paired..<count {
            let (source, target) = (d + r * k, z + r * k)
            let (m, invalid) = RowReduce.maxLanes(source, count: k, overRead: true)
            if invalid || m[0] == -.infinity { return r }
            let t = FloatLanes(repeating: job.inverseTemperature(row: firstRow + r))
            var j = 0
            while j + 8 <= k {
                store8((load8(source + j) - m) * t, target + j)
                j += 8
            }
            if j < k { store8((loadOver(source + j, count: k - j, padding: 0) - m) * t, target + j) }
        }
        return nil
    }

    #if GUMBEL_SOFTMAX_AVX512
        /// `shiftRows` of rows of 16, soft output, sixteen rows at a time (`SixteenRows`): the
        /// number of rows done. A block holding a NaN or `+inf`, or a row of only `-inf`, stops
        /// it there, and the row loop finds the refused row. Each row is shifted by lane 0 of its
        /// maximum in all lanes, where `maxLanes` gives lanes that can differ from it in the sign
        /// of a zero (two largest values `+0` and `-0`): the terms then differ only in that sign,
        /// and `exp` gives both the same bits, so the soft output is that of the row loop (the log
        /// output would not be: it keeps the row loop).
        @inline(never)
        private static func shiftSixteenRowBlocks(
            _ d: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, count: Int, job: SamplingJob,
            firstRow: Int
        ) -> Int {
            let perRow = job.rowInverseTemperatures.map { $0 + firstRow }
            let shared = SixteenRows.Lanes(repeating: job.inverseTemperature)
            var r = 0
            while r &+ 16 <= count {
                let x = d + 16 &* r
                let (m, finite) = SixteenRows.maxima(x)
                if !finite || SixteenRows.anyNegativeInfinity(m) { return r }
                let y = z + 16 &* r
                for i in 0..<16 {
                    let t = if let perRow { SixteenRows.Lanes(repeating: perRow[r &+ i]) } else { shared }
                    let shift = SixteenRows.Lanes(repeating: m[i])
                    SixteenRows.store(
                        SixteenRows.multiply(SixteenRows.subtract(SixteenRows.row(x, i), shift), t), y, row: i)
                }
                r &+= 16
            }
            return r
        }

        /// `shiftRows` of rows shorter than 16, two at a time while two remain: the number of rows
        /// done, and the first refused row if any.
        @inline(never)
        private static func shiftRowPairs(
            _ d: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, columns k: Int, count: Int,
            job: SamplingJob, firstRow: Int
        ) -> (paired: Int, refused: Int?) {
            if k > 8 { return shiftShortRowPairs(d, into: z, columns: k, count: count, job: job, firstRow: firstRow) }
            var r = 0
            while r + 2 <= count {
                let (a, b) = (d + r * k, d + (r + 1) * k)
                let (m, invalidA, invalidB) = RowReduce.maxLanes(a, b, count: k)
                if invalidA || m.a[0] == -.infinity { return (r, r) }
                if invalidB || m.b[0] == -.infinity { return (r, r + 1) }
                let t = RowPairLanes(
                    job.inverseTemperature(row: firstRow + r), job.inverseTemperature(row: firstRow + r + 1))
                RowPairLanes.storeShifted(a, b, count: k, by: m, times: t, into: z + r * k, z + (r + 1) * k)
                r += 2
            }
            return (r, nil)
        }

        /// `shiftRowPairs` of rows of `9 ..< 16` floats: one full vector and a partial one each,
        /// the pair's pointers carried from pair to pair and, with one temperature for the group,
        /// its lanes made once.
        @inline(never)
        private static func shiftShortRowPairs(
            _ d: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, columns k: Int, count: Int,
            job: SamplingJob, firstRow: Int
        ) -> (paired: Int, refused: Int?) {
            let padding = ShortRowPair.padding(columns: k)
            let perRow = job.rowInverseTemperatures.map { $0 + firstRow }
            let shared = RowPairLanes(job.inverseTemperature, job.inverseTemperature)
            var (a, u) = (d, z)
            var r = 0
            while r &+ 2 <= count {
                let pair = ShortRowPair(a: a, b: a + k, padding: padding)
                let (m, invalidA, invalidB) = pair.maxLanes()
                if invalidA || m.a[0] == -.infinity { return (r, r) }
                if invalidB || m.b[0] == -.infinity { return (r, r &+ 1) }
                let t = if let perRow { RowPairLanes(perRow[r], perRow[r &+ 1]) } else { shared }
                pair.storeShifted(by: m, times: t, into: u, columns: k)
                (a, u) = (a + 2 &* k, u + 2 &* k)
                r &+= 2
            }
            return (r, nil)
        }
    #endif

    /// `y = x / sum(x)` row by row for `count` rows of `columns` terms `x` in the scratch, `y` the
    /// group's output (each row's last vector written whole where it ends inside the group: the
    /// next rows' stores replace what spills into them).
    @inline(never)
    private static func normalizeRows(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, columns k: Int, count: Int
    ) {
        #if GUMBEL_SOFTMAX_AVX512
            let paired =
                k < 16
                ? normalizeRowPairs(x, into: y, columns: k, count: count)
                : k == 16 ? normalizeSixteenRowBlocks(x, into: y, count: count) : 0
        #else
            let paired = 0
        #endif
        for r in paired..<count {
            let (source, target) = (x + r * k, y + r * k)
            let f = FloatLanes(repeating: Float(1 / RowReduce.sum(source, count: k, overRead: true)))
            var j = 0
            while j + 8 <= k {
                store8(load8(source + j) * f, target + j)
                j += 8
            }
            if j < k {
                let v = loadOver(source + j, count: k - j, padding: 0) * f
                if (r * k + j) + 8 <= count * k {
                    store8(v, target + j)
                } else {
                    storePartial(v, target + j, count: k - j)
                }
            }
        }
    }

    #if GUMBEL_SOFTMAX_AVX512
        /// `normalizeRows` of rows of 16, sixteen rows at a time (`SixteenRows`): the number of
        /// rows done.
        @inline(never)
        private static func normalizeSixteenRowBlocks(
            _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int
        ) -> Int {
            var r = 0
            while r &+ 16 <= count {
                let source = x + 16 &* r
                let f = SixteenRows.reciprocals(SixteenRows.sums(source))
                let target = y + 16 &* r
                for i in 0..<16 {
                    SixteenRows.store(
                        SixteenRows.multiply(SixteenRows.row(source, i), SixteenRows.Lanes(repeating: f[i])), target,
                        row: i)
                }
                r &+= 16
            }
            return r
        }

        /// `normalizeRows` of rows shorter than 16, two at a time while two remain: the number of
        /// rows done.
        @inline(never)
        private static func normalizeRowPairs(
            _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, columns k: Int, count: Int
        ) -> Int {
            if k > 8 { return normalizeShortRowPairs(x, into: y, columns: k, count: count) }
            var r = 0
            let full = k & ~7
            while r + 2 <= count {
                let (a, b) = (x + r * k, x + (r + 1) * k)
                let sums = RowReduce.sums(a, b, count: k)
                let f = RowPairLanes(Float(1 / sums.a), Float(1 / sums.b))
                let (u, v) = (y + r * k, y + (r + 1) * k)
                // Row a's last vector first: what it spills into row b, row b's stores replace.
                if full < k {
                    let tail = RowPairLanes.loadPadded(a + full, b + full, count: k - full, padding: 0) * f
                    if (r * k + full) + 8 <= count * k {
                        store8(tail.a, u + full)
                    } else {
                        storePartial(tail.a, u + full, count: k - full)
                    }
                    var j = 0
                    while j < full {
                        let p = RowPairLanes.load(a + j, b + j) * f
                        store8(p.a, u + j)
                        store8(p.b, v + j)
                        j += 8
                    }
                    if ((r + 1) * k + full) + 8 <= count * k {
                        store8(tail.b, v + full)
                    } else {
                        storePartial(tail.b, v + full, count: k - full)
                    }
                } else {
                    var j = 0
                    while j < full {
                        let p = RowPairLanes.load(a + j, b + j) * f
                        store8(p.a, u + j)
                        store8(p.b, v + j)
                        j += 8
                    }
                }
                r += 2
            }
            return r
        }

        /// `normalizeRowPairs` of rows of `9 ..< 16` floats, the pair's pointers carried from pair
        /// to pair. Row a's last vector ends inside the group (row b is at least nine floats long),
        /// and so does row b's unless it is the group's last row.
        @inline(never)
        private static func normalizeShortRowPairs(
            _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, columns k: Int, count: Int
        ) -> Int {
            let padding = ShortRowPair.padding(columns: k)
            var (a, u) = (x, y)
            var r = 0
            while r &+ 2 <= count {
                let pair = ShortRowPair(a: a, b: a + k, padding: padding)
                let sums = pair.sums()
                let f = RowPairLanes(Float(1 / sums.a), Float(1 / sums.b))
                let tail = pair.tail(padding: 0) * f
                let head = pair.head * f
                // Row a's last vector first: what it spills into row b, row b's stores replace.
                store8(tail.a, u + 8)
                store8(head.a, u)
                store8(head.b, u + k)
                if r &+ 2 < count {
                    store8(tail.b, u + k + 8)
                } else {
                    storePartial(tail.b, u + k + 8, count: k &- 8)
                }
                (a, u) = (a + 2 &* k, u + 2 &* k)
                r &+= 2
            }
            return r
        }
    #endif

    /// `groupedRows` for rows that all take the power form: `1 / E` for the group, then each
    /// row's largest logit `L`, then `w = exp((l - L) n) (c / E)^n` stored and summed, then the
    /// scaling. Rows shorter than one bulk vector: `powerRowsBelowBulkWidth`.
    private static func groupedPowerRows(_ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch) -> Int? {
        let k = job.columns
        let count = rows.count
        let first = rows.lowerBound * k
        job.words(first, UnsafeMutableBufferPointer(start: scratch.words, count: count * k))
        if k < WideFloatLanes.count { return powerRowsBelowBulkWidth(job, rows: rows, scratch: scratch) }
        let r = scratch.perturbed
        let logits = job.logits + first
        let y = job.output! + first
        let maxima = scratch.maxima
        // Rows a multiple of the bulk width long take their largest logits in the `1 / E` pass.
        let banded: Bool
        var taken = false
        if NoiseMath.takesRowMaxima && k % WideFloatLanes.count == 0 {
            (banded, taken) = reciprocals(job, rows: rows, words: scratch.words, into: r, takingLogitMaximaInto: maxima)
        } else {
            maxima.update(repeating: -.infinity, count: count)
            banded = reciprocals(job, rows: rows, words: scratch.words, into: r, raising: maxima)
        }
        if taken {
            for i in 0..<count where maxima[i] == -.infinity { return rows.lowerBound + i }
        } else {
            for i in 0..<count {
                let (m, invalid) = RowReduce.max(logits + i * k, count: k)
                let reference = Swift.max(m, maxima[i])
                if invalid || reference == -.infinity { return rows.lowerBound + i }
                maxima[i] = reference
            }
        }
        for i in 0..<count {
            let form = job.powerForm(row: rows.lowerBound + i)!
            scratch.sums[i] = form.storeTerms(
                logits: logits + i * k, reciprocals: r + i * k, count: k, reference: maxima[i], into: y + i * k)
            if banded {
                scratch.sums[i] += exactBandTerms(
                    words: scratch.words + i * k, logits: logits + i * k, reciprocals: r + i * k, terms: y + i * k,
                    count: k, reference: maxima[i], form: form)
            }
        }
        for i in 0..<count {
            scale(
                y + i * k, count: k, by: Float(1 / scratch.sums[i]), blasMinimum: job.configuration.blasScaleMinimum)
        }
        return nil
    }

    /// The power form of rows shorter than one bulk vector, given their words: each row's
    /// `(l - L) n` into the scratch's terms, then `exp` times the factor `(c / E)^n` over the whole
    /// group at once, then each row's sum and scaling (`normalizeRows`). Rows of both exponents
    /// may share the group (per-row temperatures): the reciprocals do not depend on the form, and
    /// the raised references take each row's own; with one temperature for the group, the factor
    /// is taken in the group's exponential loop rather than in a pass per row.
    private static func powerRowsBelowBulkWidth(
        _ job: SamplingJob, rows: Range<Int>, scratch: borrowing Scratch
    ) -> Int? {
        let k = job.columns
        let count = rows.count
        let first = rows.lowerBound * k
        let r = scratch.perturbed
        let w = scratch.terms
        let logits = job.logits + first
        let maxima = scratch.maxima
        maxima.update(repeating: -.infinity, count: count)
        let banded = reciprocals(job, rows: rows, words: scratch.words, into: r, raising: maxima)
        let shared = job.rowInverseTemperatures == nil ? job.powerForm(row: rows.lowerBound) : nil
        if let bad = powerArguments(job, rows: rows, into: w, references: maxima, factorsInto: shared == nil ? r : nil)
        {
            return bad
        }
        if let shared {
            exponentiate(w, timesFactorsOf: r, count: count * k, form: shared)
            // The band fix-up reads the factors: those of the band words, in Float as above.
            if banded { factorsOfBandWords(r, words: scratch.words, count: count * k, form: shared) }
        } else {
            exponentiate(w, times: r, count: count * k)
        }
        if banded {
            for i in 0..<count {
                _ = exactBandTerms(
                    words: scratch.words + i * k, logits: logits + i * k, factors: r + i * k, terms: w + i * k,
                    count: k, reference: maxima[i], form: job.powerForm(row: rows.lowerBound + i)!)
            }
        }
        normalizeRows(w, into: job.output! + first, columns: k, count: count)
        return nil
    }

    /// Each row's reference `L` (its largest logit, or the raised reference already in
    /// `references`) into `references` and `(l - L) n` into `w`; with `factors`, also each row's
    /// `(c r)^n` in place there. Returns the first row holding a NaN or `+inf` or only `-inf`.
    @inline(never)
    private static func powerArguments(
        _ job: SamplingJob, rows: Range<Int>, into w: UnsafeMutablePointer<Float>,
        references: UnsafeMutablePointer<Float>, factorsInto factors: UnsafeMutablePointer<Float>?
    ) -> Int? {
        let k = job.columns
        let count = rows.count
        #if GUMBEL_SOFTMAX_AVX512
            let (paired, refused) =
                k < 16 && factors == nil
                ? powerArgumentPairs(job, rows: rows, into: w, references: references)
                : k == 16 && factors == nil
                    ? (powerArgumentSixteenRowBlocks(job, rows: rows, into: w, references: references), nil) : (0, nil)
            if let refused { return refused }
        #else
            let paired = 0
        #endif
        for i in paired..<count {
            let l = job.logits + (rows.lowerBound + i) * k
            // Whether the floats after the row's last full vector reach past the group's end.
            let inside = i * k + (k & ~7) + 8 <= count * k
            let (m, invalid) = RowReduce.maxLanes(l, count: k, overRead: inside)
            if invalid || m[0] == -.infinity { return rows.lowerBound + i }
            references[i] = Swift.max(m[0], references[i])
            let reference = FloatLanes(repeating: references[i])
            let form = job.powerForm(row: rows.lowerBound + i)!
            let n = FloatLanes(repeating: Float(form.exponent))
            let x = w + i * k
            var j = 0
            while j + 8 <= k {
                store8((load8(l + j) - reference) * n, x + j)
                j += 8
            }
            if j < k {
                let tail =
                    inside ? loadOver(l + j, count: k - j, padding: 0) : loadPartial(l + j, count: k - j, padding: 0)
                store8((tail - reference) * n, x + j)
            }
            if let factors {
                mapLanes(factors + i * k, factors + i * k, count: k) { form.factor($0) }
            }
        }
        return nil
    }

    #if GUMBEL_SOFTMAX_AVX512
        /// `powerArguments` without factors of rows of 16, sixteen rows at a time
        /// (`SixteenRows`): the number of rows done. A block holding a NaN or `+inf`, or a row of
        /// only `-inf`, stops it there, and the row loop finds the refused row. The references
        /// are `Swift.max` of lane 0 of each row's maximum and the raised reference, as there.
        /// Without factors the group has one temperature (`powerRowsBelowBulkWidth`: per-row
        /// temperatures take the factors in this pass), so one exponent serves every row.
        @inline(never)
        private static func powerArgumentSixteenRowBlocks(
            _ job: SamplingJob, rows: Range<Int>, into w: UnsafeMutablePointer<Float>,
            references: UnsafeMutablePointer<Float>
        ) -> Int {
            assert(job.rowInverseTemperatures == nil, "per-row temperatures take the factors in powerArguments")
            let count = rows.count
            let n = SixteenRows.Lanes(repeating: Float(job.powerForm(row: rows.lowerBound)!.exponent))
            let logits = job.logits + rows.lowerBound &* 16
            var i = 0
            while i &+ 16 <= count {
                let x = logits + 16 &* i
                let (m, finite) = SixteenRows.maxima(x)
                if !finite || SixteenRows.anyNegativeInfinity(m) { return i }
                let raised = UnsafeRawPointer(references + i).loadUnaligned(as: SixteenRows.Lanes.self)
                let reference = SixteenRows.swiftMax(m, raised)
                UnsafeMutableRawPointer(references + i).storeBytes(of: reference, as: SixteenRows.Lanes.self)
                let y = w + 16 &* i
                for r in 0..<16 {
                    let shift = SixteenRows.Lanes(repeating: reference[r])
                    SixteenRows.store(
                        SixteenRows.multiply(SixteenRows.subtract(SixteenRows.row(x, r), shift), n), y, row: r)
                }
                i &+= 16
            }
            return i
        }

        /// `powerArguments` without factors of rows shorter than 16, two at a time while both
        /// rows' floats after their last full vector lie inside the group: the number of rows
        /// done, and the first refused row if any.
        @inline(never)
        private static func powerArgumentPairs(
            _ job: SamplingJob, rows: Range<Int>, into w: UnsafeMutablePointer<Float>,
            references: UnsafeMutablePointer<Float>
        ) -> (paired: Int, refused: Int?) {
            let k = job.columns
            let count = rows.count
            if k > 8 { return powerArgumentShortPairs(job, rows: rows, into: w, references: references) }
            var i = 0
            let full = k & ~7
            while i + 2 <= count && (i + 1) * k + full + 8 <= count * k {
                let (a, b) = (job.logits + (rows.lowerBound + i) * k, job.logits + (rows.lowerBound + i + 1) * k)
                let (m, invalidA, invalidB) = RowReduce.maxLanes(a, b, count: k)
                if invalidA || m.a[0] == -.infinity { return (i, rows.lowerBound + i) }
                if invalidB || m.b[0] == -.infinity { return (i, rows.lowerBound + i + 1) }
                references[i] = Swift.max(m.a[0], references[i])
                references[i + 1] = Swift.max(m.b[0], references[i + 1])
                let reference = RowPairLanes(references[i], references[i + 1])
                let n = RowPairLanes(
                    Float(job.powerForm(row: rows.lowerBound + i)!.exponent),
                    Float(job.powerForm(row: rows.lowerBound + i + 1)!.exponent))
                RowPairLanes.storeShifted(a, b, count: k, by: reference, times: n, into: w + i * k, w + (i + 1) * k)
                i += 2
            }
            return (i, nil)
        }

        /// `powerArgumentPairs` of rows of `9 ..< 16` floats, the pair's pointers carried from
        /// pair to pair and, with one temperature for the group, the exponent's lanes made once.
        /// Row b's floats after its full vector lie inside the group unless it is the group's last
        /// row, so the pairs stop before the last two rows.
        @inline(never)
        private static func powerArgumentShortPairs(
            _ job: SamplingJob, rows: Range<Int>, into w: UnsafeMutablePointer<Float>,
            references: UnsafeMutablePointer<Float>
        ) -> (paired: Int, refused: Int?) {
            let k = job.columns
            let count = rows.count
            let padding = ShortRowPair.padding(columns: k)
            let single = Float(job.powerForm(row: rows.lowerBound)!.exponent)
            let shared = RowPairLanes(single, single)
            var (a, u) = (job.logits + rows.lowerBound * k, w)
            var i = 0
            while i &+ 3 <= count {
                let pair = ShortRowPair(a: a, b: a + k, padding: padding)
                let (m, invalidA, invalidB) = pair.maxLanes()
                if invalidA || m.a[0] == -.infinity { return (i, rows.lowerBound &+ i) }
                if invalidB || m.b[0] == -.infinity { return (i, rows.lowerBound &+ i &+ 1) }
                references[i] = Swift.max(m.a[0], references[i])
                references[i &+ 1] = Swift.max(m.b[0], references[i &+ 1])
                let reference = RowPairLanes(references[i], references[i &+ 1])
                let n =
                    job.rowInverseTemperatures == nil
                    ? shared
                    : RowPairLanes(
                        Float(job.powerForm(row: rows.lowerBound &+ i)!.exponent),
                        Float(job.powerForm(row: rows.lowerBound &+ i &+ 1)!.exponent))
                pair.storeShifted(by: reference, times: n, into: u, columns: k)
                (a, u) = (a + 2 &* k, u + 2 &* k)
                i &+= 2
            }
            return (i, nil)
        }
    #endif

    /// Replaces the reciprocal `r[i]` of each band word among `count` by its factor `(c r)^n`,
    /// the Float lane arithmetic of `PowerForm.factor`.
    private static func factorsOfBandWords(
        _ r: UnsafeMutablePointer<Float>, words: UnsafePointer<UInt32>, count: Int, form: PowerForm
    ) {
        NoiseMath.forEachBandWord(words, count: count) { i in r[i] = form.factor(FloatLanes(repeating: r[i]))[0] }
    }

    /// `y[i] = exp(z[i])` for `z[i] <= 0`.
    // Not inlined, like `exponentiate` and the power form's `reciprocals`: inlined, it makes its
    // caller so large that the optimiser stops inlining the vector loads and stores there
    // (measured with callgrind: 2.6% more instructions in the group's pass).
    @inline(never)
    private static func storeExponentials(of z: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let blocks = Blocks(count: count)
        for i in blocks.wide {
            FastMath.expNonPositive(WideFloatLanes.load(z + i)).store(to: y + i)
        }
        for (i, n) in blocks.narrow {
            storeLanes(FastMath.expNonPositive(loadLanes(z + i, count: n, padding: -.infinity)), y + i, count: n)
        }
    }

    /// `y[i] = exp(y[i]) * factors[i]` for `y[i] <= 0`.
    @inline(never)
    private static func exponentiate(_ y: UnsafeMutablePointer<Float>, times factors: UnsafePointer<Float>, count: Int)
    {
        exponentiate(
            y, count: count, factor: { WideFloatLanes.load(factors + $0) },
            narrowFactor: { loadPartial(factors + $0, count: $1, padding: 0) })
    }

    /// `y[i] = exp(y[i]) * (c r[i])^n` for `y[i] <= 0`, in the power form `form`.
    @inline(never)
    private static func exponentiate(
        _ y: UnsafeMutablePointer<Float>, timesFactorsOf r: UnsafePointer<Float>, count: Int, form: PowerForm
    ) {
        exponentiate(
            y, count: count, factor: { form.factor(WideFloatLanes.load(r + $0)) },
            narrowFactor: { form.factor(loadPartial(r + $0, count: $1, padding: 0)) })
    }

    /// `y[i] = exp(y[i]) * f` for `y[i] <= 0`, `f` the factors of the wide block or of the narrow
    /// block at an index.
    @inline(__always)
    private static func exponentiate(
        _ y: UnsafeMutablePointer<Float>, count: Int, factor: (Int) -> WideFloatLanes,
        narrowFactor: (_ start: Int, _ count: Int) -> FloatLanes
    ) {
        let blocks = Blocks(count: count)
        for i in blocks.wide {
            let e = FastMath.expNonPositive(WideFloatLanes.load(y + i))
            (e * factor(i)).store(to: y + i)
        }
        for (i, n) in blocks.narrow {
            let e = FastMath.expNonPositive(loadPartial(y + i, count: n, padding: -.infinity))
            storePartial(e * narrowFactor(i, n), y + i, count: n)
        }
    }
}
