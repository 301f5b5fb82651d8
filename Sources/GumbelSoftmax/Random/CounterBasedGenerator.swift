/// How a generator turns one 32-bit random word into a uniform `Float` in the open interval (0, 1).
public enum UniformMapping: Sendable, Hashable {
    /// This package's contract (version 2, exact tails): `U = (x + 1/2) * 2^-32` for
    /// `2^16 <= x < 2^32 - 2^16`, and in the two outer bands of `2^16` words (one position in
    /// 32768) `U = (x * 2^32 + t + 1/2) * 2^-64` with `t` the position's tail word
    /// (``CounterBasedRandomGenerator/tailWord(at:)``). `U` lies in `[2^-65, 1 - 2^-65]`, so the
    /// noise reaches 45.06 and `P(g > t)` is the exact Gumbel tail to within 1e-5 for `t <= 35`.
    case centered
    /// JAX's `uniform(minval: tiny, maxval: 1)`: `max(tiny, f * (1 - tiny) + tiny)` with
    /// `f = bitcast(0x3F800000 | x >> 9) - 1`, in `[tiny, 1 - 2^-23]`.
    case jaxTiny
}

/// A random number generator whose output is an endless, indexable sequence of 32-bit words.
///
/// Word number `p` (the *position*) is a pure function of the generator's key and `p`, so any
/// stretch of the stream can be produced directly, by any thread, in any order. Every sampling
/// function of this package accepts any conforming generator. A generator is a value type: copy it
/// to share its key; sharing one `var` between threads is not safe.
public protocol CounterBasedRandomGenerator: RandomNumberGenerator, Sendable {
    /// The position of the next word `next()` or a sampling function will use.
    var position: UInt64 { get set }

    /// How this generator's words become uniforms (and so Gumbel noise).
    static var uniformMapping: UniformMapping { get }

    /// Writes words `position ..< position + buffer.count` (wrapping modulo 2^64) into `buffer`.
    ///
    /// Does not change the generator's own `position`.
    func fillWords(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<UInt32>)

    /// The word at `position`, without changing the generator.
    func word(at position: UInt64) -> UInt32

    /// The tail word of `position` (SPEC section 1), without changing the generator.
    ///
    /// ``UniformMapping/centered`` noise reads it for the rare words in its outer bands, where
    /// the uniform takes 64 bits. It must not be a word of any stream of the generator. A
    /// generator whose mapping does not use tail words (``UniformMapping/jaxTiny``) documents
    /// what it returns.
    func tailWord(at position: UInt64) -> UInt32

    /// Writes the float64 uniforms of positions `position ..< position + buffer.count` when the
    /// generator has a float64 uniform of its own (SPEC section 2's last bullet: a generator that
    /// reproduces another library keeps that library's uniform, and JAX draws float64 uniforms from
    /// 64 bits), and returns true; returns false, writing nothing, when its float64 noise uses the
    /// uniforms of its words (the default).
    func fillFloat64Uniforms(startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<Double>) -> Bool
}

extension CounterBasedRandomGenerator {
    public func fillFloat64Uniforms(
        startingAt position: UInt64, into buffer: UnsafeMutableBufferPointer<Double>
    ) -> Bool { false }

    /// The word at `position`, through `fillWords`; generators override it with a scalar path.
    public func word(at position: UInt64) -> UInt32 {
        var word: UInt32 = 0
        withUnsafeMutablePointer(to: &word) {
            fillWords(startingAt: position, into: UnsafeMutableBufferPointer(start: $0, count: 1))
        }
        return word
    }

    /// Returns words `p` and `p + 1` as `lo | hi << 32` and advances the position by 2.
    public mutating func next() -> UInt64 {
        let lo = word(at: position)
        let hi = word(at: position &+ 1)
        position = position &+ 2
        return UInt64(lo) | UInt64(hi) << 32
    }

    /// Returns `count` words starting at the current position and advances past them.
    public mutating func nextWords(_ count: Int) -> [UInt32] {
        let result = words(startingAt: position, count: count)
        position &+= UInt64(count)
        return result
    }

    /// Returns words `position ..< position + count` without changing the generator.
    public func words(startingAt position: UInt64, count: Int) -> [UInt32] {
        precondition(count >= 0, "count must not be negative")
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillWords(startingAt: position, into: buffer)
            initialized = count
        }
    }
}
