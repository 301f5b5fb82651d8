/*
 * CGumbelSoftmaxCPU: the facts every layer of GumbelSoftmax reports, in one place: the version and
 * contract version (from include/gumbel_softmax.h), the tiers' names, which instruction set
 * extensions this CPU (and its operating system) offers, and the check that a build's tier runs
 * here with its message. The Swift library (Sources/GumbelSoftmax/Version.swift), the C ABI
 * (Sources/CGumbelSoftmaxABI) and the `gumbel` tool's check before `main` (Sources/CGumbelPreflight)
 * all read them from here.
 *
 * Not API. A C target because SwiftPM's `-Xswiftc -target-cpu ...` flags, which select a tier,
 * never reach C targets: this code is compiled for the baseline x86-64 and cannot itself execute
 * an instruction the CPU lacks.
 */
#ifndef C_GUMBEL_SOFTMAX_CPU_H
#define C_GUMBEL_SOFTMAX_CPU_H

#include <stddef.h>
#include <stdint.h>

/* One bit per feature; the Swift side names them (`GumbelSoftmax.CPUFeature`). */
enum {
    GUMBEL_SOFTMAX_CPU_POPCNT = 1u << 0,
    GUMBEL_SOFTMAX_CPU_AVX = 1u << 1,
    GUMBEL_SOFTMAX_CPU_AVX2 = 1u << 2,
    GUMBEL_SOFTMAX_CPU_FMA = 1u << 3,
    GUMBEL_SOFTMAX_CPU_BMI1 = 1u << 4,
    GUMBEL_SOFTMAX_CPU_BMI2 = 1u << 5,
    GUMBEL_SOFTMAX_CPU_F16C = 1u << 6,
    GUMBEL_SOFTMAX_CPU_LZCNT = 1u << 7,
    GUMBEL_SOFTMAX_CPU_MOVBE = 1u << 8,
    GUMBEL_SOFTMAX_CPU_AVX512F = 1u << 9,
    GUMBEL_SOFTMAX_CPU_AVX512CD = 1u << 10,
    GUMBEL_SOFTMAX_CPU_AVX512BW = 1u << 11,
    GUMBEL_SOFTMAX_CPU_AVX512DQ = 1u << 12,
    GUMBEL_SOFTMAX_CPU_AVX512VL = 1u << 13,
};

/* The tiers, numbered in `GumbelSoftmax.Tier`'s order. */
enum {
    GUMBEL_SOFTMAX_TIER_BASELINE = 0,
    GUMBEL_SOFTMAX_TIER_AVX2 = 1,
    GUMBEL_SOFTMAX_TIER_AVX512 = 2,
};

/* GS_VERSION and GS_CONTRACT_VERSION of include/gumbel_softmax.h (`GumbelSoftmax.version`,
   `.contractVersion`). */
const char *gumbel_softmax_version(void);
const char *gumbel_softmax_contract_version(void);

/* A tier's name: "baseline", "avx2" or "avx512" (an unknown tier is "avx512"); a static string. The
   names of `GumbelSoftmax.Tier`'s cases and of gs_build_tier(). */
const char *gumbel_softmax_tier_name(int tier);

/* The tier the Swift code was compiled for, a GUMBEL_SOFTMAX_TIER_ value, defined by the
   GumbelSoftmax library (Version.swift) from its compile-time conditions. Its body is a constant
   (one `mov`, no tier instructions: `make test-tier-check` disassembles it), so that the C checks
   can call it on any CPU. */
int32_t gumbel_softmax_build_tier(void);

/* The features above that this CPU has and the operating system enables (AVX and AVX-512
   register state included), as `__builtin_cpu_supports` reports them. 0 on other architectures.

   Test hook: the environment variable GUMBEL_SOFTMAX_HIDE_CPU_FEATURES, a comma-separated list of
   the features' names (`avx2,fma`; the names of `GumbelSoftmax.CPUFeature`, unknown ones ignored),
   removes those features from the result, so that the refusal of a tier can be tested on a CPU
   that has it. It can only remove features, so it can make a build refuse to run, never run where
   it would not. */
uint32_t gumbel_softmax_cpu_features(void);

/* The check of `GumbelSoftmax.CPUSupport`: returns 0 when a CPU with `features` runs `tier` (a
   GUMBEL_SOFTMAX_TIER_ value; an unknown one is checked as avx512), else 1 after writing the
   message that the tool, the C ABI (GS_UNSUPPORTED_CPU), Python (ImportError) and
   `GumbelSoftmax.CPUSupport.message` report into `buffer` (NUL-terminated, cut to `size`). */
int gumbel_softmax_cpu_refusal(int tier, uint32_t features, char *buffer, size_t size);

#endif
