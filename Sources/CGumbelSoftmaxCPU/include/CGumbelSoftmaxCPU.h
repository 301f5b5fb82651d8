/*
 * CGumbelSoftmaxCPU: which instruction set extensions this CPU (and its operating system) offers,
 * for GumbelSoftmax's check that a build's tier runs here (Sources/GumbelSoftmax/Version.swift),
 * and that check itself in C for the code that must run before any of the tier's code does
 * (Sources/CGumbelPreflight: the `gumbel` tool's check before `main`).
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

/* The features above that this CPU has and the operating system enables (AVX and AVX-512
   register state included), as `__builtin_cpu_supports` reports them. 0 on other architectures.

   Test hook: the environment variable GUMBEL_SOFTMAX_HIDE_CPU_FEATURES, a comma-separated list of
   the features' names (`avx2,fma`; the names of `GumbelSoftmax.CPUFeature`, unknown ones ignored),
   removes those features from the result, so that the refusal of a tier can be tested on a CPU
   that has it. It can only remove features, so it can make a build refuse to run, never run where
   it would not. */
uint32_t gumbel_softmax_cpu_features(void);

/* The check of `GumbelSoftmax.CPUSupport`: returns 0 when a CPU with `features` runs `tier` (a
   GUMBEL_SOFTMAX_TIER_ value; an unknown one is checked as avx512), else 1 after writing the same
   message as `GumbelSoftmax.CPUSupport.message` into `buffer` (NUL-terminated, cut to `size`). */
int gumbel_softmax_cpu_refusal(int tier, uint32_t features, char *buffer, size_t size);

#endif
