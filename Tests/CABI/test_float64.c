/*
 * The float64 functions of include/gumbel_softmax.h (contract 2.1, SPEC.md section 5): the golden
 * case "a probability near 1e-87 is kept", every _f64 sampler against the others (hard is the
 * one-hot of categorical, top-1 is categorical, a row with its own stream equals gs_sample_f64 at
 * that stream), the JAX-stream categorical and top-k against the JAX-stream noise, thread counts
 * giving the same bytes, refusals that leave the output as it was,
 * the float64 gradient against central differences, the float64 noise against the float32 noise
 * and the float64 log-density against the float32 one on float-valued inputs, and top-k's scratch
 * probe sized for double candidates.
 */
#define _DEFAULT_SOURCE /* MAP_NORESERVE, MAP_ANONYMOUS */
#include <gumbel_softmax.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define K 37
#define B 3

/* The bytes an out-of-memory message says a call needs ("... needs N bytes of scratch"), or -1. */
static long long needed_bytes(void) {
    const char *needs = strstr(gs_last_error_message(), "needs ");
    return needs ? strtoll(needs + 6, NULL, 10) : -1;
}

/* Top-k's memory probe counts the candidates' values at their own size: for [1, 2^30] with
   k = 2^30, the float64 call needs more scratch than the float32 one (an undercount would let the
   allocation itself fail, which traps). In a child whose address space is capped just above what
   it holds, so both calls are refused; the logits and indices are address space that is never
   touched (PROT_NONE: reading them would end the child with a signal, a failure). */
static void test_top_k_scratch_is_sized_for_doubles(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        const int64_t n = (int64_t)1 << 30;
        void *logits = mmap(NULL, (size_t)n * 8, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        void *indices = mmap(NULL, (size_t)n * 8, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (logits == MAP_FAILED || indices == MAP_FAILED) _exit(3);
        if (!check_cap_address_space(48u << 20)) _exit(4);
        gs_status s32 = gs_top_k(logits, n, 1, n, n, 1, 0, 0, 1, indices, n);
        long long b32 = needed_bytes();
        gs_status s64 = gs_top_k_f64(logits, n, 1, n, n, 1, 0, 0, 1, indices, n);
        long long b64 = needed_bytes();
        int ok = s32 == GS_OUT_OF_MEMORY && s64 == GS_OUT_OF_MEMORY && b32 > 0 && b64 > b32;
        if (!ok) fprintf(stderr, "float32: %s (%lld bytes); float64: %s (%lld bytes)\n", gs_status_name(s32), b32,
                         gs_status_name(s64), b64);
        _exit(ok ? 0 : 1);
    }
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "top-k scratch child: %s %d",
          WIFEXITED(wstatus) ? "exit" : "signal", WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
}

int main(void) {
    /* Golden: seed 3, logits [0, -200], T = 1: y[1] = 1.305462555443787e-88 (SPEC section 5). */
    double two[2] = {0, -200}, y2[2];
    CHECK(gs_sample_f64(two, 2, 1, 2, 1.0, GS_OUTPUT_SOFT, 3, 0, 0, 0, y2, 2) == GS_OK, "%s", gs_last_error_message());
    CHECK(fabs(y2[1] - 1.305462555443787e-88) <= (1e-12 + 0x1p-48 * 200.7641056679456) * 1.305462555443787e-88,
          "y[1] = %.17g", y2[1]);
    CHECK(fabs(y2[0] - 1) <= 1e-12, "y[0] = %.17g", y2[0]);

    double logits[B * K], soft[B * K], again[B * K], hard[B * K], logs[B * K];
    uint64_t state = 7;
    for (int i = 0; i < B * K; i++) logits[i] = (double)(check_xorshift(&state) >> 11) * 0x1p-53 * 8 - 4;
    logits[5] = -INFINITY;
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 11, 2, 5, 1, soft, B * K) == GS_OK, "soft");
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 11, 2, 5, 2, again, B * K) == GS_OK, "soft 2");
    CHECK(memcmp(soft, again, sizeof soft) == 0, "threads change the bits");
    CHECK(soft[5] == 0, "masked %g", soft[5]);
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_LOG, 11, 2, 5, 0, logs, B * K) == GS_OK, "log");
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_HARD, 11, 2, 5, 0, hard, B * K) == GS_OK, "hard");
    int64_t indices[B], top[B * 3];
    CHECK(gs_categorical_f64(logits, B * K, B, K, 11, 2, 5, 0, indices, B) == GS_OK, "categorical");
    CHECK(gs_top_k_f64(logits, B * K, B, K, 3, 11, 2, 5, 0, top, B * 3) == GS_OK, "top-k");
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int k = 0; k < K; k++) {
            sum += soft[b * K + k];
            if (soft[b * K + k] > 0) {
                CHECK(fabs(log(soft[b * K + k]) - logs[b * K + k]) <= 1e-12 * fmax(1, fabs(logs[b * K + k])),
                      "log[%d]", b * K + k);
            }
            CHECK(hard[b * K + k] == (k == indices[b] ? 1.0 : 0.0), "hard[%d]", b * K + k);
        }
        CHECK(fabs(sum - 1) <= 1e-12, "row %d sums to %.17g", b, sum);
        CHECK(top[b * 3] == indices[b], "top-1 of row %d", b);
    }

    /* JAX's stream in float64: categorical is exactly the argmax of logits + gs_gumbel_noise_jax_f64
       (ties to the lowest index), top-k its k largest in descending order, the hard sample its
       one-hot; thread counts give the same indices. */
    double jax_noise[B * K], jax_hard[B * K];
    int64_t jax_indices[B], jax_top[B * 3], jax_again[B * 3];
    CHECK(gs_gumbel_noise_jax_f64(7, 9, 3, 0, jax_noise, B * K) == GS_OK, "jax noise");
    CHECK(gs_categorical_jax_f64(logits, B * K, B, K, 7, 9, 3, 1, jax_indices, B) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_top_k_jax_f64(logits, B * K, B, K, 3, 7, 9, 3, 1, jax_top, B * 3) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_top_k_jax_f64(logits, B * K, B, K, 3, 7, 9, 3, 2, jax_again, B * 3) == GS_OK, "top-k 2 threads");
    CHECK(memcmp(jax_top, jax_again, sizeof jax_top) == 0, "threads change the top-k indices");
    CHECK(gs_sample_jax_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_HARD, 7, 9, 3, 0, jax_hard, B * K) == GS_OK, "hard");
    for (int b = 0; b < B; b++) {
        int chosen[K] = {0};
        for (int j = 0; j < 3; j++) {
            int best = -1;
            for (int k = 0; k < K; k++) {
                double z = logits[b * K + k] + jax_noise[b * K + k];
                if (!chosen[k] && (best < 0 || z > logits[b * K + best] + jax_noise[b * K + best])) best = k;
            }
            chosen[best] = 1;
            CHECK(jax_top[b * 3 + j] == best, "row %d: top-k index %d is %lld, the argmax says %d", b, j,
                  (long long)jax_top[b * 3 + j], best);
            if (j == 0) CHECK(jax_indices[b] == best, "row %d: categorical %lld, argmax %d", b, (long long)jax_indices[b],
                              best);
        }
        for (int k = 0; k < K; k++) CHECK(jax_hard[b * K + k] == (k == jax_indices[b] ? 1.0 : 0.0), "hard[%d]", k);
    }

    /* Per-row temperatures equal to the scalar, and per-row streams against gs_sample_f64. */
    double temperatures[B] = {0.7, 0.7, 0.7}, rows[B * K];
    CHECK(gs_sample_per_row_f64(logits, B * K, B, K, temperatures, B, GS_OUTPUT_SOFT, 11, 2, 5, 0, rows, B * K) ==
              GS_OK, "per row");
    CHECK(memcmp(rows, soft, sizeof soft) == 0, "per-row temperatures differ from the scalar");
    uint64_t seeds[B] = {1, 2, 3}, streams[B] = {0, 4, 4}, positions[B] = {0, 100, 7};
    double t1 = 0.5;
    CHECK(gs_sample_rows_f64(logits, B * K, B, K, &t1, 1, GS_OUTPUT_SOFT, seeds, streams, positions, B, 0, rows,
                             B * K) == GS_OK, "rows");
    int64_t row_indices[B], row_top[B * 2];
    CHECK(gs_categorical_rows_f64(logits, B * K, B, K, seeds, streams, positions, B, 0, row_indices, B) == GS_OK,
          "categorical rows");
    CHECK(gs_top_k_rows_f64(logits, B * K, B, K, 2, seeds, streams, positions, B, 0, row_top, B * 2) == GS_OK,
          "top-k rows");
    for (int b = 0; b < B; b++) {
        double alone[K];
        int64_t index;
        CHECK(gs_sample_f64(logits + b * K, K, 1, K, 0.5, GS_OUTPUT_SOFT, seeds[b], streams[b], positions[b], 0,
                            alone, K) == GS_OK, "alone");
        CHECK(memcmp(alone, rows + b * K, sizeof alone) == 0, "row %d with its own stream", b);
        CHECK(gs_categorical_f64(logits + b * K, K, 1, K, seeds[b], streams[b], positions[b], 0, &index, 1) == GS_OK,
              "alone categorical");
        CHECK(index == row_indices[b] && index == row_top[b * 2], "row %d categorical", b);
    }

    /* Refusals: the status, and the output left as it was. */
    double sentinel[B * K];
    for (int i = 0; i < B * K; i++) sentinel[i] = 42;
    double bad[B * K];
    memcpy(bad, logits, sizeof bad);
    bad[2 * K + 3] = NAN;
    CHECK(gs_sample_f64(bad, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 1, 0, 0, 0, sentinel, B * K) == GS_NAN_LOGIT, "NaN");
    bad[2 * K + 3] = INFINITY;
    CHECK(gs_sample_f64(bad, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 1, 0, 0, 0, sentinel, B * K) == GS_INFINITE_LOGIT,
          "+inf");
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.0, GS_OUTPUT_SOFT, 1, 0, 0, 0, sentinel, B * K) ==
              GS_INVALID_TEMPERATURE, "T = 0");
    for (int k = 0; k < K; k++) bad[K + k] = -INFINITY;
    CHECK(gs_sample_f64(bad, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 1, 0, 0, 0, sentinel, B * K) == GS_ALL_MASKED_ROW,
          "all masked");
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 1, 0, 0, 0, sentinel, B * K - 1) ==
              GS_SIZE_MISMATCH, "size");
    CHECK(gs_sample_f64(logits, B * K, B, K, 0.7, GS_OUTPUT_SOFT, 1, 0, 0, 0, NULL, B * K) == GS_NULL_POINTER,
          "NULL");
    int untouched = 1;
    for (int i = 0; i < B * K; i++) untouched &= sentinel[i] == 42;
    CHECK(untouched, "a refused call wrote its output");
    int64_t kept[B * 3];
    for (int i = 0; i < B * 3; i++) kept[i] = -7;
    memcpy(bad, logits, sizeof bad);
    bad[2 * K + 3] = NAN;
    CHECK(gs_categorical_jax_f64(bad, B * K, B, K, 7, 9, 3, 0, kept, B) == GS_NAN_LOGIT, "jax NaN");
    memcpy(bad, logits, sizeof bad);
    for (int k = 2; k < K; k++) bad[K + k] = -INFINITY;
    CHECK(gs_top_k_jax_f64(bad, B * K, B, K, 3, 7, 9, 3, 0, kept, B * 3) == GS_INSUFFICIENT_CATEGORIES, "jax: %s",
          gs_last_error_message());
    CHECK(gs_top_k_jax_f64(logits, B * K, B, K, K + 1, 7, 9, 3, 0, kept, B * (K + 1)) == GS_INVALID_TOP_K, "jax k");
    CHECK(gs_top_k_jax_f64(logits, B * K, B, K, 3, 7, 9, 3, 0, kept, B * 3 - 1) == GS_SIZE_MISMATCH, "jax size");
    CHECK(gs_categorical_jax_f64(logits, B * K, B, K, 7, 9, 3, -1, kept, B) == GS_INVALID_THREAD_COUNT, "jax threads");
    CHECK(gs_categorical_jax_f64(NULL, B * K, B, K, 7, 9, 3, 0, kept, B) == GS_NULL_POINTER, "jax NULL");
    for (int i = 0; i < B * 3; i++) untouched &= kept[i] == -7;
    CHECK(untouched, "a refused JAX float64 categorical or top-k wrote its indices");

    /* The gradient of L = <v, soft(logits)> against central differences (noise held fixed). */
    double v[K], g[K], tg[1], one[K], up[K], down[K];
    for (int k = 0; k < K; k++) v[k] = (double)(check_xorshift(&state) >> 11) * 0x1p-53 - 0.5;
    CHECK(gs_sample_f64(logits, K, 1, K, 0.9, GS_OUTPUT_SOFT, 5, 0, 0, 0, one, K) == GS_OK, "sample");
    CHECK(gs_gradient_f64(one, K, v, K, 1, K, 0.9, GS_OUTPUT_SOFT, 0, g, K, tg, 1) == GS_OK, "%s",
          gs_last_error_message());
    double shifted[K];
    for (int k = 0; k < K; k += 6) {
        memcpy(shifted, logits, sizeof shifted);
        shifted[k] += 1e-6;
        gs_sample_f64(shifted, K, 1, K, 0.9, GS_OUTPUT_SOFT, 5, 0, 0, 0, up, K);
        shifted[k] -= 2e-6;
        gs_sample_f64(shifted, K, 1, K, 0.9, GS_OUTPUT_SOFT, 5, 0, 0, 0, down, K);
        double numeric = 0;
        for (int j = 0; j < K; j++) numeric += v[j] * (up[j] - down[j]) / 2e-6;
        CHECK(fabs(numeric - g[k]) <= 1e-7, "dL/dlogits[%d] = %.12g, numeric %.12g", k, g[k], numeric);
    }
    double tp = 0.9;
    double gp[K], tgp[1];
    CHECK(gs_gradient_per_row_f64(one, K, v, K, 1, K, &tp, 1, GS_OUTPUT_SOFT, 0, gp, K, tgp, 1) == GS_OK, "per row");
    CHECK(memcmp(gp, g, sizeof g) == 0 && tgp[0] == tg[0], "per-row gradient");

    /* The float64 noise agrees with the float32 noise to float precision. */
    double noise[1000];
    float noise32[1000];
    CHECK(gs_gumbel_noise_f64(0, 0, 20000, 0, noise, 1000) == GS_OK, "noise");
    CHECK(gs_gumbel_noise(0, 0, 20000, 0, noise32, 1000) == GS_OK, "noise32");
    int close = 1;
    for (int i = 0; i < 1000; i++) close &= fabs(noise[i] - noise32[i]) <= 2e-6 * fmax(1, fabs(noise[i]));
    CHECK(close, "float64 and float32 noise disagree");

    /* The float64 log-density equals the float32 one on float-valued inputs (both in double). */
    float lf[4] = {0.5f, -1.0f, 2.0f, 0.25f}, pf[4] = {0.25f, 0.125f, 0.5f, 0.125f}, tf = 0.75f;
    double ld[4], pd[4], td = 0.75, d32, d64;
    for (int i = 0; i < 4; i++) {
        ld[i] = lf[i];
        pd[i] = pf[i];
    }
    CHECK(gs_log_density(lf, 4, 1, 4, &tf, 1, pf, 4, GS_OUTPUT_SOFT, 0, &d32, 1) == GS_OK, "density32");
    CHECK(gs_log_density_f64(ld, 4, 1, 4, &td, 1, pd, 4, GS_OUTPUT_SOFT, 0, &d64, 1) == GS_OK, "density64");
    CHECK(d32 == d64, "density %.17g vs %.17g", d32, d64);
    pd[1] = -0.5;
    CHECK(gs_log_density_f64(ld, 4, 1, 4, &td, 1, pd, 4, GS_OUTPUT_SOFT, 0, &d64, 1) == GS_INVALID_POINT, "point");

    test_top_k_scratch_is_sized_for_doubles();
    return check_report();
}
