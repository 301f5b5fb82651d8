/*
 * Checks an installed (or freshly built) libgumbelsoftmax.so: its version, contract and tier, and
 * either a real sample (`version_check TIER supported`) or that every call refuses with
 * GS_UNSUPPORTED_CPU and the same message (`version_check TIER unsupported`, for a library built
 * for a tier this CPU lacks). Compiled by Scripts/test/test-install with
 * `pkg-config --cflags --libs gumbelsoftmax` and by Scripts/test/test-tier-check.
 */
#include <gumbel_softmax.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(condition, ...)                                                  \
    do {                                                                       \
        if (!(condition)) {                                                    \
            fprintf(stderr, "version_check.c:%d: FAILED: ", __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
            failures++;                                                        \
        }                                                                      \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "supported") != 0 && strcmp(argv[2], "unsupported") != 0)) {
        fprintf(stderr, "usage: version_check TIER supported|unsupported\n");
        return 2;
    }
    const char *tier = argv[1];
    int supported = strcmp(argv[2], "supported") == 0;

    CHECK(strcmp(gs_version(), GS_VERSION) == 0, "gs_version() = %s, header %s", gs_version(), GS_VERSION);
    CHECK(strcmp(gs_contract_version(), GS_CONTRACT_VERSION) == 0, "gs_contract_version() = %s, header %s",
          gs_contract_version(), GS_CONTRACT_VERSION);
    CHECK(strcmp(gs_build_tier(), tier) == 0, "gs_build_tier() = %s, want %s", gs_build_tier(), tier);
    CHECK(gs_cpu_supported() == supported, "gs_cpu_supported() = %d", gs_cpu_supported());
    CHECK(strcmp(gs_status_name(GS_UNSUPPORTED_CPU), "GS_UNSUPPORTED_CPU") == 0, "%s",
          gs_status_name(GS_UNSUPPORTED_CPU));

    float logits[6] = {2.0f, 1.0f, 0.5f, 0.0f, -INFINITY, 3.0f};
    float soft[6], hard[6];
    int64_t indices[2];
    gs_status check = gs_check_cpu();
    gs_status sampled = gs_sample(logits, 6, 2, 3, 0.5f, GS_OUTPUT_SOFT, 7, 0, 0, 0, soft, 6);
    if (supported) {
        CHECK(check == GS_OK && strcmp(gs_last_error_message(), "") == 0, "gs_check_cpu() = %s",
              gs_status_name(check));
        CHECK(sampled == GS_OK, "gs_sample: %s", gs_last_error_message());
        CHECK(gs_sample(logits, 6, 2, 3, 0.5f, GS_OUTPUT_HARD, 7, 0, 0, 0, hard, 6) == GS_OK, "%s",
              gs_last_error_message());
        CHECK(gs_categorical(logits, 6, 2, 3, 7, 0, 0, 0, indices, 2) == GS_OK, "%s", gs_last_error_message());
        for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (int k = 0; k < 3; k++) sum += soft[b * 3 + k];
            CHECK(fabs(sum - 1) < 1e-5, "row %d sums to %.9g", b, sum);
            CHECK(hard[b * 3 + indices[b]] == 1.0f, "hard row %d is not one-hot at categorical %lld", b,
                  (long long)indices[b]);
        }
        CHECK(soft[4] == 0.0f && indices[1] != 1, "the masked category was chosen");
        printf("libgumbelsoftmax %s, contract %s, tier %s: sample [%.6f %.6f %.6f] [%.6f %.6f %.6f]\n", gs_version(),
               gs_contract_version(), gs_build_tier(), soft[0], soft[1], soft[2], soft[3], soft[4], soft[5]);
    } else {
        char expected[512];
        snprintf(expected, sizeof expected, "GumbelSoftmax %s was built for the %s tier; this CPU lacks ", GS_VERSION,
                 tier);
        CHECK(check == GS_UNSUPPORTED_CPU, "gs_check_cpu() = %s", gs_status_name(check));
        CHECK(strncmp(gs_last_error_message(), expected, strlen(expected)) == 0, "message: %s",
              gs_last_error_message());
        CHECK(sampled == GS_UNSUPPORTED_CPU, "gs_sample() = %s", gs_status_name(sampled));
        CHECK(gs_categorical(logits, 6, 2, 3, 7, 0, 0, 0, indices, 2) == GS_UNSUPPORTED_CPU, "gs_categorical");
        CHECK(gs_gumbel_noise(7, 0, 0, 0, soft, 6) == GS_UNSUPPORTED_CPU, "gs_gumbel_noise");
        printf("libgumbelsoftmax %s, tier %s on this CPU: GS_UNSUPPORTED_CPU: %s\n", gs_version(), gs_build_tier(),
               gs_last_error_message());
    }
    if (failures) fprintf(stderr, "version_check: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
