// Compiled for the baseline target whatever tier the Swift code is built for (see the header).
#include "CGumbelSoftmaxCPU.h"

#include "../../include/gumbel_softmax.h"  // GS_VERSION, GS_CONTRACT_VERSION
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Every feature, in `GumbelSoftmax.Tier.requiredFeatures` order: the avx2 tier needs the first
// nine, the avx512 tier all of them.
static const struct {
    const char *name;
    uint32_t bit;
} features_in_order[] = {
    {"popcnt", GUMBEL_SOFTMAX_CPU_POPCNT},
    {"avx", GUMBEL_SOFTMAX_CPU_AVX},
    {"avx2", GUMBEL_SOFTMAX_CPU_AVX2},
    {"fma", GUMBEL_SOFTMAX_CPU_FMA},
    {"bmi1", GUMBEL_SOFTMAX_CPU_BMI1},
    {"bmi2", GUMBEL_SOFTMAX_CPU_BMI2},
    {"f16c", GUMBEL_SOFTMAX_CPU_F16C},
    {"lzcnt", GUMBEL_SOFTMAX_CPU_LZCNT},
    {"movbe", GUMBEL_SOFTMAX_CPU_MOVBE},
    {"avx512f", GUMBEL_SOFTMAX_CPU_AVX512F},
    {"avx512cd", GUMBEL_SOFTMAX_CPU_AVX512CD},
    {"avx512bw", GUMBEL_SOFTMAX_CPU_AVX512BW},
    {"avx512dq", GUMBEL_SOFTMAX_CPU_AVX512DQ},
    {"avx512vl", GUMBEL_SOFTMAX_CPU_AVX512VL},
};
enum { feature_count = sizeof features_in_order / sizeof features_in_order[0], avx2_feature_count = 9 };
static const char *const tier_names[] = {"baseline", "avx2", "avx512"};

const char *gumbel_softmax_version(void) {
    return GS_VERSION;
}

const char *gumbel_softmax_contract_version(void) {
    return GS_CONTRACT_VERSION;
}

static int known_tier(int tier) {
    return tier < GUMBEL_SOFTMAX_TIER_BASELINE || tier > GUMBEL_SOFTMAX_TIER_AVX512 ? GUMBEL_SOFTMAX_TIER_AVX512 : tier;
}

const char *gumbel_softmax_tier_name(int tier) {
    return tier_names[known_tier(tier)];
}

static uint32_t tier_mask(int tier) {
    size_t count = tier == GUMBEL_SOFTMAX_TIER_BASELINE ? 0
        : tier == GUMBEL_SOFTMAX_TIER_AVX2             ? avx2_feature_count
                                                       : feature_count;
    uint32_t mask = 0;
    for (size_t i = 0; i < count; i++) mask |= features_in_order[i].bit;
    return mask;
}

// The features GUMBEL_SOFTMAX_HIDE_CPU_FEATURES names (see the header).
static uint32_t hidden_features(void) {
    const char *list = getenv("GUMBEL_SOFTMAX_HIDE_CPU_FEATURES");
    uint32_t hidden = 0;
    while (list && *list) {
        size_t length = strcspn(list, ", ");
        for (size_t i = 0; i < feature_count; i++) {
            const char *name = features_in_order[i].name;
            if (length > 0 && strlen(name) == length && strncmp(name, list, length) == 0) {
                hidden |= features_in_order[i].bit;
            }
        }
        list += length;
        list += strspn(list, ", ");
    }
    return hidden;
}

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
    return features & ~hidden_features();
#else
    return 0;
#endif
}

int gumbel_softmax_cpu_refusal(int tier, uint32_t features, char *buffer, size_t size) {
    tier = known_tier(tier);
    uint32_t missing = tier_mask(tier) & ~features;
    if (missing == 0) return 0;
    int best = GUMBEL_SOFTMAX_TIER_BASELINE;
    for (int candidate = GUMBEL_SOFTMAX_TIER_AVX2; candidate <= GUMBEL_SOFTMAX_TIER_AVX512; candidate++) {
        if ((tier_mask(candidate) & ~features) == 0) best = candidate;
    }
    char lacks[160] = "";
    for (size_t i = 0; i < feature_count; i++) {
        if (!(missing & features_in_order[i].bit)) continue;
        if (lacks[0]) strcat(lacks, ", ");
        strcat(lacks, features_in_order[i].name);  // at most 14 names of 8 characters: fits
    }
    if (size > 0) {
        snprintf(buffer, size,
                 "GumbelSoftmax %s was built for the %s tier; this CPU lacks %s (rebuild for its tier: TIER=%s)",
                 GS_VERSION, tier_names[tier], lacks, tier_names[best]);
    }
    return 1;
}
