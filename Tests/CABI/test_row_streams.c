/*
 * Tests of the per-row-stream functions of the C ABI (gs_sample_rows, gs_categorical_rows,
 * gs_top_k_rows; contract 2, SPEC.md section 3): a row sampled alone with gs_sample at its own
 * (seed, stream, position) equals that row inside any batch, in any order, at any thread count;
 * per-row temperatures combine with it; wrong counts and NULL arrays are refused.
 * Run with `make test-c-rows`. Prints "N passed, N failed" and exits non-zero on a failure.
 */
#include "gumbel_softmax.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x243F6A8885A308D3ull;
static uint64_t next_u64(void) { return check_xorshift(&state); }

#define ROWS 6

/* Row b of the batch against row b sampled alone; `order` permutes the rows of the batch. */
static void test_rows(int64_t k) {
    const int64_t n = ROWS * k;
    float *x = malloc((size_t)n * sizeof(float));
    float *px = malloc((size_t)n * sizeof(float));
    float *y = malloc((size_t)n * sizeof(float));
    float *alone = malloc((size_t)k * sizeof(float));
    int64_t *top = malloc((size_t)ROWS * 3 * sizeof(int64_t));
    int64_t top_alone[3];
    uint64_t seeds[ROWS], streams[ROWS], positions[ROWS];
    uint64_t pseeds[ROWS], pstreams[ROWS], ppositions[ROWS];
    float temps[ROWS], ptemps[ROWS];
    const int order[ROWS] = {3, 5, 0, 2, 4, 1};
    int64_t idx[ROWS], idx_alone = -1;
    for (int64_t i = 0; i < n; i++) x[i] = (float)((double)(next_u64() >> 11) / 9007199254740992.0 * 8.0 - 4.0);
    for (int b = 0; b < ROWS; b++) {
        seeds[b] = next_u64();
        streams[b] = b == 0 ? 0 : next_u64();
        /* Row 0 covers tail-band words of (seed 0, stream 0): positions 20349 and 74581. */
        positions[b] = b == 0 ? 20344 : (b == 1 ? UINT64_MAX - 3 : next_u64());
        if (b == 0) seeds[b] = 0;
        temps[b] = 0.25f * (float)(b + 1);
    }
    for (int p = 0; p < ROWS; p++) {
        int b = order[p];
        memcpy(px + p * k, x + b * k, (size_t)k * sizeof(float));
        pseeds[p] = seeds[b];
        pstreams[p] = streams[b];
        ppositions[p] = positions[b];
        ptemps[p] = temps[b];
    }
    for (int32_t threads = 1; threads <= 3; threads++) {
        for (int output = GS_OUTPUT_SOFT; output <= GS_OUTPUT_HARD; output++) {
            for (int permuted = 0; permuted < 2; permuted++) {
                const float *logits = permuted ? px : x;
                const float *t = permuted ? ptemps : temps;
                CHECK(gs_sample_rows(logits, n, ROWS, k, t, ROWS, (gs_output)output, permuted ? pseeds : seeds,
                                     permuted ? pstreams : streams, permuted ? ppositions : positions, ROWS,
                                     threads, y, n) == GS_OK,
                      "%s", gs_last_error_message());
                for (int p = 0; p < ROWS; p++) {
                    int b = permuted ? order[p] : p;
                    CHECK(gs_sample(x + b * k, k, 1, k, temps[b], (gs_output)output, seeds[b], streams[b],
                                    positions[b], 1, alone, k) == GS_OK,
                          "%s", gs_last_error_message());
                    CHECK(memcmp(alone, y + p * k, (size_t)k * sizeof(float)) == 0,
                          "K %lld output %d row %d (batch row %d) threads %d differs from the row alone", (long long)k,
                          output, b, p, threads);
                }
            }
        }
        /* One temperature for every row (temperatures_count 1) equals per-row temperatures all equal. */
        float same[ROWS];
        float *y1 = malloc((size_t)n * sizeof(float));
        for (int b = 0; b < ROWS; b++) same[b] = 0.7f;
        CHECK(gs_sample_rows(x, n, ROWS, k, same, 1, GS_OUTPUT_LOG, seeds, streams, positions, ROWS, threads, y, n) ==
                  GS_OK, "%s", gs_last_error_message());
        CHECK(gs_sample_rows(x, n, ROWS, k, same, ROWS, GS_OUTPUT_LOG, seeds, streams, positions, ROWS, threads, y1,
                             n) == GS_OK, "%s", gs_last_error_message());
        CHECK(memcmp(y, y1, (size_t)n * sizeof(float)) == 0, "one temperature vs equal per-row temperatures");
        free(y1);
        CHECK(gs_categorical_rows(px, n, ROWS, k, pseeds, pstreams, ppositions, ROWS, threads, idx, ROWS) == GS_OK,
              "%s", gs_last_error_message());
        CHECK(gs_top_k_rows(px, n, ROWS, k, 3, pseeds, pstreams, ppositions, ROWS, threads, top, ROWS * 3) == GS_OK,
              "%s", gs_last_error_message());
        for (int p = 0; p < ROWS; p++) {
            int b = order[p];
            CHECK(gs_categorical(x + b * k, k, 1, k, seeds[b], streams[b], positions[b], 1, &idx_alone, 1) == GS_OK,
                  "%s", gs_last_error_message());
            CHECK(idx[p] == idx_alone, "categorical row %d: %lld in the batch, %lld alone", b, (long long)idx[p],
                  (long long)idx_alone);
            CHECK(gs_top_k(x + b * k, k, 1, k, 3, seeds[b], streams[b], positions[b], 1, top_alone, 3) == GS_OK,
                  "%s", gs_last_error_message());
            CHECK(memcmp(top_alone, top + p * 3, sizeof top_alone) == 0, "top-k row %d differs from the row alone", b);
            CHECK(top[p * 3] == idx[p], "top-1 equals categorical in row %d", b);
        }
    }
    free(x);
    free(px);
    free(y);
    free(alone);
    free(top);
}

static void test_refusals(void) {
    float x[6] = {0, 1, 2, 3, 4, 5};
    float y[6];
    float t = 1.0f;
    uint64_t s[3] = {1, 2, 3}; /* 3: streams_count 3 below declares three (an array it does not hold
                                   would overlap its neighbours, which is GS_INVALID_ARGUMENT) */
    int64_t idx[2];
    CHECK(gs_sample_rows(x, 6, 2, 3, &t, 1, GS_OUTPUT_SOFT, s, s, s, 1, 0, y, 6) == GS_SIZE_MISMATCH,
          "streams_count 1 for 2 rows: %s", gs_last_error_message());
    CHECK(strcmp(gs_last_error_message(), "streams_count is 1 but the shape needs 2") == 0, "message: %s",
          gs_last_error_message());
    CHECK(gs_sample_rows(x, 6, 2, 3, &t, 1, GS_OUTPUT_SOFT, NULL, s, s, 2, 0, y, 6) == GS_NULL_POINTER,
          "NULL seeds: %s", gs_last_error_message());
    CHECK(strcmp(gs_last_error_message(), "seeds is NULL but streams_count is 2") == 0, "message: %s",
          gs_last_error_message());
    CHECK(gs_categorical_rows(x, 6, 2, 3, s, s, NULL, 2, 0, idx, 2) == GS_NULL_POINTER, "NULL positions: %s",
          gs_last_error_message());
    CHECK(gs_top_k_rows(x, 6, 2, 3, 1, s, s, s, 3, 0, idx, 2) == GS_SIZE_MISMATCH, "streams_count 3: %s",
          gs_last_error_message());
    CHECK(gs_sample_rows(x, 6, 2, 3, &t, 1, GS_OUTPUT_SOFT, s, s, s, 2, -1, y, 6) == GS_INVALID_THREAD_COUNT,
          "threads -1: %s", gs_last_error_message());
    CHECK(gs_sample_rows(x, 6, 2, 3, &t, 1, GS_OUTPUT_SOFT, s, s, s, 2, 0, y, 6) == GS_OK, "%s",
          gs_last_error_message());
}

int main(void) {
    test_rows(7);
    test_rows(300);
    test_rows(40000);
    test_refusals();
    return check_report();
}
