/*
 * The checking and reporting shared by the C ABI tests (test_gumbel_softmax.c, test_row_streams.c,
 * test_guard_pages.c):
 * CHECK(cond, format, ...) counts a pass or prints the failure with its file and line;
 * check_report() prints "N passed, N failed" and returns main's exit status (non-zero on a
 * failure); check_xorshift() is the deterministic xorshift64* step the tests draw their inputs from.
 */
#ifndef GS_TEST_CHECK_H
#define GS_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* Prints the counts; returns 0 when nothing failed, else 1. */
static inline int check_report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* Advances a xorshift64* state and returns its next 64-bit output. */
static inline uint64_t check_xorshift(uint64_t *state) {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1Dull;
}

/* Caps this process's address space at what it holds now plus `headroom` bytes (for a child
   process that checks GS_OUT_OF_MEMORY); returns 0 when it cannot. */
static inline int check_cap_address_space(unsigned long headroom) {
    long pages = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm) return 0;
    int scanned = fscanf(statm, "%ld", &pages);
    fclose(statm);
    struct rlimit limit;
    if (scanned != 1 || getrlimit(RLIMIT_AS, &limit) != 0) return 0;
    struct rlimit capped = {(rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + headroom, limit.rlim_max};
    return setrlimit(RLIMIT_AS, &capped) == 0;
}

#endif
