/*
 * Tests of the C ABI (include/gumbel_softmax.h) against libgumbelsoftmax.so: known properties,
 * the golden case, determinism across thread counts and shards, and every gs_status with its
 * message. Run with `make test-c`. Prints "N passed, N failed" and exits non-zero on a failure.
 */
#include "gumbel_softmax.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed = 0;
static int failed = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)

/* A deterministic float in [-4, 4) for test logits (xorshift64*). */
static uint64_t test_state = 0x9E3779B97F4A7C15ull;
static float test_logit(void) {
    test_state ^= test_state >> 12;
    test_state ^= test_state << 25;
    test_state ^= test_state >> 27;
    uint64_t x = test_state * 0x2545F4914F6CDD1Dull;
    return (float)((double)(x >> 11) / 9007199254740992.0 * 8.0 - 4.0);
}

static float *random_logits(int64_t n) {
    float *x = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = test_logit();
    return x;
}

static int64_t argmax_row(const float *row, int64_t k) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; j++)
        if (row[j] > row[best]) best = j;
    return best;
}

/* The golden case "two zeros, seed 0" of golden/vectors.json (SPEC.md section 3, contract 2), hardcoded:
   logits [0, 0], temperature 1, seed 0, stream 0, position 0 give
   soft [0.121655991780152, 0.878344008219848], log_soft [-2.1065579567102994,
   -0.12971695317765355] and argmax 1. Gumbel noise of seed 0 from position 0 starts
   0.08482025111138775, 2.061661254644034, 1.181182895287568, 0.6896917866196346. */
static void test_golden(void) {
    const float logits[2] = {0.0f, 0.0f};
    const double soft[2] = {0.121655991780152, 0.878344008219848};
    const double log_soft[2] = {-2.1065579567102994, -0.12971695317765355};
    const double noise[4] = {0.08482025111138775, 2.061661254644034, 1.181182895287568,
                             0.6896917866196346};
    /* zmax = max |(logits + g) / temperature| = g[1]. */
    double zmax = noise[1];
    float y[2], ly[2], g[4];
    int64_t index = -1;
    CHECK(gs_sample(logits, 2, 1, 2, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 2) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_sample(logits, 2, 1, 2, 1.0f, GS_OUTPUT_LOG, 0, 0, 0, 1, ly, 2) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_categorical(logits, 2, 1, 2, 0, 0, 0, 1, &index, 1) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_gumbel_noise(0, 0, 0, 1, g, 4) == GS_OK, "%s", gs_last_error_message());
    for (int i = 0; i < 2; i++) {
        CHECK(fabs(y[i] - soft[i]) <= 2e-5 + ldexp(zmax, -22), "soft[%d] = %.9g, want %.17g", i, y[i], soft[i]);
        CHECK(fabs(ly[i] - log_soft[i]) <= 2e-4 * fmax(1, fabs(log_soft[i])) + ldexp(zmax, -22),
              "log[%d] = %.9g, want %.17g", i, ly[i], log_soft[i]);
    }
    CHECK(index == 1, "categorical = %lld, want 1", (long long)index);
    for (int i = 0; i < 4; i++)
        CHECK(fabs(g[i] - noise[i]) <= 2e-6 * fmax(1, fabs(noise[i])), "noise[%d] = %.9g, want %.17g", i, g[i],
              noise[i]);
    CHECK(strcmp(gs_version(), GS_VERSION) == 0, "gs_version() = %s, header GS_VERSION = %s", gs_version(),
          GS_VERSION);
}

/* Rows sum to 1, lie in [0, 1], log-space agrees with soft, masked entries are exactly 0 / -inf,
   hard is one-hot at argmax(log) and categorical equals it. K = 40000 takes the long-row path. */
static void test_properties(int64_t b, int64_t k, float temperature) {
    int64_t n = b * k;
    float *x = random_logits(n);
    x[0] = -INFINITY; /* one masked category */
    float *y = malloc((size_t)n * sizeof(float));
    float *ly = malloc((size_t)n * sizeof(float));
    float *h = malloc((size_t)n * sizeof(float));
    int64_t *idx = malloc((size_t)b * sizeof(int64_t));
    CHECK(gs_sample(x, n, b, k, temperature, GS_OUTPUT_SOFT, 42, 1, 7, 0, y, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, n, b, k, temperature, GS_OUTPUT_LOG, 42, 1, 7, 0, ly, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, n, b, k, temperature, GS_OUTPUT_HARD, 42, 1, 7, 0, h, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_categorical(x, n, b, k, 42, 1, 7, 0, idx, b) == GS_OK, "%s", gs_last_error_message());
    int bad_sum = 0, bad_range = 0, bad_log = 0, bad_hard = 0, bad_cat = 0;
    for (int64_t r = 0; r < b; r++) {
        double sum = 0;
        int64_t ones = 0, one_at = -1;
        for (int64_t j = 0; j < k; j++) {
            float v = y[r * k + j];
            sum += v;
            if (!(v >= 0 && v <= 1)) bad_range++;
            if (fabs(exp((double)ly[r * k + j]) - v) > 2e-5 + 2e-4 * v) bad_log++;
            if (h[r * k + j] == 1.0f) { ones++; one_at = j; }
            else if (h[r * k + j] != 0.0f) bad_hard++;
        }
        if (fabs(sum - 1) > 1e-5) bad_sum++;
        if (ones != 1 || one_at != argmax_row(ly + r * k, k)) bad_hard++;
        if (idx[r] != one_at) bad_cat++;
    }
    CHECK(y[0] == 0.0f && isinf(ly[0]) && ly[0] < 0 && h[0] == 0.0f, "masked: soft %g log %g hard %g", y[0],
          ly[0], h[0]);
    CHECK(bad_sum == 0, "[%lld, %lld]: %d rows do not sum to 1", (long long)b, (long long)k, bad_sum);
    CHECK(bad_range == 0, "%d values outside [0, 1]", bad_range);
    CHECK(bad_log == 0, "%d log-space values disagree with soft", bad_log);
    CHECK(bad_hard == 0, "%d hard rows are not the one-hot of argmax(z)", bad_hard);
    CHECK(bad_cat == 0, "%d categorical indices differ from the hard sample's", bad_cat);
    free(x); free(y); free(ly); free(h); free(idx);
}

/* Same inputs, same bits; another seed or stream, other bits; any thread count, same bits;
   rows [a, c) at position + a*K equal those rows of the whole batch. */
static void test_determinism(void) {
    const int64_t b = 48, k = 1500, n = b * k; /* > 32768 elements: the parallel path */
    float *x = random_logits(n);
    float *ref = malloc((size_t)n * sizeof(float));
    float *y = malloc((size_t)n * sizeof(float));
    float *noise_ref = malloc((size_t)n * sizeof(float));
    float *noise = malloc((size_t)n * sizeof(float));
    int64_t idx_ref[48], idx[48];
    const gs_output outputs[3] = {GS_OUTPUT_SOFT, GS_OUTPUT_LOG, GS_OUTPUT_HARD};
    for (int o = 0; o < 3; o++) {
        CHECK(gs_sample(x, n, b, k, 0.7f, outputs[o], 99, 3, 12345, 1, ref, n) == GS_OK, "%s",
              gs_last_error_message());
        const int32_t thread_counts[4] = {1, 2, 3, 0};
        for (int t = 0; t < 4; t++) {
            CHECK(gs_sample(x, n, b, k, 0.7f, outputs[o], 99, 3, 12345, thread_counts[t], y, n) == GS_OK, "%s",
                  gs_last_error_message());
            CHECK(memcmp(ref, y, (size_t)n * sizeof(float)) == 0, "output %d: threads %d changed bits", o,
                  thread_counts[t]);
        }
        /* Shards of rows [0, 5), [5, 31), [31, 48). */
        const int64_t cuts[4] = {0, 5, 31, 48};
        memset(y, 0, (size_t)n * sizeof(float));
        for (int s = 0; s < 3; s++) {
            int64_t r0 = cuts[s], r1 = cuts[s + 1];
            CHECK(gs_sample(x + r0 * k, (r1 - r0) * k, r1 - r0, k, 0.7f, outputs[o], 99, 3,
                            12345 + (uint64_t)(r0 * k), 2, y + r0 * k, (r1 - r0) * k) == GS_OK,
                  "%s", gs_last_error_message());
        }
        CHECK(memcmp(ref, y, (size_t)n * sizeof(float)) == 0, "output %d: sharded rows differ", o);
    }
    CHECK(gs_sample(x, n, b, k, 0.7f, GS_OUTPUT_SOFT, 100, 3, 12345, 0, y, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, n, b, k, 0.7f, GS_OUTPUT_SOFT, 99, 3, 12345, 0, ref, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(memcmp(ref, y, (size_t)n * sizeof(float)) != 0, "seed 100 gave the bits of seed 99");
    CHECK(gs_sample(x, n, b, k, 0.7f, GS_OUTPUT_SOFT, 99, 4, 12345, 0, y, n) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(memcmp(ref, y, (size_t)n * sizeof(float)) != 0, "stream 4 gave the bits of stream 3");

    CHECK(gs_categorical(x, n, b, k, 5, 0, 0, 1, idx_ref, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_categorical(x, n, b, k, 5, 0, 0, 0, idx, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(idx_ref, idx, sizeof idx) == 0, "categorical: thread count changed indices");

    CHECK(gs_gumbel_noise(8, 2, 1000, 1, noise_ref, n) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_gumbel_noise(8, 2, 1000, 0, noise, n) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(noise_ref, noise, (size_t)n * sizeof(float)) == 0, "noise: thread count changed bits");
    CHECK(gs_gumbel_noise(8, 2, 1000 + 777, 3, noise, n - 777) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(noise_ref + 777, noise, (size_t)(n - 777) * sizeof(float)) == 0,
          "noise at position p + 777 is not the tail of noise at p");
    free(x); free(ref); free(y); free(noise_ref); free(noise);
}

/* Top-k: the k largest logits + g (g from gs_gumbel_noise at the same words), in descending
   order, distinct; the first equals gs_categorical; the thread count changes nothing. K = 40000
   takes the long-row path. */
static void test_top_k(int64_t b, int64_t k, int64_t top) {
    int64_t n = b * k;
    float *x = random_logits(n);
    float *g = malloc((size_t)n * sizeof(float));
    int64_t *idx = malloc((size_t)(b * top) * sizeof(int64_t));
    int64_t *idx2 = malloc((size_t)(b * top) * sizeof(int64_t));
    int64_t *cat = malloc((size_t)b * sizeof(int64_t));
    CHECK(gs_top_k(x, n, b, k, top, 21, 2, 500, 1, idx, b * top) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_top_k(x, n, b, k, top, 21, 2, 500, 0, idx2, b * top) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(idx, idx2, (size_t)(b * top) * sizeof(int64_t)) == 0, "top-k: thread count changed indices");
    CHECK(gs_categorical(x, n, b, k, 21, 2, 500, 0, cat, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_gumbel_noise(21, 2, 500, 0, g, n) == GS_OK, "%s", gs_last_error_message());
    int bad_first = 0, bad_order = 0, bad_rest = 0;
    char *chosen = calloc((size_t)k, 1);
    for (int64_t r = 0; r < b; r++) {
        const int64_t *row = idx + r * top;
        if (row[0] != cat[r]) bad_first++;
        memset(chosen, 0, (size_t)k);
        for (int64_t j = 0; j < top; j++) {
            if (row[j] < 0 || row[j] >= k || chosen[row[j]]) { bad_order++; break; }
            chosen[row[j]] = 1;
            if (j > 0 && x[r * k + row[j]] + g[r * k + row[j]] > x[r * k + row[j - 1]] + g[r * k + row[j - 1]])
                bad_order++;
        }
        if (bad_order) break;
        float last = x[r * k + row[top - 1]] + g[r * k + row[top - 1]];
        for (int64_t j = 0; j < k; j++)
            if (!chosen[j] && x[r * k + j] + g[r * k + j] > last) bad_rest++;
    }
    CHECK(bad_first == 0, "[%lld, %lld] k=%lld: %d rows' first index is not the categorical one", (long long)b,
          (long long)k, (long long)top, bad_first);
    CHECK(bad_order == 0, "top-k indices not distinct and descending");
    CHECK(bad_rest == 0, "%d unchosen categories beat the k-th chosen", bad_rest);
    free(x); free(g); free(idx); free(idx2); free(cat); free(chosen);
}

/* The gradient against the formulas of the header, evaluated in double; rows of dL/dlogits sum
   to 0; HARD (straight-through) equals SOFT; LOG agrees with SOFT (the same loss seen through
   log y); the thread count changes no bit. */
static void test_gradient(void) {
    const int64_t b = 40, k = 1000, n = b * k;
    const float t = 0.6f;
    float *x = random_logits(n);
    float *v = random_logits(n);
    float *y = malloc((size_t)n * sizeof(float));
    float *ly = malloc((size_t)n * sizeof(float));
    float *g = malloc((size_t)n * sizeof(float));
    float *g2 = malloc((size_t)n * sizeof(float));
    float *vlog = malloc((size_t)n * sizeof(float));
    float tg[40], tg2[40];
    x[5] = -INFINITY;
    CHECK(gs_sample(x, n, b, k, t, GS_OUTPUT_SOFT, 3, 0, 0, 0, y, n) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_sample(x, n, b, k, t, GS_OUTPUT_LOG, 3, 0, 0, 0, ly, n) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_gradient(y, n, v, n, b, k, t, GS_OUTPUT_SOFT, 1, g, n, tg, b) == GS_OK, "%s", gs_last_error_message());
    int bad = 0, bad_sum = 0, bad_t = 0;
    for (int64_t r = 0; r < b; r++) {
        const float *yr = y + r * k, *vr = v + r * k;
        double dot = 0, sum = 0, tsum = 0, scale = 0;
        for (int64_t j = 0; j < k; j++) dot += (double)vr[j] * yr[j];
        for (int64_t j = 0; j < k; j++) {
            double dz = yr[j] * (vr[j] - dot);
            double want = dz / t;
            scale = fmax(scale, fabs(want));
            if (fabs(g[r * k + j] - want) > 1e-5 + 1e-4 * fabs(want)) bad++;
            sum += g[r * k + j];
            if (yr[j] > 0) tsum += dz * log((double)yr[j]);
        }
        if (fabs(sum) > 1e-5 * fmax(1, scale * k)) bad_sum++;
        double want_t = -tsum / t;
        if (fabs(tg[r] - want_t) > 1e-4 * fmax(1, fabs(want_t))) bad_t++;
    }
    CHECK(bad == 0, "%d logit gradients differ from y * (v - <v, y>) / t", bad);
    CHECK(bad_sum == 0, "%d gradient rows do not sum to 0", bad_sum);
    CHECK(bad_t == 0, "%d temperature gradients differ", bad_t);
    CHECK(g[5] == 0.0f, "masked category's gradient %g", g[5]);
    CHECK(gs_gradient(y, n, v, n, b, k, t, GS_OUTPUT_SOFT, 0, g2, n, tg2, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(g, g2, (size_t)n * sizeof(float)) == 0 && memcmp(tg, tg2, sizeof tg) == 0,
          "gradient: thread count changed bits");
    CHECK(gs_gradient(y, n, v, n, b, k, t, GS_OUTPUT_HARD, 2, g2, n, NULL, 0) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(g, g2, (size_t)n * sizeof(float)) == 0, "straight-through gradient differs from soft");
    /* L(log y) with dL/dlog y = v / y is the same loss as L(y) with dL/dy = v. */
    for (int64_t i = 0; i < n; i++) vlog[i] = y[i] > 0 ? v[i] * y[i] : 0;
    CHECK(gs_gradient(ly, n, vlog, n, b, k, t, GS_OUTPUT_LOG, 0, g2, n, NULL, 0) == GS_OK, "%s",
          gs_last_error_message());
    int bad_log = 0;
    for (int64_t i = 0; i < n; i++)
        if (fabs(g2[i] - g[i]) > 1e-5 + 1e-3 * fabs(g[i])) bad_log++;
    CHECK(bad_log == 0, "%d log-space gradients disagree with soft", bad_log);
    float temps[40];
    for (int r = 0; r < 40; r++) temps[r] = t;
    CHECK(gs_gradient_per_row(y, n, v, n, b, k, temps, b, GS_OUTPUT_SOFT, 0, g2, n, tg2, b) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(memcmp(g, g2, (size_t)n * sizeof(float)) == 0 && memcmp(tg, tg2, sizeof tg) == 0,
          "per-row temperatures all equal to t differ from the scalar t");
    free(x); free(v); free(y); free(ly); free(g); free(g2); free(vlog);
}

/* Expects `status` with its name and a message containing `fragment`. */
static void expect_error(gs_status status, gs_status want, const char *fragment, const char *what) {
    const char *message = gs_last_error_message();
    CHECK(status == want, "%s: got %s (%s), want %s", what, gs_status_name(status), message, gs_status_name(want));
    CHECK(strstr(message, fragment) != NULL, "%s: message \"%s\" lacks \"%s\"", what, message, fragment);
    printf("  %-26s %-40s -> %s\n", gs_status_name(status), what, message);
}

static void *message_on_other_thread(void *arg) {
    (void)arg;
    return (void *)gs_last_error_message();
}

/* Threads failing at the same time each read their own message, never another's. */
static void *fail_repeatedly(void *arg) {
    intptr_t id = (intptr_t)arg;
    float x[4] = {0, 1, 2, 3}, y[4];
    char want[96];
    snprintf(want, sizeof want, "temperature must be finite and > 0, got -%d.0", (int)id);
    intptr_t wrong = 0;
    for (int i = 0; i < 2000; i++) {
        gs_status status = gs_sample(x, 4, 1, 4, -(float)id, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 4);
        if (status != GS_INVALID_TEMPERATURE || strcmp(gs_last_error_message(), want) != 0) wrong++;
        if (gs_sample(x, 4, 1, 4, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 4) != GS_OK ||
            strcmp(gs_last_error_message(), "") != 0)
            wrong++;
    }
    return (void *)wrong;
}

static void test_concurrent_errors(void) {
    pthread_t threads[4];
    for (intptr_t t = 0; t < 4; t++) pthread_create(&threads[t], NULL, fail_repeatedly, (void *)(t + 1));
    for (int t = 0; t < 4; t++) {
        void *wrong = NULL;
        pthread_join(threads[t], &wrong);
        CHECK(wrong == NULL, "thread %d saw %ld wrong statuses or messages", t + 1, (long)(intptr_t)wrong);
    }
}

static void test_errors(void) {
    float x[6] = {0, 1, 2, 3, 4, 5};
    float y[6];
    int64_t idx[2];
    printf("refusals:\n");

    expect_error(gs_sample(x, 6, 2, 3, 0.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_TEMPERATURE,
                 "temperature must be finite and > 0, got 0.0", "temperature 0");
    expect_error(gs_sample(x, 6, 2, 3, NAN, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_TEMPERATURE, "nan",
                 "temperature NaN");
    expect_error(gs_sample(x, 6, 2, 3, -1.0f, GS_OUTPUT_LOG, 0, 0, 0, 0, y, 6), GS_INVALID_TEMPERATURE, "-1.0",
                 "temperature -1");
    expect_error(gs_sample(x, 6, 2, 3, INFINITY, GS_OUTPUT_HARD, 0, 0, 0, 0, y, 6), GS_INVALID_TEMPERATURE, "inf",
                 "temperature +inf");
    const float temps[2] = {1.0f, -2.0f};
    expect_error(gs_sample_per_row(x, 6, 2, 3, temps, 2, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_TEMPERATURE,
                 "temperature of row 1", "per-row temperature -2");

    float nan_x[6] = {0, 1, 2, 3, NAN, 5};
    expect_error(gs_sample(nan_x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_NAN_LOGIT,
                 "row 1, column 1 is NaN", "NaN logit");
    expect_error(gs_categorical(nan_x, 6, 2, 3, 0, 0, 0, 0, idx, 2), GS_NAN_LOGIT, "row 1, column 1",
                 "NaN logit (categorical)");
    float inf_x[6] = {0, INFINITY, 2, 3, 4, 5};
    expect_error(gs_sample(inf_x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INFINITE_LOGIT,
                 "row 0, column 1 is +inf", "+inf logit");
    float masked_x[6] = {0, 1, 2, -INFINITY, -INFINITY, -INFINITY};
    expect_error(gs_sample(masked_x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_ALL_MASKED_ROW,
                 "every logit of row 1 is -inf", "all-masked row");
    expect_error(gs_sample(x, 0, 2, 0, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 0), GS_NO_CATEGORIES, "K is 0",
                 "K == 0");
    expect_error(gs_sample(x, 6, -1, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_SHAPE,
                 "shape [-1, 3] is invalid", "B == -1");
    /* B*K overflows: refused before the 6-float buffers are read or written. */
    expect_error(gs_sample(x, 6, INT64_MAX / 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_SHAPE,
                 "B*K must fit", "B*K overflow");
    expect_error(gs_sample(x, 5, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_SIZE_MISMATCH,
                 "logits hold 5 elements but the shape needs B*K = 6", "logits_count 5 for [2, 3]");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 4), GS_SIZE_MISMATCH,
                 "holds 4 elements but the shape needs 6", "result_count 4 for [2, 3]");
    expect_error(gs_categorical(x, 6, 2, 3, 0, 0, 0, 0, idx, 1), GS_SIZE_MISMATCH,
                 "holds 1 elements but the shape needs 2", "indices_count 1 for B = 2");
    expect_error(gs_sample_per_row(x, 6, 2, 3, temps, 1, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_SIZE_MISMATCH,
                 "per-row temperatures hold 1 values but there are 2 rows", "temperatures_count 1 for B = 2");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, -1, y, 6), GS_INVALID_THREAD_COUNT,
                 "thread count must be >= 0 (0 = all cores), got -1", "threads -1");
    expect_error(gs_gumbel_noise(0, 0, 0, -3, y, 6), GS_INVALID_THREAD_COUNT, "got -3", "threads -3 (noise)");
    expect_error(gs_sample(NULL, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_NULL_POINTER,
                 "logits is NULL but logits_count is 6", "logits NULL");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, NULL, 6), GS_NULL_POINTER,
                 "result is NULL but result_count is 6", "result NULL");
    expect_error(gs_categorical(x, 6, 2, 3, 0, 0, 0, 0, NULL, 2), GS_NULL_POINTER, "indices is NULL",
                 "indices NULL");
    expect_error(gs_gumbel_noise(0, 0, 0, 0, NULL, 3), GS_NULL_POINTER, "result is NULL", "noise NULL");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, (gs_output)7, 0, 0, 0, 0, y, 6), GS_INVALID_ARGUMENT,
                 "got 7", "output kind 7");
    expect_error(gs_sample(x, -6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_INVALID_ARGUMENT,
                 "logits_count must be >= 0, got -6", "logits_count -6");
    expect_error(gs_gumbel_noise(0, 0, 0, 0, y, -1), GS_INVALID_ARGUMENT, "result_count must be >= 0",
                 "noise count -1");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, x + 2, 6), GS_INVALID_ARGUMENT,
                 "result overlaps logits", "result overlapping logits");

    int64_t top[6];
    expect_error(gs_top_k(x, 6, 2, 3, 0, 0, 0, 0, 0, top, 0), GS_INVALID_TOP_K, "k must be in 1...3 (the number of categories), got 0",
                 "top-k: k 0");
    expect_error(gs_top_k(x, 6, 2, 3, 4, 0, 0, 0, 0, top, 8), GS_INVALID_TOP_K, "got 4", "top-k: k 4 > K");
    float one_left[6] = {0, 1, 2, -INFINITY, 7, -INFINITY};
    expect_error(gs_top_k(one_left, 6, 2, 3, 2, 0, 0, 0, 0, top, 4), GS_INSUFFICIENT_CATEGORIES,
                 "row 1 has 1 unmasked categories but top-k needs k = 2", "top-k: 1 unmasked, k 2");
    expect_error(gs_top_k(x, 6, 2, 3, 2, 0, 0, 0, 0, top, 6), GS_SIZE_MISMATCH, "holds 6 elements but the shape needs 4",
                 "top-k: indices_count 6 for B*k = 4");
    expect_error(gs_top_k(nan_x, 6, 2, 3, 2, 0, 0, 0, 0, top, 4), GS_NAN_LOGIT, "row 1, column 1", "top-k: NaN");
    expect_error(gs_top_k(x, 6, 2, 3, 2, 0, 0, 0, 0, NULL, 4), GS_NULL_POINTER, "indices is NULL", "top-k: NULL");
    float gy[6], gg[6], gt[2];
    for (int i = 0; i < 6; i++) gy[i] = 1.0f / 3;
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 0.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 2), GS_INVALID_TEMPERATURE,
                 "got 0.0", "gradient: temperature 0");
    expect_error(gs_gradient(gy, 6, x, 5, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 2), GS_SIZE_MISMATCH,
                 "upstream gradient holds 5 elements", "gradient: upstream_count 5");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 1), GS_SIZE_MISMATCH,
                 "temperature gradient holds 1 elements", "gradient: temperature_gradient_count 1");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, NULL, 6, NULL, 0), GS_NULL_POINTER,
                 "logits_gradient is NULL", "gradient: logits_gradient NULL");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 1.0f, (gs_output)3, 0, gg, 6, NULL, 0), GS_INVALID_ARGUMENT,
                 "kind must be GS_OUTPUT_SOFT (0), GS_OUTPUT_LOG (1) or GS_OUTPUT_HARD (2), got 3", "gradient: kind 3");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, gy, 6, NULL, 0), GS_INVALID_ARGUMENT,
                 "logits_gradient overlaps output", "gradient: in place");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 0, 1.0f, GS_OUTPUT_SOFT, 0, gg, 6, NULL, 0), GS_NO_CATEGORIES,
                 "K is 0", "gradient: K == 0");

    /* Every code has its name; unknown values have a placeholder. */
    CHECK(strcmp(gs_status_name(GS_OK), "GS_OK") == 0, "%s", gs_status_name(GS_OK));
    CHECK(strcmp(gs_status_name(GS_INVALID_TOP_K), "GS_INVALID_TOP_K") == 0, "%s", gs_status_name(GS_INVALID_TOP_K));
    CHECK(strcmp(gs_status_name(GS_INSUFFICIENT_CATEGORIES), "GS_INSUFFICIENT_CATEGORIES") == 0, "%s",
          gs_status_name(GS_INSUFFICIENT_CATEGORIES));
    CHECK(strcmp(gs_status_name(GS_INVALID_POINT), "GS_INVALID_POINT") == 0, "%s", gs_status_name(GS_INVALID_POINT));
    CHECK(strcmp(gs_status_name((gs_status)99), "GS_UNKNOWN_STATUS") == 0, "%s", gs_status_name((gs_status)99));
    CHECK(strcmp(gs_status_name((gs_status)-1), "GS_UNKNOWN_STATUS") == 0, "%s", gs_status_name((gs_status)-1));

    /* The message is per thread: another thread sees "" while this one keeps its own. */
    gs_status status = gs_sample(x, 6, 2, 3, 0.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6);
    CHECK(status == GS_INVALID_TEMPERATURE, "%s", gs_status_name(status));
    pthread_t thread;
    void *other = NULL;
    pthread_create(&thread, NULL, message_on_other_thread, NULL);
    pthread_join(thread, &other);
    CHECK(other != NULL && strcmp((const char *)other, "") == 0, "other thread saw \"%s\"", (const char *)other);
    CHECK(strstr(gs_last_error_message(), "temperature") != NULL, "own message lost: %s", gs_last_error_message());

    /* The caller-buffer variant: full length returned, truncated copy NUL-terminated. */
    char small[8], big[256];
    size_t length = gs_copy_last_error_message(small, sizeof small);
    CHECK(length == strlen(gs_last_error_message()) && length > 7, "length %zu", length);
    CHECK(strlen(small) == 7 && strncmp(small, gs_last_error_message(), 7) == 0, "truncated: \"%s\"", small);
    CHECK(gs_copy_last_error_message(big, sizeof big) == length && strcmp(big, gs_last_error_message()) == 0,
          "copy: \"%s\"", big);
    CHECK(gs_copy_last_error_message(NULL, 0) == length, "NULL buffer");

    /* A success clears the message. B == 0 is valid, with NULL buffers. */
    CHECK(gs_sample(NULL, 0, 0, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, NULL, 0) == GS_OK, "B == 0: %s",
          gs_last_error_message());
    CHECK(strcmp(gs_last_error_message(), "") == 0, "message after success: \"%s\"", gs_last_error_message());
    CHECK(gs_categorical(NULL, 0, 0, 3, 0, 0, 0, 0, NULL, 0) == GS_OK, "B == 0: %s", gs_last_error_message());
    CHECK(gs_gumbel_noise(0, 0, 0, 0, NULL, 0) == GS_OK, "count 0: %s", gs_last_error_message());
    CHECK(gs_top_k(NULL, 0, 0, 3, 2, 0, 0, 0, 0, NULL, 0) == GS_OK, "B == 0: %s", gs_last_error_message());
    CHECK(gs_gradient(NULL, 0, NULL, 0, 0, 3, 1.0f, GS_OUTPUT_SOFT, 0, NULL, 0, NULL, 0) == GS_OK, "B == 0: %s",
          gs_last_error_message());
    /* A refused sample leaves the output zeroed, never half-written. */
    for (int i = 0; i < 6; i++) y[i] = 9.0f;
    gs_sample(nan_x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6);
    int zeros = 0;
    for (int i = 0; i < 6; i++) zeros += y[i] == 0.0f;
    CHECK(zeros == 6, "refused sample left %d of 6 zeros", zeros);
}

int main(void) {
    printf("libgumbelsoftmax %s\n", gs_version());
    test_golden();
    test_properties(7, 1000, 1.0f);
    test_properties(3, 40000, 0.5f);
    test_properties(300, 3, 0.1f);
    test_determinism();
    test_gradient();
    test_top_k(50, 700, 5);
    test_top_k(2, 40000, 17);
    test_top_k(100, 4, 4);
    test_errors();
    test_concurrent_errors();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
