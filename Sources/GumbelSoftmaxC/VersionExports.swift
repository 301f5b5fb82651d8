import GumbelSoftmax

#if canImport(Glibc)
    import Glibc
#endif

// The "Version and CPU tier" functions of include/gumbel_softmax.h, and the check every other
// entry point makes first (`exported` in Status.swift).

/// Throws `GS_UNSUPPORTED_CPU` with ``GumbelSoftmax/CPUSupport/message`` when this CPU lacks a
/// feature of the tier the library was built for. The CPU is examined once per process.
@inline(__always)
func checkCPU() throws(CallError) {
    let support = GumbelSoftmax.cpuSupport
    if !support.isSupported {
        throw CallError(.unsupportedCPU, support.message)
    }
}

/// Returns the version of the sampling contract the library follows, `"2.1"`, a static string.
///
/// The corresponding C function is `gs_contract_version` (include/gumbel_softmax.h).
@_cdecl("gs_swift_contract_version")
public func gsContractVersion() -> UnsafePointer<CChar> {
    // A static string; the C library's own copy (GS_CONTRACT_VERSION_OF_THIS_LIBRARY) must agree.
    precondition(GumbelSoftmax.contractVersion == "2.1", "update the contract version string here")
    return cString("2.1")
}

/// Returns the tier the library was built for: "baseline", "avx2" or "avx512", a static string.
///
/// The corresponding C function is `gs_build_tier` (include/gumbel_softmax.h).
@_cdecl("gs_swift_build_tier")
public func gsBuildTier() -> UnsafePointer<CChar> {
    // Static strings: nothing to allocate, nothing that can fail.
    switch GumbelSoftmax.buildTier {
    case .baseline: return cString("baseline")
    case .avx2: return cString("avx2")
    case .avx512: return cString("avx512")
    }
}

/// Returns 1 when this CPU runs the library's tier, else 0.
///
/// The corresponding C function is `gs_cpu_supported` (include/gumbel_softmax.h).
@_cdecl("gs_swift_cpu_supported")
public func gsCPUSupported() -> Int32 {
    GumbelSoftmax.cpuSupport.isSupported ? 1 : 0
}

/// Returns `GS_OK`, or `GS_UNSUPPORTED_CPU` with the message naming the tier and the missing features.
///
/// The corresponding C function is `gs_check_cpu` (include/gumbel_softmax.h).
@_cdecl("gs_swift_check_cpu")
public func gsCheckCPU() -> Int32 {
    exported { () throws(CallError) in }
}
