/* The machine numbers of the floor analysis (docs/floor.md): the core clock, from a chain of
   dependent integer additions (one cycle each on every x86 core), and the memory bandwidth of a
   copy of 64 MiB buffers with one thread and with every core. Prints one JSON object.
   cc -O2 -pthread machine.c -o machine */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Cycles per second: 100 dependent `add`s per iteration; the best of many short runs (a busy
   machine only ever slows a run down). */
static double clock_hz(void) {
    const long iterations = 20000;
    double best = 1e9;
    for (int run = 0; run < 2000; run++) {
        uint64_t x = 0;
        double t0 = now();
        for (long i = 0; i < iterations; i++) {
#define A10 "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t" \
            "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t" "add $1, %0\n\t"
            __asm__ volatile(A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 : "+r"(x));
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    return 100.0 * iterations / best;
}

struct copy_job {
    float *source, *target;
    size_t count;
    int rounds;
};

static void *copy_rounds(void *argument) {
    struct copy_job *job = argument;
    for (int r = 0; r < job->rounds; r++) memcpy(job->target, job->source, job->count * sizeof(float));
    return NULL;
}

/* Bytes read plus bytes written per second when `threads` threads each copy their share of
   `count` floats: the median of 9 runs. */
static double copy_bandwidth(float *source, float *target, size_t count, int threads) {
    double samples[9];
    for (int s = 0; s < 9; s++) {
        pthread_t ids[64];
        struct copy_job jobs[64];
        size_t share = count / threads;
        double t0 = now();
        for (int i = 0; i < threads; i++) {
            jobs[i] = (struct copy_job){source + i * share, target + i * share, share, 3};
            pthread_create(&ids[i], NULL, copy_rounds, &jobs[i]);
        }
        for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
        samples[s] = 3.0 * 2 * count * sizeof(float) / (now() - t0);
    }
    qsort(samples, 9, sizeof(double), compare);
    return samples[4];
}

int main(void) {
    size_t count = 16u << 20; /* 64 MiB of floats: twice the L3 of most machines */
    float *source = aligned_alloc(64, count * sizeof(float));
    float *target = aligned_alloc(64, count * sizeof(float));
    for (size_t i = 0; i < count; i++) source[i] = (float)i, target[i] = 0;
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double hz = clock_hz();
    double one = copy_bandwidth(source, target, count, 1);
    double all = copy_bandwidth(source, target, count, cores);
    printf("{\"clock_ghz\": %.3f, \"cores\": %d, \"copy_gb_per_s_1_thread\": %.2f, "
           "\"copy_gb_per_s_all_cores\": %.2f}\n", hz / 1e9, cores, one / 1e9, all / 1e9);
    free(source);
    free(target);
    return 0;
}
