/*
 * Tests of the C ABI (include/gumbel_softmax.h) against libgumbelsoftmax.so: known properties,
 * the golden case, determinism across thread counts and shards, and every gs_status with its
 * message. Run with `make test-c`. Prints "N passed, N failed" and exits non-zero on a failure.
 */
#include "gumbel_softmax.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* A deterministic float in [-4, 4) for test logits (xorshift64*). */
static uint64_t test_state = 0x9E3779B97F4A7C15ull;
static float test_logit(void) {
    uint64_t x = check_xorshift(&test_state);
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

/* One call of the library, its output written to `out`, with `threads` worker threads. */
typedef gs_status (*threaded_call)(const void *arguments, int32_t threads, void *out);

/* "Sample at each thread count, compare bits", in one place: runs `call` with 1 thread as the
   reference, then with 2, 3 and 0 (all cores), and checks every output has the same bytes. */
static void check_thread_counts(const char *what, threaded_call call, const void *arguments, size_t bytes) {
    unsigned char *reference = malloc(bytes ? bytes : 1);
    unsigned char *other = malloc(bytes ? bytes : 1);
    gs_status status = call(arguments, 1, reference);
    CHECK(status == GS_OK, "%s, 1 thread: %s", what, gs_last_error_message());
    const int32_t counts[3] = {2, 3, 0};
    for (int t = 0; t < 3; t++) {
        memset(other, 0xA5, bytes);
        status = call(arguments, counts[t], other);
        CHECK(status == GS_OK, "%s, %d threads: %s", what, counts[t], gs_last_error_message());
        CHECK(memcmp(reference, other, bytes) == 0, "%s: %d threads changed bits", what, counts[t]);
    }
    free(reference);
    free(other);
}

/* The arguments of the calls that check_thread_counts runs. */
struct batch_call {
    const float *x;
    int64_t b, k, top;
    float temperature;
    gs_output output;
    uint64_t seed, stream, position;
    const float *upstream;
    int jax;
};

static gs_status sample_call(const void *arguments, int32_t threads, void *out) {
    const struct batch_call *a = arguments;
    if (a->jax)
        return gs_sample_jax(a->x, a->b * a->k, a->b, a->k, a->temperature, a->output, (uint32_t)(a->seed >> 32),
                             (uint32_t)a->seed, a->position, threads, out, a->b * a->k);
    return gs_sample(a->x, a->b * a->k, a->b, a->k, a->temperature, a->output, a->seed, a->stream, a->position,
                     threads, out, a->b * a->k);
}

static gs_status categorical_call(const void *arguments, int32_t threads, void *out) {
    const struct batch_call *a = arguments;
    if (a->jax)
        return gs_categorical_jax(a->x, a->b * a->k, a->b, a->k, (uint32_t)(a->seed >> 32), (uint32_t)a->seed,
                                  a->position, threads, out, a->b);
    return gs_categorical(a->x, a->b * a->k, a->b, a->k, a->seed, a->stream, a->position, threads, out, a->b);
}

static gs_status top_k_call(const void *arguments, int32_t threads, void *out) {
    const struct batch_call *a = arguments;
    if (a->jax)
        return gs_top_k_jax(a->x, a->b * a->k, a->b, a->k, a->top, (uint32_t)(a->seed >> 32), (uint32_t)a->seed,
                            a->position, threads, out, a->b * a->top);
    return gs_top_k(a->x, a->b * a->k, a->b, a->k, a->top, a->seed, a->stream, a->position, threads, out,
                    a->b * a->top);
}

static gs_status noise_call(const void *arguments, int32_t threads, void *out) {
    const struct batch_call *a = arguments;
    if (a->jax)
        return gs_gumbel_noise_jax((uint32_t)(a->seed >> 32), (uint32_t)a->seed, a->position, threads, out,
                                   a->b * a->k);
    return gs_gumbel_noise(a->seed, a->stream, a->position, threads, out, a->b * a->k);
}

/* The logits gradient followed by the temperature gradient, in one output. */
static gs_status gradient_call(const void *arguments, int32_t threads, void *out) {
    const struct batch_call *a = arguments;
    float *g = out;
    return gs_gradient(a->x, a->b * a->k, a->upstream, a->b * a->k, a->b, a->k, a->temperature, a->output, threads,
                       g, a->b * a->k, g + a->b * a->k, a->b);
}

/* The golden case "two zeros, seed 0" of golden/vectors.json (contract v2, SPEC.md section 3),
   hardcoded (the v1 values differ by less than 4e-8, well within the tolerances used here):
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
        for (int jax = 0; jax < 2; jax++) {
            struct batch_call call = {.x = x, .b = b, .k = k, .temperature = 0.7f, .output = outputs[o],
                                      .seed = 99, .stream = 3, .position = 12345, .jax = jax};
            check_thread_counts(jax ? "gs_sample_jax" : "gs_sample", sample_call, &call, (size_t)n * sizeof(float));
        }
        CHECK(gs_sample(x, n, b, k, 0.7f, outputs[o], 99, 3, 12345, 1, ref, n) == GS_OK, "%s",
              gs_last_error_message());
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

    for (int jax = 0; jax < 2; jax++) {
        struct batch_call call = {.x = x, .b = b, .k = k, .seed = 5, .jax = jax};
        check_thread_counts("categorical", categorical_call, &call, sizeof idx);
        struct batch_call noise_args = {.b = b, .k = k, .seed = 8, .stream = 2, .position = 1000, .jax = jax};
        check_thread_counts("noise", noise_call, &noise_args, (size_t)n * sizeof(float));
    }
    CHECK(gs_categorical(x, n, b, k, 5, 0, 0, 1, idx_ref, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_categorical_jax(x, n, b, k, 0, 5, 0, 1, idx, b) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(idx_ref, idx, sizeof idx) != 0, "the JAX stream gave Philox's indices");
    CHECK(gs_gumbel_noise(8, 2, 1000, 1, noise_ref, n) == GS_OK, "%s", gs_last_error_message());
    CHECK(gs_gumbel_noise(8, 2, 1000 + 777, 3, noise, n - 777) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(noise_ref + 777, noise, (size_t)(n - 777) * sizeof(float)) == 0,
          "noise at position p + 777 is not the tail of noise at p");
    free(x); free(ref); free(y); free(noise_ref); free(noise);
}

/* Top-k: the k largest logits + g (g from the noise function at the same words), in descending
   order, distinct; the first equals the categorical index; the thread count changes nothing; for
   both generators (Philox and JAX's threefry). K = 40000 takes the long-row path. */
static void test_top_k(int64_t b, int64_t k, int64_t top) {
    int64_t n = b * k;
    float *x = random_logits(n);
    float *g = malloc((size_t)n * sizeof(float));
    int64_t *idx = malloc((size_t)(b * top) * sizeof(int64_t));
    int64_t *cat = malloc((size_t)b * sizeof(int64_t));
    char *chosen = calloc((size_t)k, 1);
    for (int jax = 0; jax < 2; jax++) {
        const char *name = jax ? "gs_top_k_jax" : "gs_top_k";
        struct batch_call call = {.x = x, .b = b, .k = k, .top = top, .seed = 21, .stream = 2, .position = 500,
                                  .jax = jax};
        check_thread_counts(name, top_k_call, &call, (size_t)(b * top) * sizeof(int64_t));
        CHECK(top_k_call(&call, 0, idx) == GS_OK, "%s", gs_last_error_message());
        CHECK(categorical_call(&call, 0, cat) == GS_OK, "%s", gs_last_error_message());
        call.b = 1;
        call.k = n; /* the noise of all n words */
        CHECK(noise_call(&call, 0, g) == GS_OK, "%s", gs_last_error_message());
        int bad_first = 0, bad_order = 0, bad_rest = 0;
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
        CHECK(bad_first == 0, "%s [%lld, %lld] k=%lld: %d rows' first index is not the categorical one", name,
              (long long)b, (long long)k, (long long)top, bad_first);
        CHECK(bad_order == 0, "%s: indices not distinct and descending", name);
        CHECK(bad_rest == 0, "%s: %d unchosen categories beat the k-th chosen", name, bad_rest);
    }
    free(x); free(g); free(idx); free(cat); free(chosen);
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
    struct batch_call call = {.x = y, .b = b, .k = k, .temperature = t, .output = GS_OUTPUT_SOFT, .upstream = v};
    check_thread_counts("gradient", gradient_call, &call, (size_t)(n + b) * sizeof(float));
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

/* JAX's threefry stream: known answers of Tests/golden/jax_vectors.json (JAX 0.10.2 on the CPU),
   hardcoded. The worked example jax.nn.softmax((jnp.zeros(2) + jax.random.gumbel(PRNGKey(0),
   (2,))) / 1.0) = [0.28715432, 0.7128457]; gumbel_exact of PRNGKey(42) and of PRNGKey(-1) under
   jax_enable_x64 (key ffffffff ffffffff), shape (7,); jax.random.categorical(PRNGKey(0), logits)
   of a [6, 4] batch; key_data(PRNGKey(seed)) for a few seeds. */
static void test_jax_known_answers(void) {
    const float zeros[2] = {0, 0};
    const double soft[2] = {0.28715431690216064, 0.7128456830978394};
    const double g0[2] = {2.923372516322048, 3.832617660465498}; /* PRNGKey(0), shape (2,) */
    float y[2];
    CHECK(gs_sample_jax(zeros, 2, 1, 2, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 2) == GS_OK, "%s",
          gs_last_error_message());
    for (int i = 0; i < 2; i++)
        CHECK(fabs(y[i] - soft[i]) <= 2e-5 + ldexp(g0[1], -22), "worked example [%d] = %.9g, want %.9g", i, y[i],
              soft[i]);
    const double g42[7] = {0.33409341606566884, 0.9520194665598058, 0.7255305626593873, 0.548171538658787,
                           0.226804934226511,   0.6261159594899304, -0.95274273310149};
    const double gm1[7] = {-1.033914331425801, 1.8929439062565059, 0.20845238454069062, -0.04655673530209908,
                           0.5970362882965321, -0.47645675872264687, -1.5802319482587244};
    float g[7], tail[3];
    CHECK(gs_gumbel_noise_jax(0, 42, 0, 0, g, 7) == GS_OK, "%s", gs_last_error_message());
    for (int i = 0; i < 7; i++)
        CHECK(fabs(g[i] - g42[i]) <= 2e-6 * fmax(1, fabs(g42[i])), "PRNGKey(42) noise[%d] = %.9g, want %.17g", i,
              g[i], g42[i]);
    CHECK(gs_gumbel_noise_jax(0xFFFFFFFFu, 0xFFFFFFFFu, 0, 0, g, 7) == GS_OK, "%s", gs_last_error_message());
    for (int i = 0; i < 7; i++)
        CHECK(fabs(g[i] - gm1[i]) <= 2e-6 * fmax(1, fabs(gm1[i])), "PRNGKey(-1) x64 noise[%d] = %.9g, want %.17g",
              i, g[i], gm1[i]);
    /* Positions: the noise from position 4 is the tail of the noise from 0. */
    CHECK(gs_gumbel_noise_jax(0xFFFFFFFFu, 0xFFFFFFFFu, 4, 0, tail, 3) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(tail, g + 4, sizeof tail) == 0, "JAX noise at position 4 is not the tail of position 0");

    const float logits[24] = {0.0018452299991622567f, 0.44811829924583435f, -0.41120678186416626f,
                              -1.3358877897262573f,   -0.6820061802864075f, -1.4874697923660278f,
                              0.09021540731191635f,   2.0103228092193604f,  -0.7383098006248474f,
                              -0.9307123422622681f,   0.7347630858421326f,  0.5353305339813232f,
                              0.15812137722969055f,   -1.3957021236419678f, -0.0438777320086956f,
                              1.0429548025131226f,    -2.016321897506714f,  -0.686423659324646f,
                              -2.8518340587615967f,   -1.9343066215515137f, -2.7626025676727295f,
                              -0.3526366949081421f,   -1.901169776916504f,  0.40689653158187866f};
    const int64_t want[6] = {1, 3, 2, 3, 1, 1};
    int64_t idx[6], top[12];
    CHECK(gs_categorical_jax(logits, 24, 6, 4, 0, 0, 0, 0, idx, 6) == GS_OK, "%s", gs_last_error_message());
    CHECK(memcmp(idx, want, sizeof want) == 0, "jax.random.categorical: got %lld %lld %lld %lld %lld %lld",
          (long long)idx[0], (long long)idx[1], (long long)idx[2], (long long)idx[3], (long long)idx[4],
          (long long)idx[5]);
    CHECK(gs_top_k_jax(logits, 24, 6, 4, 2, 0, 0, 0, 0, top, 12) == GS_OK, "%s", gs_last_error_message());
    for (int r = 0; r < 6; r++) CHECK(top[2 * r] == want[r], "top-k row %d starts %lld", r, (long long)top[2 * r]);

    const struct { int64_t seed; int32_t x64; uint32_t k0, k1; } keys[] = {
        {0, 0, 0, 0}, {42, 1, 0, 42}, {4294967303LL, 0, 0, 7}, {4294967303LL, 1, 1, 7},
        {-1, 0, 0, 0xFFFFFFFFu}, {-1, 1, 0xFFFFFFFFu, 0xFFFFFFFFu}, {INT64_MIN, 1, 0x80000000u, 0}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        uint32_t key[2] = {7, 7};
        CHECK(gs_jax_key(keys[i].seed, keys[i].x64, key) == GS_OK, "%s", gs_last_error_message());
        CHECK(key[0] == keys[i].k0 && key[1] == keys[i].k1, "PRNGKey(%lld), x64 %d: %08x %08x",
              (long long)keys[i].seed, keys[i].x64, key[0], key[1]);
    }
}

/* The ExpConcrete log-density of the header, in double: lgamma(n) + (n-1) log T + sum(a - lse(a)),
   a_k = l_k - T x_k over the unmasked categories. */
static double exp_concrete(const float *l, const double *x, int64_t k, double t) {
    double a[64], m = -INFINITY, s = 0, score = 0;
    int n = 0;
    for (int64_t j = 0; j < k; j++) {
        if (isinf(l[j])) continue;
        a[n] = l[j] - t * x[j];
        m = fmax(m, a[n]);
        n++;
    }
    for (int j = 0; j < n; j++) s += exp(a[j] - m);
    for (int j = 0; j < n; j++) score += a[j] - (m + log(s));
    return lgamma(n) + (n - 1) * log(t) + score;
}

/* gs_log_density against the formula, its simplex form by the change of variables, a masked
   category, the support, per-row temperatures, and the K = 2 density integrating to 1. */
static void test_log_density(void) {
    const int64_t b = 3, k = 5;
    float x[15], t[3] = {0.5f, 1.0f, 2.5f}, y[15], ly[15];
    for (int i = 0; i < 15; i++) x[i] = test_logit();
    x[7] = -INFINITY;
    CHECK(gs_sample_per_row(x, 15, b, k, t, 3, GS_OUTPUT_LOG, 4, 0, 0, 0, ly, 15) == GS_OK, "%s",
          gs_last_error_message());
    for (int i = 0; i < 15; i++) y[i] = expf(ly[i]);
    double d_log[3], d_soft[3];
    CHECK(gs_log_density(x, 15, b, k, t, 3, ly, 15, GS_OUTPUT_LOG, 0, d_log, 3) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(gs_log_density(x, 15, b, k, t, 3, y, 15, GS_OUTPUT_SOFT, 0, d_soft, 3) == GS_OK, "%s",
          gs_last_error_message());
    for (int r = 0; r < 3; r++) {
        double lyd[5], lyf[5], jacobian = 0;
        for (int j = 0; j < k; j++) {
            lyd[j] = ly[r * k + j];
            lyf[j] = y[r * k + j] > 0 ? log((double)y[r * k + j]) : -INFINITY;
            if (y[r * k + j] > 0) jacobian += lyf[j];
        }
        double want = exp_concrete(x + r * k, lyd, k, t[r]);
        CHECK(fabs(d_log[r] - want) <= 1e-9 * fmax(1, fabs(want)), "row %d: log density %.17g, want %.17g", r,
              d_log[r], want);
        double want_soft = exp_concrete(x + r * k, lyf, k, t[r]) - jacobian;
        CHECK(fabs(d_soft[r] - want_soft) <= 1e-9 * fmax(1, fabs(want_soft)), "row %d: density %.17g, want %.17g",
              r, d_soft[r], want_soft);
    }
    /* Off the support: a nonzero value at the masked category, an exact zero elsewhere. */
    float off[15];
    memcpy(off, y, sizeof off);
    off[7] = 0.01f;
    off[0] = 0.0f;
    CHECK(gs_log_density(x, 15, b, k, t, 3, off, 15, GS_OUTPUT_SOFT, 0, d_soft, 3) == GS_OK, "%s",
          gs_last_error_message());
    CHECK(isinf(d_soft[0]) && d_soft[0] < 0 && isinf(d_soft[1]) && d_soft[1] < 0 && isfinite(d_soft[2]),
          "off-support densities %g %g %g", d_soft[0], d_soft[1], d_soft[2]);
    /* K = 2 on the simplex: the density of (y1, 1 - y1) integrates to 1 over y1 in (0, 1). */
    const int steps = 20000;
    float l2[2] = {0.3f, -0.4f}, t2 = 0.8f, p[2];
    double integral = 0;
    for (int i = 0; i < steps; i++) {
        double u = (i + 0.5) / steps, d;
        p[0] = (float)u;
        p[1] = (float)(1 - u);
        CHECK(gs_log_density(l2, 2, 1, 2, &t2, 1, p, 2, GS_OUTPUT_SOFT, 1, &d, 1) == GS_OK || i < 0, "%s",
              gs_last_error_message());
        integral += exp(d) / steps;
    }
    CHECK(fabs(integral - 1) < 2e-3, "K = 2 density integrates to %.6f", integral);
}

/* Top-k's scratch beyond what the address space allows: GS_OUT_OF_MEMORY, not an abort. In a
   child process whose address space is capped just above what it holds. */
static void test_out_of_memory(void) {
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        const int64_t k = 4 << 20; /* 16 MiB of logits, 32 MiB of indices, ~96 MiB of scratch */
        const int64_t columns = 8 << 20; /* density: 32 MiB of logits and of point, ~96 MiB of copies */
        float *x = malloc((size_t)k * sizeof(float));
        int64_t *idx = malloc((size_t)k * sizeof(int64_t));
        float *dl = malloc((size_t)columns * sizeof(float));
        float *dp = malloc((size_t)columns * sizeof(float));
        if (!x || !idx || !dl || !dp) _exit(3);
        for (int64_t i = 0; i < columns; i++) dl[i] = 0.0f, dp[i] = 1.0f / (float)columns;
        float one = 1.0f;
        double density = 0;
        for (int64_t i = 0; i < k; i++) x[i] = (float)(i % 1000);
        memset(idx, 0, (size_t)k * sizeof(int64_t));
        if (!check_cap_address_space(48u << 20)) _exit(4);
        gs_status status = gs_top_k(x, k, 1, k, k, 1, 0, 0, 1, idx, k);
        int ok = status == GS_OUT_OF_MEMORY && strstr(gs_last_error_message(), "out of memory") != NULL &&
                 strcmp(gs_status_name(status), "GS_OUT_OF_MEMORY") == 0;
        if (!ok) fprintf(stderr, "capped top-k: %s: %s\n", gs_status_name(status), gs_last_error_message());
        gs_status density_status = gs_log_density(dl, columns, 1, columns, &one, 1, dp, columns, GS_OUTPUT_SOFT, 1,
                                                  &density, 1);
        if (density_status != GS_OUT_OF_MEMORY) {
            fprintf(stderr, "capped density: %s: %s\n", gs_status_name(density_status), gs_last_error_message());
            ok = 0;
        }
        status = gs_top_k(x, k, 1, k, 3, 1, 0, 0, 1, idx, 3);
        if (status != GS_OK) fprintf(stderr, "top-k after the cap: %s\n", gs_last_error_message());
        _exit(ok && status == GS_OK ? 0 : 1);
    }
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "out-of-memory child: %s %d",
          WIFEXITED(wstatus) ? "exit" : "signal", WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
}

/* Run as `test_gumbel_softmax --no-keys`: takes every pthread key the process may create before
   the library's first call, so the library cannot create its thread-local error key. Calls must
   still return their status (no trap), and the message says why it is missing. Exits 0 if so. */
static int run_without_thread_keys(void) {
    pthread_key_t key;
    int taken = 0;
    while (pthread_key_create(&key, NULL) == 0) taken++;
    float x[2] = {0, 1}, y[2];
    gs_status refused = gs_sample(x, 2, 1, 2, -1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 2);
    const char *message = gs_last_error_message();
    int ok = refused == GS_INVALID_TEMPERATURE && strstr(message, "could not be stored") != NULL;
    gs_status accepted = gs_sample(x, 2, 1, 2, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 1, y, 2);
    ok = ok && accepted == GS_OK && fabs((double)y[0] + y[1] - 1) < 1e-5;
    if (!ok)
        fprintf(stderr, "without keys (%d taken): %s, %s, \"%s\"\n", taken, gs_status_name(refused),
                gs_status_name(accepted), message);
    return ok && taken > 0 ? 0 : 1;
}

/* The library in a fresh process that has no pthread key left (see run_without_thread_keys). */
static void test_no_thread_keys(void) {
    const char *self = "/proc/self/exe";
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        execl(self, self, "--no-keys", (char *)NULL);
        _exit(127);
    }
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "no-keys child: %s %d",
          WIFEXITED(wstatus) ? "exit" : "signal", WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
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
                 "rows*columns must fit in int64_t", "B*K overflow");
    expect_error(gs_sample(x, 5, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_SIZE_MISMATCH,
                 "logits_count is 5 but the shape needs rows*columns = 6", "logits_count 5 for [2, 3]");
    expect_error(gs_sample(x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 4), GS_SIZE_MISMATCH,
                 "result_count is 4 but the shape needs 6", "result_count 4 for [2, 3]");
    expect_error(gs_categorical(x, 6, 2, 3, 0, 0, 0, 0, idx, 1), GS_SIZE_MISMATCH,
                 "indices_count is 1 but the shape needs 2", "indices_count 1 for B = 2");
    expect_error(gs_sample_per_row(x, 6, 2, 3, temps, 1, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_SIZE_MISMATCH,
                 "temperatures_count is 1 but there are 2 rows", "temperatures_count 1 for B = 2");
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
    expect_error(gs_top_k(x, 6, 2, 3, 2, 0, 0, 0, 0, top, 6), GS_SIZE_MISMATCH, "indices_count is 6 but the shape needs 4",
                 "top-k: indices_count 6 for B*k = 4");
    expect_error(gs_top_k(nan_x, 6, 2, 3, 2, 0, 0, 0, 0, top, 4), GS_NAN_LOGIT, "row 1, column 1", "top-k: NaN");
    expect_error(gs_top_k(x, 6, 2, 3, 2, 0, 0, 0, 0, NULL, 4), GS_NULL_POINTER, "indices is NULL", "top-k: NULL");
    expect_error(gs_top_k(x, 6, 2, 3, INT64_MAX, 0, 0, 0, 0, top, 6), GS_INVALID_TOP_K,
                 "k must be in 1...3 (the number of categories), got 9223372036854775807", "top-k: k INT64_MAX");
    expect_error(gs_top_k_jax(x, 6, 2, 3, 4, 0, 0, 0, 0, top, 8), GS_INVALID_TOP_K, "got 4", "top-k jax: k 4 > K");
    expect_error(gs_sample_jax(nan_x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, 0, 0, 0, y, 6), GS_NAN_LOGIT,
                 "row 1, column 1 is NaN", "jax: NaN logit");
    expect_error(gs_gumbel_noise_jax(0, 0, 0, 0, NULL, 3), GS_NULL_POINTER, "result is NULL", "jax noise NULL");
    expect_error(gs_jax_key(0, 2, NULL), GS_INVALID_ARGUMENT, "enable_x64 must be 0 or 1, got 2", "jax key: x64 2");
    expect_error(gs_jax_key(0, 0, NULL), GS_NULL_POINTER, "key is NULL", "jax key: NULL");
    float t2[2] = {1.0f, 1.0f}, bad_point[6] = {0.5f, -0.1f, 0.6f, 0.2f, 0.3f, 0.5f};
    double density[2];
    expect_error(gs_log_density(x, 6, 2, 3, t2, 2, bad_point, 6, GS_OUTPUT_SOFT, 0, density, 2), GS_INVALID_POINT,
                 "row 0, column 1", "density: negative point");
    expect_error(gs_log_density(x, 6, 2, 3, t2, 2, bad_point, 6, GS_OUTPUT_HARD, 0, density, 2),
                 GS_INVALID_ARGUMENT, "a one-hot point has no density", "density: hard");
    expect_error(gs_log_density(x, 6, 2, 3, t2, 1, bad_point, 6, GS_OUTPUT_LOG, 0, density, 2), GS_SIZE_MISMATCH,
                 "temperatures", "density: 1 temperature for 2 rows");
    expect_error(gs_log_density(x, 6, 2, 3, t2, 2, x, 6, GS_OUTPUT_LOG, 0, density, 1), GS_SIZE_MISMATCH,
                 "", "density: result_count 1");
    float gy[6], gg[6], gt[2];
    for (int i = 0; i < 6; i++) gy[i] = 1.0f / 3;
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 0.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 2), GS_INVALID_TEMPERATURE,
                 "got 0.0", "gradient: temperature 0");
    expect_error(gs_gradient(gy, 6, x, 5, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 2), GS_SIZE_MISMATCH,
                 "upstream_count is 5 but the shape needs 6", "gradient: upstream_count 5");
    expect_error(gs_gradient(gy, 6, x, 6, 2, 3, 1.0f, GS_OUTPUT_SOFT, 0, gg, 6, gt, 1), GS_SIZE_MISMATCH,
                 "temperature_gradient_count is 1 but the shape needs 2", "gradient: temperature_gradient_count 1");
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
    CHECK(strcmp(gs_status_name(GS_OUT_OF_MEMORY), "GS_OUT_OF_MEMORY") == 0, "%s", gs_status_name(GS_OUT_OF_MEMORY));
    for (int code = GS_OK; code <= GS_OUT_OF_MEMORY; code++) {
        const char *name = gs_status_name((gs_status)code);
        CHECK(strncmp(name, "GS_", 3) == 0 && strcmp(name, "GS_UNKNOWN_STATUS") != 0, "status %d: %s", code, name);
    }
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

/* A child forked after the library's worker threads have run (they are the parent's and do not
   exist in the child) still samples with all cores, to the parent's bits, and does not hang; the
   parent goes on using its threads. */
static void test_fork_after_threads(void) {
    enum { rows = 64, columns = 4096, n = rows * columns };
    float *x = malloc(n * sizeof(float));
    float *before = malloc(n * sizeof(float));
    float *after = malloc(n * sizeof(float));
    if (!x || !before || !after) {
        CHECK(0, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) x[i] = (float)((i * 7919) % 1000) / 100.0f;
    CHECK(gs_sample(x, n, rows, columns, 0.5f, GS_OUTPUT_SOFT, 3, 0, 0, 0, before, n) == GS_OK, "%s",
          gs_last_error_message());
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        alarm(60); /* a hang fails the test instead of stalling it */
        int ok = 1;
        for (int round = 0; round < 3; round++) {
            ok = ok && gs_sample(x, n, rows, columns, 0.5f, GS_OUTPUT_SOFT, 3, 0, 0, 0, after, n) == GS_OK &&
                 memcmp(before, after, n * sizeof(float)) == 0;
        }
        _exit(ok ? 0 : 1);
    }
    int wstatus = 0;
    waitpid(child, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "forked child: %s %d",
          WIFEXITED(wstatus) ? "exit" : "signal", WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus));
    CHECK(gs_sample(x, n, rows, columns, 0.5f, GS_OUTPUT_SOFT, 3, 0, 0, 0, after, n) == GS_OK &&
              memcmp(before, after, n * sizeof(float)) == 0,
          "parent after fork: %s", gs_last_error_message());
    free(x);
    free(before);
    free(after);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--no-keys") == 0) return run_without_thread_keys();
    printf("libgumbelsoftmax %s\n", gs_version());
    test_out_of_memory(); /* first: it forks, before any worker thread has run */
    test_no_thread_keys();
    test_golden();
    test_jax_known_answers();
    test_log_density();
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
    test_fork_after_threads();
    return check_report();
}
