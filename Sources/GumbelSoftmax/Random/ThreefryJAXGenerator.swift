/// JAX's default random stream: Threefry-2x32 (Salmon et al. 2011) as `jax.random` uses it with
/// `jax_threefry_partitionable=True`, JAX's default since 0.5.0.
///
/// A generator holds a JAX key, two 32-bit words `(k0, k1)` (what `jax.random.key_data(key)`
/// shows). Word `p` of its stream is the 32-bit random value JAX draws for flat (row-major) element
/// `p` of any array shape: with `(o0, o1) = threefry2x32(key, (hi32(p), lo32(p)))`, the word is
/// `o0 ^ o1`. So the words `0 ..< n` are `jax.random.bits(key, shape, jnp.uint32).ravel()` for
/// any shape of `n` elements, bit for bit.
///
/// Its uniforms follow `jax.random.uniform(key, shape, minval: tiny, maxval: 1)` bit for bit
/// (``UniformMapping/jaxTiny``), and its Gumbel noise is `-log(-log(u))`, JAX's default
/// (`mode="low"`) `jax.random.gumbel` to within `2e-6 * max(1, |g|)`. Because every sampling
/// function of this package is generic over ``CounterBasedRandomGenerator``, passing this
/// generator to `GumbelSoftmax.sample` or `GumbelSoftmax.categorical` at position 0 reproduces
/// `jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / temperature)` and
/// `jax.random.categorical(key, logits)` for a row-major `[B, K]` batch.
///
/// As a `RandomNumberGenerator`, `next()` returns word `p` in the low 32 bits and word `p + 1` in
/// the high 32 bits and advances by 2, like ``PhiloxGenerator`` (this is not JAX's 64-bit
/// `bits`, which takes `o0 << 32 | o1` of one element).
///
/// The legacy stream of `jax_threefry_partitionable=False` (JAX before 0.5.0) is not supported:
/// there a word depends on the size of the whole array, not only on its index.
///
/// `ThreefryJAXGenerator` is a value type and `Sendable`: copies are independent. Do not share one
/// variable between threads; give each thread its own copy (sampling functions do this for you).
public struct ThreefryJAXGenerator: CounterBasedRandomGenerator, Hashable {
    /// The key words `(k0, k1)`, as `jax.random.key_data(key)` lists them.
    public let key: (UInt32, UInt32)
    /// The flat index of the next element.
    public var position: UInt64

    public static var uniformMapping: UniformMapping { .jaxTiny }

    /// Creates the generator of `jax.random.PRNGKey(seed)`.
    ///
    /// JAX takes the seed as an `int64`. With JAX's default `jax_enable_x64=False` it then keeps
    /// only the low 32 bits: the key is `(0, lo32(seed))`, so seeds that differ only above bit 31
    /// give the same stream. With `jax_enable_x64=True` (pass `enableX64: true`) the key is
    /// `(hi32(seed), lo32(seed))`. A `UInt64` seed is read as the two's-complement bit pattern of
    /// JAX's `int64`: a seed above `Int64.max` is JAX's negative seed `Int64(bitPattern: seed)`
    /// (JAX itself refuses Python integers of 2^63 and above); `UInt64.max` is `PRNGKey(-1)`.
    ///
    /// - Parameters:
    ///   - seed: The seed passed to `jax.random.PRNGKey` or `jax.random.key`.
    ///   - position: The first flat element index to produce.
    ///   - enableX64: Whether the JAX program runs with `jax_enable_x64=True`.
    public init(seed: UInt64, position: UInt64 = 0, enableX64: Bool = false) {
        let high = enableX64 ? UInt32(truncatingIfNeeded: seed >> 32) : 0
        self.init(key: (high, UInt32(truncatingIfNeeded: seed)), position: position)
    }

    /// Creates the generator of a raw JAX key, e.g. one from `jax.random.key_data(key)` after a
    /// `split` or `fold_in` in Python.
    ///
    /// - Parameters:
    ///   - key: The two key words `(k0, k1)`.
    ///   - position: The first flat element index to produce.
    public init(key: (UInt32, UInt32), position: UInt64 = 0) {
        self.key = key
        self.position = position
    }

    /// The key of `jax.random.fold_in(key, data)` (with `jax_threefry_partitionable=True`), at
    /// position 0.
    ///
    /// - Parameter data: The value folded in, as JAX's `uint32`.
    /// - Returns: `threefry2x32(key, (0, data))` as a new generator.
    public func foldingIn(_ data: UInt32) -> ThreefryJAXGenerator {
        ThreefryJAXGenerator(key: Threefry.block(counter: (0, data), key: key))
    }

    /// The keys of `jax.random.split(key, count)` (with `jax_threefry_partitionable=True`), each
    /// at position 0.
    ///
    /// - Parameter count: The number of keys; JAX's default is 2.
    /// - Returns: Key `j` is `threefry2x32(key, (hi32(j), lo32(j)))`.
    /// - Complexity: O(`count`).
    public func split(into count: Int = 2) -> [ThreefryJAXGenerator] {
        precondition(count >= 0, "count must not be negative")
        return (0..<count).map { j in
            let index = UInt64(j)
            return ThreefryJAXGenerator(
                key: Threefry.block(
                    counter: (UInt32(truncatingIfNeeded: index >> 32), UInt32(truncatingIfNeeded: index)), key: key))
        }
    }

    /// The word of flat element `position`, without changing the generator.
    public func word(at position: UInt64) -> UInt32 {
        let out = Threefry.block(
            counter: (UInt32(truncatingIfNeeded: position >> 32), UInt32(truncatingIfNeeded: position)), key: key)
        return out.0 ^ out.1
    }

    /// Always 0: JAX's uniform (``UniformMapping/jaxTiny``) has no tail bands, so its noise
    /// never reads a tail word.
    public func tailWord(at position: UInt64) -> UInt32 { 0 }

    /// The float64 uniform of flat element `position`, bit for bit
    /// `jax.random.uniform(key, shape, jnp.float64, minval: tiny, maxval: 1)` under
    /// `jax_enable_x64=True`: with `(o0, o1) = threefry2x32(key, (hi32(p), lo32(p)))`, JAX's 64-bit
    /// word is `o0 << 32 | o1`; its top 52 bits are the mantissa of `f` in `[1, 2)`, and the
    /// uniform is `max(tiny, (f - 1) * (1 - tiny) + tiny)` (`tiny = 2^-1022`), so `(f - 1)` or
    /// `tiny` when that is 0.
    public func float64Uniform(at position: UInt64) -> Double {
        let out = Threefry.block(
            counter: (UInt32(truncatingIfNeeded: position >> 32), UInt32(truncatingIfNeeded: position)), key: key)
        return Threefry.float64Uniform(out.0, out.1)
    }

    /// Writes JAX's float64 uniforms (``float64Uniform(at:)``) of positions
    /// `position ..< position + buffer.count`; float64 noise and sampling with this generator use
    /// them, as `jax.random.gumbel(key, shape, jnp.float64)` does.
    public func fillFloat64Uniforms(
        startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<Double>
    ) -> Bool {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        Threefry.fillFloat64Uniforms(key: key, position: position, count: buffer.count, into: base)
        return true
    }

    /// Writes words `position ..< position + buffer.count` (wrapping modulo 2^64) into `buffer`.
    ///
    /// - Complexity: O(`buffer.count`); eight words are computed at a time in SIMD lanes.
    public func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        Threefry.fill(key: key, position: position, count: buffer.count, into: base)
    }

    public static func == (lhs: ThreefryJAXGenerator, rhs: ThreefryJAXGenerator) -> Bool {
        lhs.key == rhs.key && lhs.position == rhs.position
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key.0)
        hasher.combine(key.1)
        hasher.combine(position)
    }
}

/// The Threefry-2x32 bijection with 20 rounds (Salmon et al. 2011), scalar and in SIMD lanes,
/// with JAX's key schedule: `ks = (k0, k1, k0 ^ k1 ^ 0x1BD11BDA)`, injected after every four
/// rounds as `x0 += ks[g % 3]`, `x1 += ks[(g + 1) % 3] + g`.
enum Threefry {
    static let parity: UInt32 = 0x1BD1_1BDA
    @inline(__always)
    private static func rotateLeft(_ x: UInt32, _ r: UInt32) -> UInt32 { x &<< r | x &>> (32 &- r) }

    /// Four rounds of the scalar block.
    @inline(__always)
    private static func rounds4(
        _ x0: inout UInt32, _ x1: inout UInt32, _ r: (UInt32, UInt32, UInt32, UInt32)
    ) {
        x0 &+= x1
        x1 = rotateLeft(x1, r.0) ^ x0
        x0 &+= x1
        x1 = rotateLeft(x1, r.1) ^ x0
        x0 &+= x1
        x1 = rotateLeft(x1, r.2) ^ x0
        x0 &+= x1
        x1 = rotateLeft(x1, r.3) ^ x0
    }

    /// One Threefry-2x32-20 block.
    static func block(counter: (UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32) {
        let ks2 = key.0 ^ key.1 ^ parity
        let even: (UInt32, UInt32, UInt32, UInt32) = (13, 15, 26, 6)
        let odd: (UInt32, UInt32, UInt32, UInt32) = (17, 29, 16, 24)
        var x0 = counter.0 &+ key.0
        var x1 = counter.1 &+ key.1
        rounds4(&x0, &x1, even)
        (x0, x1) = (x0 &+ key.1, x1 &+ ks2 &+ 1)
        rounds4(&x0, &x1, odd)
        (x0, x1) = (x0 &+ ks2, x1 &+ key.0 &+ 2)
        rounds4(&x0, &x1, even)
        (x0, x1) = (x0 &+ key.0, x1 &+ key.1 &+ 3)
        rounds4(&x0, &x1, odd)
        (x0, x1) = (x0 &+ key.1, x1 &+ ks2 &+ 4)
        rounds4(&x0, &x1, even)
        return (x0 &+ ks2, x1 &+ key.0 &+ 5)
    }

    typealias Lanes = SIMD8<UInt32>

    /// The lanes of one batch of the bulk loop (`words4x`). In the avx512 tier, thirty-two blocks
    /// as one LLVM vector: each operation is two 512-bit instructions (which cost one issue slot
    /// like 256-bit ones), so the four batches are eight independent chains, whose sixteen
    /// registers and the loop's constants fit AVX-512's thirty-two. Eight blocks otherwise (four
    /// chains in AVX2's sixteen registers).
    #if GUMBEL_SOFTMAX_AVX512
        typealias BulkLanes = WordLanes32
        static let bulkCount = 32
    #else
        typealias BulkLanes = SIMD8<UInt32>
        static let bulkCount = 8
    #endif

    @inline(__always)
    private static func round(_ x0: inout Lanes, _ x1: inout Lanes, _ r: UInt32) {
        x0 &+= x1
        x1 = (x1 &<< r | x1 &>> (32 &- r)) ^ x0
    }

    #if GUMBEL_SOFTMAX_AVX512
        @inline(__always)
        private static func round(_ x0: inout WordLanes32, _ x1: inout WordLanes32, _ r: UInt32) {
            x0 = x0 &+ x1
            x1 = (x1.shiftedLeft(r) | x1.shiftedRight(32 &- r)) ^ x0
        }
    #endif

    @inline(__always)
    private static func rounds4(
        _ x0: inout Lanes, _ x1: inout Lanes, odd: Bool, inject0: UInt32, inject1: UInt32
    ) {
        // The distances go through an array: with literal arguments LLVM turned each vector
        // rotate into eight scalar `rol`s (SSE2 has no vector rotate), three times slower.
        let distances: [UInt32] = odd ? [17, 29, 16, 24] : [13, 15, 26, 6]
        for r in distances { round(&x0, &x1, r) }
        x0 &+= inject0
        x1 &+= inject1
    }

    /// Eight blocks at once; returns `(o0, o1)` per lane.
    @inline(__always)
    static func blocks8(high: Lanes, low: Lanes, ks0: UInt32, ks1: UInt32, ks2: UInt32) -> (Lanes, Lanes) {
        var x0 = high &+ ks0
        var x1 = low &+ ks1
        rounds4(&x0, &x1, odd: false, inject0: ks1, inject1: ks2 &+ 1)
        rounds4(&x0, &x1, odd: true, inject0: ks2, inject1: ks0 &+ 2)
        rounds4(&x0, &x1, odd: false, inject0: ks0, inject1: ks1 &+ 3)
        rounds4(&x0, &x1, odd: true, inject0: ks1, inject1: ks2 &+ 4)
        rounds4(&x0, &x1, odd: false, inject0: ks2, inject1: ks0 &+ 5)
        return (x0, x1)
    }

    /// Eight blocks at once; returns `o0 ^ o1` per lane.
    @inline(__always)
    static func words8(high: Lanes, low: Lanes, ks0: UInt32, ks1: UInt32, ks2: UInt32) -> Lanes {
        let (x0, x1) = blocks8(high: high, low: low, ks0: ks0, ks1: ks1, ks2: ks2)
        return x0 ^ x1
    }

    /// The counters `(hi32(i), lo32(i))` of flat indices `i = index ..< index + 8`, one per lane.
    @inline(__always)
    static func counters8(_ index: UInt64) -> (high: Lanes, low: Lanes) {
        let lowStart = Lanes(repeating: UInt32(truncatingIfNeeded: index))
        let highStart = Lanes(repeating: UInt32(truncatingIfNeeded: index >> 32))
        let low = lowStart &+ Lanes(0, 1, 2, 3, 4, 5, 6, 7)
        // Lanes whose low word wrapped past 2^32 carry into the high word.
        return (highStart.replacing(with: highStart &+ 1, where: low .< lowStart), low)
    }

    /// The lane offsets `0, 1, ..., n - 1` of the bulk registers.
    @inline(__always)
    static var bulkOffsets: BulkLanes {
        #if GUMBEL_SOFTMAX_AVX512
            BulkLanes(
                SIMD32(
                    lowHalf: SIMD16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                    highHalf: SIMD16(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)))
        #else
            BulkLanes(0, 1, 2, 3, 4, 5, 6, 7)
        #endif
    }

    /// The words of flat indices `index ..< index + 4 n` (`n` = `bulkCount`), whose low words do
    /// not wrap past 2^32 (the caller checks): four batches of `n` blocks side by side. One block
    /// is a chain of 60 dependent operations (add, rotate, xor per round), so a batch alone
    /// leaves the core waiting on each result; the chains' operations of a round are independent
    /// and issue together (Gumbel noise from these words, one thread, AVX-512 tier: 4.4 ns per
    /// element with one batch of eight lanes, 1.5 with four, 0.77 with four of thirty-two).
    @inline(__always)
    static func words4x(
        at index: UInt64, ks0: UInt32, ks1: UInt32, ks2: UInt32
    ) -> (BulkLanes, BulkLanes, BulkLanes, BulkLanes) {
        // Every lane has the same high word.
        let n = BulkLanes(repeating: UInt32(bulkCount))
        let high = BulkLanes(repeating: UInt32(truncatingIfNeeded: index >> 32))
        let low = BulkLanes(repeating: UInt32(truncatingIfNeeded: index)) &+ bulkOffsets
        var (a0, a1) = (high, low)
        var (b0, b1) = (high, low &+ n)
        var (c0, c1) = (high, b1 &+ n)
        var (d0, d1) = (high, c1 &+ n)
        @inline(__always) func inject(_ k0: UInt32, _ k1: UInt32) {
            let (k0, k1) = (BulkLanes(repeating: k0), BulkLanes(repeating: k1))
            (a0, b0, c0, d0) = (a0 &+ k0, b0 &+ k0, c0 &+ k0, d0 &+ k0)
            (a1, b1, c1, d1) = (a1 &+ k1, b1 &+ k1, c1 &+ k1, d1 &+ k1)
        }
        @inline(__always) func rounds(_ r: UInt32) {
            round(&a0, &a1, r)
            round(&b0, &b1, r)
            round(&c0, &c1, r)
            round(&d0, &d1, r)
        }
        @inline(__always) func rounds4(odd: Bool) {
            #if GUMBEL_SOFTMAX_AVX512
                // Literal distances: AVX-512 rotates by an immediate (`vprold`), so no register
                // holds a distance (twenty of them would spill).
                if odd {
                    rounds(17)
                    rounds(29)
                    rounds(16)
                    rounds(24)
                } else {
                    rounds(13)
                    rounds(15)
                    rounds(26)
                    rounds(6)
                }
            #else
                // An array, as in the single batch's rounds4: literal distances scalarise under SSE2.
                let distances: [UInt32] = odd ? [17, 29, 16, 24] : [13, 15, 26, 6]
                for r in distances { rounds(r) }
            #endif
        }
        inject(ks0, ks1)
        rounds4(odd: false)
        inject(ks1, ks2 &+ 1)
        rounds4(odd: true)
        inject(ks2, ks0 &+ 2)
        rounds4(odd: false)
        inject(ks0, ks1 &+ 3)
        rounds4(odd: true)
        inject(ks1, ks2 &+ 4)
        rounds4(odd: false)
        inject(ks2, ks0 &+ 5)
        return (a0 ^ a1, b0 ^ b1, c0 ^ c1, d0 ^ d1)
    }

    /// Writes `count` words of the stream of `key` from flat index `position` on to `out`: four
    /// bulk registers at a time (`words4x`), then the rest eight at a time (a short row costs no
    /// more than one batch).
    static func fill(key: (UInt32, UInt32), position: UInt64, count: Int, into out: UnsafeMutablePointer<UInt32>) {
        let ks0 = key.0
        let ks1 = key.1
        let ks2 = key.0 ^ key.1 ^ parity
        let step = 4 * bulkCount
        let bytes = MemoryLayout<BulkLanes>.stride
        var index = position
        var written = 0
        /// Eight words (fewer at the end), with each lane's own carry into the high word.
        @inline(__always) func eight() {
            let (high, low) = counters8(index)
            let words = words8(high: high, low: low, ks0: ks0, ks1: ks1, ks2: ks2)
            let take = min(8, count - written)
            if take == 8 {
                UnsafeMutableRawPointer(out + written).storeBytes(of: words, as: Lanes.self)
            } else {
                for lane in 0..<take { out[written + lane] = words[lane] }
            }
            written += take
            index &+= 8
        }
        while count - written >= step {
            if UInt32(truncatingIfNeeded: index) > UInt32.max - UInt32(step - 1) {
                // The low words wrap past 2^32 inside this stretch (once in 2^32 words).
                for _ in 0..<(step / 8) { eight() }
                continue
            }
            let words = words4x(at: index, ks0: ks0, ks1: ks1, ks2: ks2)
            let target = UnsafeMutableRawPointer(out + written)
            target.storeBytes(of: words.0, as: BulkLanes.self)
            target.storeBytes(of: words.1, toByteOffset: bytes, as: BulkLanes.self)
            target.storeBytes(of: words.2, toByteOffset: 2 * bytes, as: BulkLanes.self)
            target.storeBytes(of: words.3, toByteOffset: 3 * bytes, as: BulkLanes.self)
            written += step
            index &+= UInt64(step)
        }
        while written < count { eight() }
    }

    /// JAX's float64 uniform of a block's output `(o0, o1)`: the top 52 bits of `o0 << 32 | o1` as
    /// the mantissa of `f` in `[1, 2)`, then `max(tiny, (f - 1) * (1 - tiny) + tiny)`.
    @inline(__always)
    static func float64Uniform(_ o0: UInt32, _ o1: UInt32) -> Double {
        let bits = UInt64(o0) << 32 | UInt64(o1)
        let f = Double(bitPattern: bits >> 12 | 0x3FF0_0000_0000_0000) - 1
        let tiny = Double.leastNormalMagnitude
        return Swift.max(tiny, f * (1 - tiny) + tiny)
    }

    /// Writes JAX's float64 uniforms (`ThreefryJAXGenerator.float64Uniform(at:)`) of `count` flat
    /// indices from `position` on to `out`, eight blocks at a time.
    static func fillFloat64Uniforms(
        key: (UInt32, UInt32), position: UInt64, count: Int, into out: UnsafeMutablePointer<Double>
    ) {
        let ks2 = key.0 ^ key.1 ^ parity
        var index = position
        var written = 0
        while written < count {
            let (high, low) = counters8(index)
            let (o0, o1) = blocks8(high: high, low: low, ks0: key.0, ks1: key.1, ks2: ks2)
            for lane in 0..<min(8, count - written) { out[written + lane] = float64Uniform(o0[lane], o1[lane]) }
            written += min(8, count - written)
            index &+= 8
        }
    }
}
