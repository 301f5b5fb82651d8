/*
 * No access past the caller's buffers: every buffer of a call (logits, output, per-row
 * temperatures, per-row stream arrays, indices) lies either with its last byte just before an
 * inaccessible page or with its first byte just after one, for row lengths around every vector
 * width the kernels use (8, 16 and row pairs below 16, 32, 64, 128 and the bulk loops' tails),
 * for groups of 1 to 33 rows, with one and two threads. A read or write past either end is a
 * SIGSEGV, which prints the call that made it and fails the test. The two placements must also
 * give the same bits.
 */
#define _GNU_SOURCE
#include "gumbel_softmax.h"
#include "check.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The call under way, printed by the SIGSEGV handler. */
static char current[160] = "no call";

static void on_fault(int signal) {
    static const char prefix[] = "FAIL: memory fault (access past a buffer) in ";
    ssize_t ignored = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    ignored = write(STDERR_FILENO, current, strlen(current));
    ignored = write(STDERR_FILENO, "\n", 1);
    (void)ignored;
    _exit(128 + signal);
}

/* Readable and writable pages between two inaccessible ones. */
typedef struct {
    char *start; /* first accessible byte */
    size_t bytes; /* accessible bytes, a whole number of pages */
} guarded;

static guarded guarded_pages(size_t bytes) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t inner = (bytes + page - 1) / page * page;
    char *base = mmap(NULL, inner + 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    if (mprotect(base, page, PROT_NONE) != 0 || mprotect(base + page + inner, page, PROT_NONE) != 0) {
        perror("mprotect");
        exit(2);
    }
    return (guarded){base + page, inner};
}

/* `bytes` bytes that end at the upper inaccessible page (`at_end`) or begin just after the lower. */
static void *place(guarded region, size_t bytes, int at_end) {
    if (bytes > region.bytes) {
        fprintf(stderr, "guarded region too small\n");
        exit(2);
    }
    return at_end ? region.start + region.bytes - bytes : region.start;
}

/* Rows up to 33 for every row length; 301 rows (more than one group of 2048 elements, the last
   group's rows at the end of the buffers) for rows up to 1000 long. */
enum { MAX_ROWS = 301, MAX_COLUMNS = 32769, MAX_ELEMENTS = 33 * MAX_COLUMNS };

/* Two of each region: set 0's buffers end at its upper guard page, set 1's begin after its lower. */
static guarded logits_region[2], output_region[2], temperatures_region[2], seeds_region[2], streams_region[2],
    positions_region[2], indices_region[2];

/* The buffers of one call, placed against one of the guard pages. */
typedef struct {
    float *x, *y, *t;
    double *x64, *y64, *t64;
    uint64_t *seeds, *streams, *positions;
    int64_t *indices;
} buffers;

static const float temperature_choices[4] = {0.5f, 0.7f, 1.0f, 2.0f};

static buffers place_all(int64_t rows, int64_t k, int at_end, int f64) {
    size_t n = (size_t)(rows * k);
    buffers b;
    memset(&b, 0, sizeof b);
    int set = at_end ? 0 : 1;
    uint64_t state = 0x9E3779B97F4A7C15ull ^ (uint64_t)(rows * 1000003 + k);
    if (f64) {
        b.x64 = place(logits_region[set], n * sizeof(double), at_end);
        b.y64 = place(output_region[set], n * sizeof(double), at_end);
        b.t64 = place(temperatures_region[set], (size_t)rows * sizeof(double), at_end);
        for (size_t i = 0; i < n; i++)
            b.x64[i] = (double)(check_xorshift(&state) >> 11) * 0x1p-53 * 8.0 - 4.0;
        for (int64_t r = 0; r < rows; r++) b.t64[r] = temperature_choices[r % 4];
    } else {
        b.x = place(logits_region[set], n * sizeof(float), at_end);
        b.y = place(output_region[set], n * sizeof(float), at_end);
        b.t = place(temperatures_region[set], (size_t)rows * sizeof(float), at_end);
        for (size_t i = 0; i < n; i++) b.x[i] = (float)(check_xorshift(&state) >> 40) * 0x1p-24f * 8.0f - 4.0f;
        for (int64_t r = 0; r < rows; r++) b.t[r] = temperature_choices[r % 4];
    }
    b.seeds = place(seeds_region[set], (size_t)rows * sizeof(uint64_t), at_end);
    b.streams = place(streams_region[set], (size_t)rows * sizeof(uint64_t), at_end);
    b.positions = place(positions_region[set], (size_t)rows * sizeof(uint64_t), at_end);
    for (int64_t r = 0; r < rows; r++) {
        b.seeds[r] = 11 + (uint64_t)r;
        b.streams[r] = (uint64_t)r % 3;
        b.positions[r] = (uint64_t)r * 1000;
    }
    return b;
}

/* Runs `expression` (on the buffers `b`, with `threads`) once on each set of buffers, set 0 with
   threads_of[0], set 1 with threads_of[1], and checks that `field` (`count` elements) is the same in
   both. The format after `expression` names the call for a failure and for the fault handler. */
#define BOTH(field, count, expression, ...)                                                            \
    do {                                                                                               \
        for (int pass_ = 0; pass_ < 2; pass_++) {                                                      \
            b = &sets[pass_];                                                                          \
            threads = threads_of[pass_];                                                               \
            int length_ = snprintf(current, sizeof current, __VA_ARGS__);                              \
            snprintf(current + length_, sizeof current - (size_t)length_,                              \
                     " [%lld, %lld] threads %d at the %s", (long long)rows, (long long)k, threads,     \
                     pass_ == 0 ? "end" : "start");                                                    \
            gs_status status_ = (expression);                                                          \
            CHECK(status_ == GS_OK, "%s: %s: %s", current, gs_status_name(status_),                   \
                  gs_last_error_message());                                                            \
        }                                                                                              \
        CHECK(memcmp(sets[0].field, sets[1].field, (size_t)(count) * sizeof *sets[0].field) == 0,     \
              "%s: the two placements differ", current);                                               \
    } while (0)

/* Every function of one precision (`f64`: the float64 forms) on a [rows, k] batch, the buffers of
   set 0 at the end of their pages and those of set 1 at the start. */
static void run_calls(int64_t rows, int64_t k, const int32_t threads_of[2], int f64) {
    buffers sets[2] = {place_all(rows, k, 1, f64), place_all(rows, k, 0, f64)};
    buffers *b = NULL;
    int32_t threads = 0;
    int64_t n = rows * k;
    int64_t top = k < 5 ? k : 5;
    static const gs_output outputs[3] = {GS_OUTPUT_SOFT, GS_OUTPUT_LOG, GS_OUTPUT_HARD};
    if (!f64) {
        for (int o = 0; o < 3; o++) {
            for (int ti = 0; ti < 4; ti++) {
                float t = temperature_choices[ti];
                BOTH(y, n, gs_sample(b->x, n, rows, k, t, outputs[o], 5, 1, 7, threads, b->y, n),
                     "gs_sample output %d T %g", o, (double)t);
            }
            BOTH(y, n, gs_sample_jax(b->x, n, rows, k, 0.7f, outputs[o], 3, 4, 7, threads, b->y, n),
                 "gs_sample_jax output %d T 0.7", o);
            BOTH(y, n, gs_sample_jax(b->x, n, rows, k, 1.0f, outputs[o], 3, 4, 7, threads, b->y, n),
                 "gs_sample_jax output %d T 1", o);
            BOTH(y, n, gs_sample_per_row(b->x, n, rows, k, b->t, rows, outputs[o], 5, 1, 7, threads, b->y, n),
                 "gs_sample_per_row output %d", o);
            BOTH(y, n, gs_sample_per_row_jax(b->x, n, rows, k, b->t, rows, outputs[o], 3, 4, 7, threads, b->y, n),
                 "gs_sample_per_row_jax output %d", o);
            BOTH(y, n,
                 gs_sample_rows(b->x, n, rows, k, b->t, rows, outputs[o], b->seeds, b->streams, b->positions, rows,
                                threads, b->y, n),
                 "gs_sample_rows output %d", o);
        }
        BOTH(y, n, gs_gumbel_noise(5, 1, 7, threads, b->y, n), "gs_gumbel_noise");
        BOTH(y, n, gs_gumbel_noise_jax(3, 4, 7, threads, b->y, n), "gs_gumbel_noise_jax");
        /* The indices end at the guard page for each call's own count. */
        for (int s = 0; s < 2; s++) sets[s].indices = place(indices_region[s], (size_t)rows * sizeof(int64_t), s == 0);
        BOTH(indices, rows, gs_categorical(b->x, n, rows, k, 5, 1, 7, threads, b->indices, rows), "gs_categorical");
        BOTH(indices, rows, gs_categorical_jax(b->x, n, rows, k, 3, 4, 7, threads, b->indices, rows),
             "gs_categorical_jax");
        BOTH(indices, rows,
             gs_categorical_rows(b->x, n, rows, k, b->seeds, b->streams, b->positions, rows, threads, b->indices, rows),
             "gs_categorical_rows");
        for (int s = 0; s < 2; s++)
            sets[s].indices = place(indices_region[s], (size_t)(rows * top) * sizeof(int64_t), s == 0);
        BOTH(indices, rows * top, gs_top_k(b->x, n, rows, k, top, 5, 1, 7, threads, b->indices, rows * top),
             "gs_top_k k %lld", (long long)top);
        BOTH(indices, rows * top, gs_top_k_jax(b->x, n, rows, k, top, 3, 4, 7, threads, b->indices, rows * top),
             "gs_top_k_jax k %lld", (long long)top);
        BOTH(indices, rows * top,
             gs_top_k_rows(b->x, n, rows, k, top, b->seeds, b->streams, b->positions, rows, threads, b->indices,
                           rows * top),
             "gs_top_k_rows k %lld", (long long)top);
        return;
    }
    for (int o = 0; o < 3; o++) {
        BOTH(y64, n, gs_sample_f64(b->x64, n, rows, k, 0.7, outputs[o], 5, 1, 7, threads, b->y64, n),
             "gs_sample_f64 output %d T 0.7", o);
        BOTH(y64, n, gs_sample_f64(b->x64, n, rows, k, 1.0, outputs[o], 5, 1, 7, threads, b->y64, n),
             "gs_sample_f64 output %d T 1", o);
        BOTH(y64, n,
             gs_sample_per_row_f64(b->x64, n, rows, k, b->t64, rows, outputs[o], 5, 1, 7, threads, b->y64, n),
             "gs_sample_per_row_f64 output %d", o);
        BOTH(y64, n, gs_sample_jax_f64(b->x64, n, rows, k, 2.0, outputs[o], 3, 4, 7, threads, b->y64, n),
             "gs_sample_jax_f64 output %d T 2", o);
    }
    BOTH(y64, n, gs_gumbel_noise_f64(5, 1, 7, threads, b->y64, n), "gs_gumbel_noise_f64");
    BOTH(y64, n, gs_gumbel_noise_jax_f64(3, 4, 7, threads, b->y64, n), "gs_gumbel_noise_jax_f64");
    for (int s = 0; s < 2; s++) sets[s].indices = place(indices_region[s], (size_t)rows * sizeof(int64_t), s == 0);
    BOTH(indices, rows, gs_categorical_f64(b->x64, n, rows, k, 5, 1, 7, threads, b->indices, rows),
         "gs_categorical_f64");
    for (int s = 0; s < 2; s++)
        sets[s].indices = place(indices_region[s], (size_t)(rows * top) * sizeof(int64_t), s == 0);
    BOTH(indices, rows * top, gs_top_k_f64(b->x64, n, rows, k, top, 5, 1, 7, threads, b->indices, rows * top),
         "gs_top_k_f64 k %lld", (long long)top);
}

int main(void) {
    printf("libgumbelsoftmax %s: no access past the buffers (guard pages)\n", gs_version());
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_fault;
    sigaction(SIGSEGV, &action, NULL);
    sigaction(SIGBUS, &action, NULL);

    size_t most = MAX_ELEMENTS;
    for (int s = 0; s < 2; s++) {
        logits_region[s] = guarded_pages(most * sizeof(double));
        output_region[s] = guarded_pages(most * sizeof(double));
        indices_region[s] = guarded_pages(MAX_ROWS * 5 * sizeof(int64_t));
        temperatures_region[s] = guarded_pages(MAX_ROWS * sizeof(double));
        seeds_region[s] = guarded_pages(MAX_ROWS * sizeof(uint64_t));
        streams_region[s] = guarded_pages(MAX_ROWS * sizeof(uint64_t));
        positions_region[s] = guarded_pages(MAX_ROWS * sizeof(uint64_t));
    }
    int64_t columns[40 + 12];
    int shapes = 0;
    for (int64_t k = 1; k <= 40; k++) columns[shapes++] = k;
    static const int64_t wide[] = {63, 64, 65, 127, 128, 129, 255, 256, 1000, 32767, 32768, 32769};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) columns[shapes++] = wide[i];
    static const int64_t row_counts[] = {1, 2, 3, 7, 33, 301};
    int shapes_run = 0;
    static const int32_t one_then_two[2] = {1, 2}, two_then_one[2] = {2, 1};
    for (int c = 0; c < shapes; c++) {
        for (size_t r = 0; r < sizeof row_counts / sizeof row_counts[0]; r++) {
            if (row_counts[r] * columns[c] > MAX_ELEMENTS) continue;
            shapes_run++;
            run_calls(row_counts[r], columns[c], one_then_two, 0);
            run_calls(row_counts[r], columns[c], two_then_one, 0);
            run_calls(row_counts[r], columns[c], one_then_two, 1);
        }
    }
    printf("%d shapes of float32 and float64 calls, buffers at both ends of their pages\n", shapes_run);
    return check_report();
}
