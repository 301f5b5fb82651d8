/// Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as in Random123.
///
/// A generator is named by a 64-bit `seed` (the key, `(lo32(seed), hi32(seed))`) and a 64-bit
/// `stream`. Its output is one endless sequence of 32-bit words: word `p` is lane `p % 4` of the
/// block with counter `(lo32(p / 4), hi32(p / 4), lo32(stream), hi32(stream))`. The generator
/// remembers a `position`; drawing `n` words advances it by exactly `n`, and setting `position`
/// jumps anywhere in O(1).
///
/// As a `RandomNumberGenerator`, `next()` returns word `p` in the low 32 bits and word `p + 1` in
/// the high 32 bits, and advances by 2.
///
/// `PhiloxGenerator` is a value type and `Sendable`: copies are independent. Do not share one
/// variable between threads; give each thread its own copy (sampling functions do this for you).
public struct PhiloxGenerator: CounterBasedRandomGenerator, Hashable {
    /// The 64-bit key.
    public let seed: UInt64
    /// The 64-bit stream number (counter words 2 and 3).
    public let stream: UInt64
    /// The position of the next word.
    public var position: UInt64

    public static var uniformMapping: UniformMapping { .centered }

    /// Creates a generator.
    ///
    /// - Parameters:
    ///   - seed: The key; `(lo32(seed), hi32(seed))`.
    ///   - stream: The stream number; independent streams for the same seed.
    ///   - position: The first word to produce.
    public init(seed: UInt64, stream: UInt64 = 0, position: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
        self.position = position
    }

    /// The word at `position`, without changing the generator.
    public func word(at position: UInt64) -> UInt32 {
        Philox.word(seed: seed, stream: stream, position: position, tailBit: 0)
    }

    /// The tail word of `position`: lane `position % 4` of the block with counter
    /// `(lo32(position / 4), hi32(position / 4) + 2^31, lo32(stream), hi32(stream))` (SPEC section
    /// 1). Since `hi32(position / 4) < 2^30`, no word of any stream is a tail word.
    public func tailWord(at position: UInt64) -> UInt32 {
        Philox.tailWord(seed: seed, stream: stream, position: position)
    }

    /// Writes words `position ..< position + buffer.count` into `buffer`.
    ///
    /// - Complexity: O(`buffer.count`); four, sixteen or thirty-two blocks (by build tier) are
    ///   computed at a time in SIMD lanes.
    public func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        Philox.fill(seed: seed, stream: stream, position: position, count: buffer.count, into: base)
    }
}

/// The Philox4x32-10 bijection, scalar and in SIMD lanes.
enum Philox {
    static let multiplier0: UInt32 = 0xD251_1F53
    static let multiplier1: UInt32 = 0xCD9E_8D57
    static let weyl0: UInt32 = 0x9E37_79B9
    static let weyl1: UInt32 = 0xBB67_AE85

    /// The tail word of `position` of stream `(seed, stream)`: one scalar block.
    static func tailWord(seed: UInt64, stream: UInt64, position: UInt64) -> UInt32 {
        word(seed: seed, stream: stream, position: position, tailBit: 0x8000_0000)
    }

    /// Lane `position % 4` of the block with counter `(lo32(position / 4), hi32(position / 4) |
    /// tailBit, lo32(stream), hi32(stream))`: the word of `position` (`tailBit` 0) or its tail word
    /// (`tailBit` 2^31; SPEC section 1).
    static func word(seed: UInt64, stream: UInt64, position: UInt64, tailBit: UInt32) -> UInt32 {
        let block = Philox.block(
            counter: (
                UInt32(truncatingIfNeeded: position >> 2), UInt32(truncatingIfNeeded: position >> 34) | tailBit,
                UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)
            ),
            key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        switch position & 3 {
        case 0: return block.0
        case 1: return block.1
        case 2: return block.2
        default: return block.3
        }
    }

    /// One Philox4x32-10 block: 10 rounds, the key bumped between rounds.
    static func block(
        counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            if round > 0 {
                k0 &+= weyl0
                k1 &+= weyl1
            }
            let p0 = UInt64(multiplier0) &* UInt64(c0)
            let p1 = UInt64(multiplier1) &* UInt64(c2)
            (c0, c1, c2, c3) = (
                UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0, UInt32(truncatingIfNeeded: p1),
                UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1, UInt32(truncatingIfNeeded: p0)
            )
        }
        return (c0, c1, c2, c3)
    }

    // Blocks per batch. More 64-bit lanes give the out-of-order core more independent chains per
    // instruction: with AVX2, eight blocks ran the noise 25% faster than four, and sixteen (four
    // registers per counter word, some of them spilled) a whole sample another 5 to 14% faster
    // than eight on most standard shapes (`make bench-compare`); with AVX-512 (32
    // registers of 8 lanes) sixteen took 0.96 to 0.72 ns/word, and the bulk loop's two batches at
    // a time (`LanePair`, 24 of the registers) a sample another 7 to 16% less on the in-cache
    // shapes, three (`LaneTriple`) up to 6% more (docs/benchmarks.md, "Levers measured").
    // SSE2's 16 registers of two lanes spill badly beyond four (eight: 40% slower), and Swift
    // cannot ask which the build targets: the tier flags (Scripts/build/tier-flags) define
    // GUMBEL_SOFTMAX_WIDE_VECTORS or GUMBEL_SOFTMAX_AVX512 together with `-target-cpu`.
    #if GUMBEL_SOFTMAX_AVX512 || GUMBEL_SOFTMAX_WIDE_VECTORS
        typealias Lanes = UInt64x16
    #else
        typealias Lanes = SIMD4<UInt64>
    #endif

    /// One batch of blocks, `Lanes.scalarCount` (four, or sixteen in the avx2 and avx512 tiers),
    /// one per 64-bit lane holding a zero-extended 32-bit word, so that `&*` is a 32x32->64
    /// multiply (`pmuludq`). Returns the words packed in pairs per block: `(w0 | w1 << 32,
    /// w2 | w3 << 32)`.
    @inline(__always)
    static func blockBatch(
        blockIndex: Lanes, stream2: Lanes, stream3: Lanes, keys: UnsafePointer<(UInt64, UInt64)>
    ) -> (Lanes, Lanes) {
        blockBatch(blockIndex: blockIndex, stream2: stream2, stream3: stream3) {
            (Lanes(repeating: keys[$0].0), Lanes(repeating: keys[$0].1))
        }
    }

    /// `blockBatch` in any lanes, the round keys from `key(round)`.
    @inline(__always)
    static func blockBatch<L: PhiloxLanes>(
        blockIndex: L, stream2: L, stream3: L, key: (Int) -> (L, L)
    ) -> (L, L) {
        typealias Lanes = L
        let low32 = Lanes(repeating: 0xFFFF_FFFF)  // a literal, not a global: LLVM must see its bits
        var c0 = blockIndex & low32
        var c1 = blockIndex &>> 32
        var c2 = stream2
        var c3 = stream3
        // Unrolled. Each multiplicand is masked to 32 bits so LLVM emits one `pmuludq` (which
        // reads only the low halves, so the masks cost nothing); the low words of the products
        // are carried unmasked, their high halves are garbage that only the next multiply's
        // mask or the final packing sees.
        @inline(__always) func round(_ key: (Lanes, Lanes)) {
            let p0 = Lanes(repeating: UInt64(multiplier0)) &* (c0 & low32)
            let p1 = Lanes(repeating: UInt64(multiplier1)) &* (c2 & low32)
            c0 = (p1 &>> 32) ^ c1 ^ key.0
            c2 = (p0 &>> 32) ^ c3 ^ key.1
            c1 = p1
            c3 = p0
        }
        round(key(0))
        round(key(1))
        round(key(2))
        round(key(3))
        round(key(4))
        round(key(5))
        round(key(6))
        round(key(7))
        round(key(8))
        round(key(9))
        return ((c0 & low32) | c1 &<< 32, (c2 & low32) | c3 &<< 32)
    }

    /// Words per batch of blocks.
    @inline(__always) static var batchWords: Int { 4 * Lanes.scalarCount }

    /// Stores a batch of blocks' words, in order, at `out`.
    @inline(__always)
    static func store(_ pairs: (Lanes, Lanes), to out: UnsafeMutablePointer<UInt32>) {
        let raw = UnsafeMutableRawPointer(out)
        #if GUMBEL_SOFTMAX_AVX512 || GUMBEL_SOFTMAX_WIDE_VECTORS
            // In halves of eight: a sixteen-step loop is not unrolled, and LLVM then sinks the last
            // round into it and reads lanes through the stack.
            let (a, b) = (pairs.0.simd, pairs.1.simd)
            interleave(a.lowHalf, b.lowHalf, to: raw)
            interleave(a.highHalf, b.highHalf, to: raw + 128)
        #else
            interleave(pairs.0, pairs.1, to: raw)
        #endif
    }

    /// Stores `a[0], b[0], a[1], b[1], ...`. Element by element: LLVM turns this into
    /// unpack-and-store pairs, cheaper than the cross-lane permutes a vector initialiser from
    /// lanes of both compiles to.
    @inline(__always)
    static func interleave<V: SIMD>(_ a: V, _ b: V, to raw: UnsafeMutableRawPointer) where V.Scalar == UInt64 {
        for block in 0..<V.scalarCount {
            raw.storeBytes(of: a[block], toByteOffset: 16 * block, as: UInt64.self)
            raw.storeBytes(of: b[block], toByteOffset: 16 * block + 8, as: UInt64.self)
        }
    }

    /// Runs `body` with the ten round keys of `seed`, zero-extended, as scalars that the rounds
    /// splat (broadcast operands): 160 bytes, which `withUnsafeTemporaryAllocation` keeps on the
    /// stack. Splatted vectors took 2560 bytes in the avx2 and avx512 tiers, beyond its 1 KiB, so
    /// every fill of words called `malloc` and `free`, then 40 vector stores.
    @inline(__always)
    static func withRoundKeys<R>(seed: UInt64, _ body: (UnsafePointer<(UInt64, UInt64)>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: (UInt64, UInt64).self, capacity: 10) { keys in
            var k0 = UInt32(truncatingIfNeeded: seed)
            var k1 = UInt32(truncatingIfNeeded: seed >> 32)
            for round in 0..<10 {
                if round > 0 {
                    k0 &+= weyl0
                    k1 &+= weyl1
                }
                keys[round] = (UInt64(k0), UInt64(k1))
            }
            return body(UnsafePointer(keys.baseAddress!))
        }
    }

    /// Writes `count` words of stream `(seed, stream)` from `position` on to `out`.
    static func fill(seed: UInt64, stream: UInt64, position: UInt64, count: Int, into out: UnsafeMutablePointer<UInt32>)
    {
        withRoundKeys(seed: seed) { keys in
            fill(keys: keys, stream: stream, position: position, count: count, into: out)
        }
    }

    private static func fill(
        keys keyPointer: UnsafePointer<(UInt64, UInt64)>, stream: UInt64, position: UInt64, count: Int,
        into out: UnsafeMutablePointer<UInt32>
    ) {
        let stream2 = Lanes(repeating: stream & 0xFFFF_FFFF)
        let stream3 = Lanes(repeating: stream >> 32)
        let blockMask = Lanes(repeating: (1 << 62) - 1)
        var laneOffsets = Lanes()
        for lane in 0..<Lanes.scalarCount { laneOffsets[lane] = UInt64(lane) }
        var block = position >> 2
        var written = 0
        // A partial first batch, then whole batches straight into `out`, then the tail.
        let skip = Int(position & 3)
        var staging = (Lanes(), Lanes(), Lanes(), Lanes())  // room for a batch: 4 words per block
        if skip != 0 || count < batchWords {
            let pairs = blockBatch(
                blockIndex: (Lanes(repeating: block) &+ laneOffsets) & blockMask, stream2: stream2, stream3: stream3,
                keys: keyPointer)
            let take = Swift.min(batchWords - skip, count)
            withUnsafeMutableBytes(of: &staging) { raw in
                let words = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                store(pairs, to: words)
                out.update(from: words + skip, count: take)
            }
            written = take
            block &+= UInt64(Lanes.scalarCount)
        }
        #if GUMBEL_SOFTMAX_AVX512
            // Three batches at a time, as one of three times the lanes, then two, then one: each
            // round's instructions for all of them follow one another, independent chains where one
            // batch's rounds leave the core waiting on the latency of each round's multiply, shift
            // and xor (3 + 2 + 2 cycles on Zen 5). Two batches took a sample 7 to 16% less time
            // than one on the in-cache shapes; three, 24 of the 32 registers for the counter words
            // and a few spills, up to 6% more (docs/benchmarks.md, "Levers measured").
            let thriceStream2 = LaneTriple(stream2, stream2, stream2)
            let thriceStream3 = LaneTriple(stream3, stream3, stream3)
            while count - written >= 3 * batchWords {
                let first = (Lanes(repeating: block) &+ laneOffsets) & blockMask
                let second = (Lanes(repeating: block &+ UInt64(Lanes.scalarCount)) &+ laneOffsets) & blockMask
                let third = (Lanes(repeating: block &+ UInt64(2 * Lanes.scalarCount)) &+ laneOffsets) & blockMask
                let pairs = blockBatch(
                    blockIndex: LaneTriple(first, second, third), stream2: thriceStream2, stream3: thriceStream3
                ) { round in
                    let (k0, k1) = keyPointer[round]
                    return (LaneTriple(repeating: k0), LaneTriple(repeating: k1))
                }
                store((pairs.0.a, pairs.1.a), to: out + written)
                store((pairs.0.b, pairs.1.b), to: out + written + batchWords)
                store((pairs.0.c, pairs.1.c), to: out + written + 2 * batchWords)
                written += 3 * batchWords
                block &+= UInt64(3 * Lanes.scalarCount)
            }
            let twiceStream2 = LanePair(stream2, stream2)
            let twiceStream3 = LanePair(stream3, stream3)
            while count - written >= 2 * batchWords {
                let first = (Lanes(repeating: block) &+ laneOffsets) & blockMask
                let second = (Lanes(repeating: block &+ UInt64(Lanes.scalarCount)) &+ laneOffsets) & blockMask
                let pairs = blockBatch(
                    blockIndex: LanePair(first, second), stream2: twiceStream2, stream3: twiceStream3
                ) { round in
                    let (k0, k1) = keyPointer[round]
                    return (LanePair(repeating: k0), LanePair(repeating: k1))
                }
                store((pairs.0.low, pairs.1.low), to: out + written)
                store((pairs.0.high, pairs.1.high), to: out + written + batchWords)
                written += 2 * batchWords
                block &+= UInt64(2 * Lanes.scalarCount)
            }
        #endif
        while count - written >= batchWords {
            let pairs = blockBatch(
                blockIndex: (Lanes(repeating: block) &+ laneOffsets) & blockMask, stream2: stream2, stream3: stream3,
                keys: keyPointer)
            store(pairs, to: out + written)
            written += batchWords
            block &+= UInt64(Lanes.scalarCount)
        }
        if written < count {
            let pairs = blockBatch(
                blockIndex: (Lanes(repeating: block) &+ laneOffsets) & blockMask, stream2: stream2, stream3: stream3,
                keys: keyPointer)
            withUnsafeMutableBytes(of: &staging) { raw in
                let words = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                store(pairs, to: words)
                (out + written).update(from: words, count: count - written)
            }
        }
    }
}

/// The lane vectors Philox's batches run in: 64-bit lanes, each holding a zero-extended 32-bit word
/// (`SIMD4<UInt64>`, `UInt64x16`, or two of them side by side).
protocol PhiloxLanes {
    init(repeating value: UInt64)
    static func &* (a: Self, b: Self) -> Self
    static func & (a: Self, b: Self) -> Self
    static func | (a: Self, b: Self) -> Self
    static func ^ (a: Self, b: Self) -> Self
    static func &>> (a: Self, b: UInt64) -> Self
    static func &<< (a: Self, b: UInt64) -> Self
}

extension SIMD4: PhiloxLanes where Scalar == UInt64 {}
extension UInt64x16: PhiloxLanes {}

/// Two lane vectors side by side: every operation is issued on both, two independent chains.
struct LanePair<Half: PhiloxLanes>: PhiloxLanes {
    var low: Half
    var high: Half

    @_transparent init(_ low: Half, _ high: Half) {
        self.low = low
        self.high = high
    }
    @_transparent init(repeating value: UInt64) { self.init(Half(repeating: value), Half(repeating: value)) }
    @_transparent static func &* (a: Self, b: Self) -> Self { Self(a.low &* b.low, a.high &* b.high) }
    @_transparent static func & (a: Self, b: Self) -> Self { Self(a.low & b.low, a.high & b.high) }
    @_transparent static func | (a: Self, b: Self) -> Self { Self(a.low | b.low, a.high | b.high) }
    @_transparent static func ^ (a: Self, b: Self) -> Self { Self(a.low ^ b.low, a.high ^ b.high) }
    @_transparent static func &>> (a: Self, b: UInt64) -> Self { Self(a.low &>> b, a.high &>> b) }
    @_transparent static func &<< (a: Self, b: UInt64) -> Self { Self(a.low &<< b, a.high &<< b) }
}

/// Three lane vectors side by side: every operation is issued on all three, three independent
/// chains.
struct LaneTriple<Part: PhiloxLanes>: PhiloxLanes {
    var a: Part
    var b: Part
    var c: Part

    @_transparent init(_ a: Part, _ b: Part, _ c: Part) {
        self.a = a
        self.b = b
        self.c = c
    }
    @_transparent init(repeating value: UInt64) {
        self.init(Part(repeating: value), Part(repeating: value), Part(repeating: value))
    }
    @_transparent static func &* (x: Self, y: Self) -> Self { Self(x.a &* y.a, x.b &* y.b, x.c &* y.c) }
    @_transparent static func & (x: Self, y: Self) -> Self { Self(x.a & y.a, x.b & y.b, x.c & y.c) }
    @_transparent static func | (x: Self, y: Self) -> Self { Self(x.a | y.a, x.b | y.b, x.c | y.c) }
    @_transparent static func ^ (x: Self, y: Self) -> Self { Self(x.a ^ y.a, x.b ^ y.b, x.c ^ y.c) }
    @_transparent static func &>> (x: Self, y: UInt64) -> Self { Self(x.a &>> y, x.b &>> y, x.c &>> y) }
    @_transparent static func &<< (x: Self, y: UInt64) -> Self { Self(x.a &<< y, x.b &<< y, x.c &<< y) }
}
