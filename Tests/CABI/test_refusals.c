/*
 * Refusals and memory limits at the C ABI (issue 21): a refused argument leaves every buffer
 * untouched, even one far smaller than its declared count; a refused value found during the pass
 * sets exactly the output's elements to 0; per-row stream arrays may not overlap the output; and
 * a call whose helper threads cannot start (an address-space limit just above the process's
 * size) runs on the calling thread with the same bits, within a time bound, instead of spinning.
 */
#define _GNU_SOURCE
#include "gumbel_softmax.h"
#include "check.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* `count` floats that end where an inaccessible page begins: a write past them is SIGSEGV. */
static float *guarded_floats(int64_t count) {
    long page = sysconf(_SC_PAGESIZE);
    size_t bytes = (size_t)count * sizeof(float);
    size_t pages = (bytes + (size_t)page - 1) / (size_t)page + 1;
    char *base = mmap(NULL, pages * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    mprotect(base + (pages - 1) * (size_t)page, (size_t)page, PROT_NONE);
    return (float *)(base + (pages - 1) * (size_t)page) - count;
}

static int all_equal(const float *values, int64_t count, float value) {
    for (int64_t i = 0; i < count; i++)
        if (memcmp(&values[i], &value, sizeof value) != 0) return 0;
    return 1;
}

/* Runs `body` in a child process; the child must exit 0 within `seconds` (a hang is a failure). */
static void in_child_within(const char *what, int seconds, int (*body)(void)) {
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) _exit(body()); /* _exit: nothing of the parent's exit handlers runs here */
    int status = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t done = 0;
    while ((done = waitpid(child, &status, WNOHANG)) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds) break;
        usleep(10000);
    }
    if (done == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        CHECK(0, "%s: no result within %d s (a hang)", what, seconds);
        return;
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child status %d", what, status);
}

static const float sentinel = 42.5f;

/* Item 1: sizes, counts, shapes, temperatures, NULLs and enums refused before any write. */
static void test_refusals_touch_nothing(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    float temperatures[2] = {1, 1};
    float *y = guarded_floats(6);
    CHECK(y != NULL, "mmap");
    if (!y) return;
    /* A result of 6 floats declared as 24: refused, and nothing written (a write of 24 faults). */
    for (int i = 0; i < 6; i++) y[i] = sentinel;
    CHECK(gs_sample(x, 6, 2, 3, 1, GS_OUTPUT_SOFT, 1, 0, 0, 1, y, 24) == GS_SIZE_MISMATCH, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, 6, INT64_MAX, 3, 1, GS_OUTPUT_SOFT, 1, 0, 0, 1, y, 6) == GS_INVALID_SHAPE, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, 6, 2, 3, -1, GS_OUTPUT_SOFT, 1, 0, 0, 1, y, 6) == GS_INVALID_TEMPERATURE, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, 6, 2, 3, 1, (gs_output)7, 1, 0, 0, 1, y, 6) == GS_INVALID_ARGUMENT, "%s",
          gs_last_error_message());
    CHECK(gs_sample(x, 6, 2, 3, 1, GS_OUTPUT_SOFT, 1, 0, 0, -1, y, 6) == GS_INVALID_THREAD_COUNT, "%s",
          gs_last_error_message());
    CHECK(gs_sample(NULL, 6, 2, 3, 1, GS_OUTPUT_SOFT, 1, 0, 0, 1, y, 6) == GS_NULL_POINTER, "%s",
          gs_last_error_message());
    CHECK(gs_sample_per_row(x, 6, 2, 3, temperatures, 1, GS_OUTPUT_LOG, 1, 0, 0, 1, y, 24) == GS_SIZE_MISMATCH,
          "%s", gs_last_error_message());
    temperatures[1] = NAN;
    CHECK(gs_sample_per_row(x, 6, 2, 3, temperatures, 2, GS_OUTPUT_LOG, 1, 0, 0, 1, y, 6) ==
              GS_INVALID_TEMPERATURE,
          "%s", gs_last_error_message());
    CHECK(gs_sample_jax(x, 6, 2, 3, 1, GS_OUTPUT_HARD, 0, 1, 0, 1, y, 24) == GS_SIZE_MISMATCH, "%s",
          gs_last_error_message());
    uint64_t seeds[2] = {1, 2}, streams[2] = {0, 0}, positions[2] = {0, 0};
    CHECK(gs_sample_rows(x, 6, 2, 3, temperatures, 1, GS_OUTPUT_SOFT, seeds, streams, positions, 2, 1, y, 24) ==
              GS_SIZE_MISMATCH,
          "%s", gs_last_error_message());
    CHECK(gs_sample_rows(x, 6, 2, 3, temperatures, 1, GS_OUTPUT_SOFT, seeds, streams, positions, 3, 1, y, 6) ==
              GS_SIZE_MISMATCH,
          "%s", gs_last_error_message());
    float soft[6] = {0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f}, upstream[6] = {1, 0, 0, 0, 1, 0};
    CHECK(gs_gradient(soft, 6, upstream, 6, 2, 3, 0, GS_OUTPUT_SOFT, 1, y, 6, NULL, 0) ==
              GS_INVALID_TEMPERATURE,
          "%s", gs_last_error_message());
    CHECK(gs_gradient(soft, 6, upstream, 6, 2, 3, 1, GS_OUTPUT_SOFT, 1, y, 24, NULL, 0) == GS_SIZE_MISMATCH,
          "%s", gs_last_error_message());
    CHECK(all_equal(y, 6, sentinel), "a refused argument wrote the result");

    /* Indices: a result of 6 int64 declared as 24. */
    int64_t *indices = (int64_t *)(void *)guarded_floats(12);
    if (indices) {
        for (int i = 0; i < 6; i++) indices[i] = -7;
        CHECK(gs_top_k(x, 6, 2, 3, 3, 1, 0, 0, 1, indices, 24) == GS_SIZE_MISMATCH, "%s", gs_last_error_message());
        CHECK(gs_top_k(x, 6, 2, 3, 4, 1, 0, 0, 1, indices, 8) == GS_INVALID_TOP_K, "%s", gs_last_error_message());
        CHECK(gs_top_k_jax(x, 6, 2, 3, 3, 0, 1, 0, 1, indices, 24) == GS_SIZE_MISMATCH, "%s", gs_last_error_message());
        CHECK(gs_top_k_rows(x, 6, 2, 3, 3, seeds, streams, positions, 2, 1, indices, 24) == GS_SIZE_MISMATCH, "%s",
              gs_last_error_message());
        int untouched = 1;
        for (int i = 0; i < 6; i++) untouched &= indices[i] == -7;
        CHECK(untouched, "a refused top-k argument wrote the indices");
    }

    /* A refused value found during the pass: exactly the output's B*K elements become 0. */
    float bad[6] = {1, 2, 3, 4, NAN, 6};
    for (int i = 0; i < 6; i++) y[i] = sentinel;
    CHECK(gs_sample(bad, 6, 2, 3, 1, GS_OUTPUT_SOFT, 1, 0, 0, 1, y, 6) == GS_NAN_LOGIT, "%s",
          gs_last_error_message());
    CHECK(all_equal(y, 6, 0.0f), "a NaN logit: the output is not all zeros");
}

/* Item 9: seeds, streams or positions overlapping the output are refused, the output untouched. */
static void test_row_arrays_must_not_overlap_the_output(void) {
    float x[6] = {1, 2, 3, 4, 5, 6}, t = 1;
    uint64_t ok[2] = {1, 2};
    union {
        float y[6];
        uint64_t words[3];
    } shared;
    for (int which = 0; which < 3; which++) {
        for (int i = 0; i < 6; i++) shared.y[i] = sentinel;
        const uint64_t *arrays[3] = {ok, ok, ok};
        arrays[which] = shared.words;
        gs_status status =
            gs_sample_rows(x, 6, 2, 3, &t, 1, GS_OUTPUT_SOFT, arrays[0], arrays[1], arrays[2], 2, 1, shared.y, 6);
        CHECK(status == GS_INVALID_ARGUMENT && strstr(gs_last_error_message(), "overlaps") != NULL,
              "array %d overlapping the result: %s: %s", which, gs_status_name(status), gs_last_error_message());
        CHECK(all_equal(shared.y, 6, sentinel), "array %d: the refused call wrote the result", which);
        int64_t indices[2] = {-7, -7};
        arrays[which] = (const uint64_t *)indices;
        status = gs_categorical_rows(x, 6, 2, 3, arrays[0], arrays[1], arrays[2], 2, 1, indices, 2);
        CHECK(status == GS_INVALID_ARGUMENT, "categorical, array %d overlapping the indices: %s", which,
              gs_status_name(status));
        status = gs_top_k_rows(x, 6, 2, 3, 1, arrays[0], arrays[1], arrays[2], 2, 1, indices, 2);
        CHECK(status == GS_INVALID_ARGUMENT, "top-k, array %d overlapping the indices: %s", which,
              gs_status_name(status));
        CHECK(indices[0] == -7 && indices[1] == -7, "array %d: a refused call wrote the indices", which);
    }
}

/* Item 3: with the address space capped at the process's size + 4 MiB, no helper thread can
   start (each needs a stack); [512, 1000] still returns, with the bits of one thread. */
static int capped_pool_child(void) {
    const int64_t rows = 512, columns = 1000, n = rows * columns;
    float *x = malloc((size_t)n * sizeof(float));
    float *reference = malloc((size_t)n * sizeof(float));
    float *y = malloc((size_t)n * sizeof(float));
    if (!x || !reference || !y) return 3;
    for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 7919) % 2001) / 500.0f - 2.0f;
    if (gs_sample(x, n, rows, columns, 0.7f, GS_OUTPUT_SOFT, 9, 0, 0, 1, reference, n) != GS_OK) return 4;
    long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm || fscanf(statm, "%ld", &pages) != 1) return 5;
    fclose(statm);
    struct rlimit limit;
    getrlimit(RLIMIT_AS, &limit);
    struct rlimit capped = {(rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (4u << 20), limit.rlim_max};
    if (setrlimit(RLIMIT_AS, &capped) != 0) return 6;
    int32_t counts[] = {0, 2, 3};
    for (int c = 0; c < 3; c++) {
        memset(y, 0, (size_t)n * sizeof(float));
        gs_status status = gs_sample(x, n, rows, columns, 0.7f, GS_OUTPUT_SOFT, 9, 0, 0, counts[c], y, n);
        if (status != GS_OK && status != GS_OUT_OF_MEMORY) return 7;
        if (status == GS_OK && memcmp(y, reference, (size_t)n * sizeof(float)) != 0) return 8;
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("libgumbelsoftmax %s: refusals and limits\n", gs_version());
    /* First: a fresh process whose pool starts under the cap (fork before any call). */
    in_child_within("gs_sample, helpers that cannot start", 60, capped_pool_child);
    test_refusals_touch_nothing();
    test_row_arrays_must_not_overlap_the_output();
    return check_report();
}
