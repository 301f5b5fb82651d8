// The tier for the CPU check that Sources/CGumbelPreflight runs before `main`.

/// The tier this executable's Swift code was compiled for, as a `GUMBEL_SOFTMAX_TIER_` number (0
/// baseline, 1 avx2, 2 avx512), from the same compile-time conditions as `GumbelSoftmax.buildTier`.
///
/// Called by a C constructor before `main`: on a CPU without the tier's features only a constant
/// can run safely, so the body is a literal and nothing else (`make test-tier-check` disassembles it).
@_cdecl("gumbel_cli_build_tier")
public func gumbelCLIBuildTier() -> Int32 {
    #if GUMBEL_SOFTMAX_AVX512
        return 2
    #elseif GUMBEL_SOFTMAX_WIDE_VECTORS
        return 1
    #else
        return 0
    #endif
}
