// Words -> uniforms -> Gumbel noise (SPEC section 2), in any lane width. `FastMath` supplies the
// logarithm.

enum NoiseMath {
    /// Uniforms in (0, 1) from words, per `mapping`; exact.
    @inline(__always)
    static func uniform<V: FloatVector>(_ words: V.Bits, mapping: UniformMapping, as: V.Type) -> V {
        // f = bitcast(0x3F800000 | x >> 9) - 1 = (x >> 9) * 2^-23, exact.
        let f = V(bits: words.shiftedRight(9) | V.Bits(repeating: 0x3F80_0000)) - 1.0
        switch mapping {
        case .centered:
            return f + 0x1p-24  // (m + 0.5) * 2^-23, exact: fits in 24 bits
        case .jaxTiny:
            let tiny = Float.leastNormalMagnitude
            let u = f * V(repeating: 1 - tiny) + V(repeating: tiny)
            return V.atLeast(u, V(repeating: tiny))
        }
    }

    /// Gumbel(0, 1) noise `-log(-log(u))` from words.
    @inline(__always)
    static func gumbel<V: FloatVector>(_ words: V.Bits, mapping: UniformMapping, as: V.Type) -> V {
        let u = uniform(words, mapping: mapping, as: V.self)
        return -FastMath.log(-FastMath.log(u))
    }

    /// Eight-lane uniforms (tests and scalar paths).
    @inline(__always)
    static func uniform(_ words: WordLanes, mapping: UniformMapping) -> FloatLanes {
        uniform(words, mapping: mapping, as: FloatLanes.self)
    }

    /// Eight-lane Gumbel noise (tests and scalar paths).
    @inline(__always)
    static func gumbel(_ words: WordLanes, mapping: UniformMapping) -> FloatLanes {
        gumbel(words, mapping: mapping, as: FloatLanes.self)
    }
}
