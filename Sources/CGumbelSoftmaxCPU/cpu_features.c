// Compiled for the baseline target whatever tier the Swift code is built for (see the header).
#include "CGumbelSoftmaxCPU.h"

uint32_t gumbel_softmax_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    uint32_t features = 0;
#define GUMBEL_SOFTMAX_FEATURE(name, bit) \
    if (__builtin_cpu_supports(name)) features |= (bit);
    GUMBEL_SOFTMAX_FEATURE("popcnt", GUMBEL_SOFTMAX_CPU_POPCNT)
    GUMBEL_SOFTMAX_FEATURE("avx", GUMBEL_SOFTMAX_CPU_AVX)
    GUMBEL_SOFTMAX_FEATURE("avx2", GUMBEL_SOFTMAX_CPU_AVX2)
    GUMBEL_SOFTMAX_FEATURE("fma", GUMBEL_SOFTMAX_CPU_FMA)
    GUMBEL_SOFTMAX_FEATURE("bmi", GUMBEL_SOFTMAX_CPU_BMI1)
    GUMBEL_SOFTMAX_FEATURE("bmi2", GUMBEL_SOFTMAX_CPU_BMI2)
    GUMBEL_SOFTMAX_FEATURE("f16c", GUMBEL_SOFTMAX_CPU_F16C)
    GUMBEL_SOFTMAX_FEATURE("lzcnt", GUMBEL_SOFTMAX_CPU_LZCNT)
    GUMBEL_SOFTMAX_FEATURE("movbe", GUMBEL_SOFTMAX_CPU_MOVBE)
    GUMBEL_SOFTMAX_FEATURE("avx512f", GUMBEL_SOFTMAX_CPU_AVX512F)
    GUMBEL_SOFTMAX_FEATURE("avx512cd", GUMBEL_SOFTMAX_CPU_AVX512CD)
    GUMBEL_SOFTMAX_FEATURE("avx512bw", GUMBEL_SOFTMAX_CPU_AVX512BW)
    GUMBEL_SOFTMAX_FEATURE("avx512dq", GUMBEL_SOFTMAX_CPU_AVX512DQ)
    GUMBEL_SOFTMAX_FEATURE("avx512vl", GUMBEL_SOFTMAX_CPU_AVX512VL)
#undef GUMBEL_SOFTMAX_FEATURE
    return features;
#else
    return 0;
#endif
}
