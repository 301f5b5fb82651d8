/* The latency of one gs_sample call (soft output, all cores) on small serving shapes: for each
   shape and temperature, 200 warm-up calls (the worker pool and OpenBLAS's threads awake; fewer
   for large batches), then
   the median and the 10th and 90th percentiles of `calls` individually timed calls. Prints one
   JSON object per line.
   cc -O2 small_calls.c -I../../include -L<lib dir> -lgumbelsoftmax -Wl,-rpath,<lib dir>
   ./small_calls [calls] [threads] [BxK ...]   (threads 0: all cores, the default) */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gumbel_softmax.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e9 * t.tv_sec + t.tv_nsec;
}

/* CPU time of the whole process (every thread): on a machine shared with more runnable threads
   than cores, a call longer than the scheduler's time slice waits for the CPU in mid-call, and its
   wall time says more about the load than about the call. */
static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return 1e9 * t.tv_sec + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int calls = argc > 1 ? atoi(argv[1]) : 2000;
    const char *standard[] = {"1x32000", "8x128256", "64x1024"};
    int threads = argc > 2 ? atoi(argv[2]) : 0;
    int shapes = argc > 3 ? argc - 3 : 3;
    const float temperatures[] = {0.5f, 0.7f, 1.0f, 2.0f};
    double *samples = malloc(sizeof(double) * calls), *cpu = malloc(sizeof(double) * calls);
    for (int s = 0; s < shapes; s++) {
        const char *name = argc > 3 ? argv[3 + s] : standard[s];
        long rows, columns;
        if (sscanf(name, "%ldx%ld", &rows, &columns) != 2) {
            fprintf(stderr, "small_calls: '%s' is not BxK\n", name);
            return 2;
        }
        long n = rows * columns;
        float *logits = malloc(sizeof(float) * n);
        float *result = malloc(sizeof(float) * n);
        uint64_t x = 1;
        for (long i = 0; i < n; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            logits[i] = (float)((x >> 40) * 0x1p-24 * 8 - 4); /* uniform in [-4, 4) */
        }
        for (int t = 0; t < 4; t++) {
            float temperature = temperatures[t];
            for (int i = 0; i < 200 && (i < 3 || (double)i * n < 2e8); i++) {
                gs_status status = gs_sample(logits, n, rows, columns, temperature, GS_OUTPUT_SOFT, 7, 0,
                                             (uint64_t)i * n, threads, result, n);
                if (status != GS_OK) {
                    fprintf(stderr, "small_calls: %s\n", gs_last_error_message());
                    return 1;
                }
            }
            for (int i = 0; i < calls; i++) {
                /* The wall clock inside the CPU clock: reading the CPU clock is a system call (about
                   0.4 us in this VM), which the wall time of a 1 us call must not include. */
                double c0 = cpu_ns(), t0 = now_ns();
                gs_sample(logits, n, rows, columns, temperature, GS_OUTPUT_SOFT, 7, 0, (uint64_t)i * n, threads, result,
                          n);
                samples[i] = now_ns() - t0;
                cpu[i] = cpu_ns() - c0;
            }
            qsort(samples, calls, sizeof(double), compare);
            qsort(cpu, calls, sizeof(double), compare);
            printf("{\"via\": \"c\", \"shape\": [%ld, %ld], \"temperature\": %g, \"threads\": %d, "
                   "\"calls\": %d, \"median_us\": %.2f, \"p10_us\": %.2f, \"p90_us\": %.2f, "
                   "\"median_ns_per_element\": %.3f, \"p10_ns_per_element\": %.3f, "
                   "\"median_cpu_ns_per_element\": %.3f, \"p10_cpu_ns_per_element\": %.3f}\n",
                   rows, columns, temperature, threads, calls, samples[calls / 2] / 1e3, samples[calls / 10] / 1e3,
                   samples[calls - 1 - calls / 10] / 1e3, samples[calls / 2] / n, samples[calls / 10] / n, cpu[calls / 2] / n,
                   cpu[calls / 10] / n);
            fflush(stdout);
        }
        free(logits);
        free(result);
    }
    free(samples);
    free(cpu);
    return 0;
}
