// The tier as a constant, for the CPU check that the C functions of include/gumbel_softmax.h
// (Sources/CGumbelSoftmaxABI) make before they call any of the library's Swift code. Not in the
// header.

/// The tier this library's Swift code was compiled for, as a `GUMBEL_SOFTMAX_TIER_` number (0
/// baseline, 1 avx2, 2 avx512; Sources/CGumbelSoftmaxCPU), from the same compile-time conditions as
/// `GumbelSoftmax.buildTier`. A literal and nothing else, so that it runs on any CPU.
@_cdecl("gumbel_softmax_library_build_tier")
public func gumbelSoftmaxLibraryBuildTier() -> Int32 {
    #if GUMBEL_SOFTMAX_AVX512
        return 2
    #elseif GUMBEL_SOFTMAX_WIDE_VECTORS
        return 1
    #else
        return 0
    #endif
}
