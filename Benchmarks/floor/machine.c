/* The machine numbers of the floor analysis (docs/benchmarks.md, "The floor"): the core clock, from a chain of
   dependent integer additions (one cycle each on every x86 core), and the memory bandwidth of a
   copy of 64 MiB buffers and of a scaling in place, with one thread and with every core. Prints
   one JSON object.
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
    double cpu_seconds;  /* the thread's CPU time for its rounds */
};

static double thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *copy_rounds(void *argument) {
    struct copy_job *job = argument;
    double start = thread_cpu();
    for (int r = 0; r < job->rounds; r++) {
        if (job->source == job->target) {
            for (size_t i = 0; i < job->count; i++) job->target[i] *= 0.5f;
        } else {
            memcpy(job->target, job->source, job->count * sizeof(float));
        }
    }
    job->cpu_seconds = thread_cpu() - start;
    return NULL;
}

/* Bytes read plus bytes written per second when `threads` threads each copy their share of
   `count` floats (`source == target`: scale in place, as a second pass over a row does): the
   median of 9 runs, and the best in `*best`. The seconds are the threads' CPU time (the longest
   thread's), not wall time: on a machine shared with more runnable threads than cores, a copy
   waits for the CPU in mid-run, and its wall time measures the load. */
static double copy_bandwidth(float *source, float *target, size_t count, int threads, double *best) {
    double samples[9];
    for (int s = 0; s < 9; s++) {
        pthread_t ids[64];
        struct copy_job jobs[64];
        size_t share = count / threads;
        for (int i = 0; i < threads; i++) {
            jobs[i] = (struct copy_job){source + i * share, target + i * share, share, 3, 0};
            pthread_create(&ids[i], NULL, copy_rounds, &jobs[i]);
        }
        double longest = 0;
        for (int i = 0; i < threads; i++) {
            pthread_join(ids[i], NULL);
            if (jobs[i].cpu_seconds > longest) longest = jobs[i].cpu_seconds;
        }
        samples[s] = 3.0 * 2 * count * sizeof(float) / longest;
    }
    qsort(samples, 9, sizeof(double), compare);
    *best = samples[8];
    return samples[4];
}

int main(void) {
    size_t count = 16u << 20; /* 64 MiB of floats: twice the L3 of most machines */
    float *source = aligned_alloc(64, count * sizeof(float));
    float *target = aligned_alloc(64, count * sizeof(float));
    for (size_t i = 0; i < count; i++) source[i] = (float)i, target[i] = 0;
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    double hz = clock_hz();
    double best[4];
    double one = copy_bandwidth(source, target, count, 1, &best[0]);
    double all = copy_bandwidth(source, target, count, cores, &best[1]);
    double scale_one = copy_bandwidth(target, target, count, 1, &best[2]);
    double scale_all = copy_bandwidth(target, target, count, cores, &best[3]);
    printf("{\"clock_ghz\": %.3f, \"cores\": %d, \"gb_per_s\": {\"copy_1_thread\": [%.2f, %.2f], "
           "\"copy_all_cores\": [%.2f, %.2f], \"scale_in_place_1_thread\": [%.2f, %.2f], "
           "\"scale_in_place_all_cores\": [%.2f, %.2f]}, \"note\": \"[median, best] of 9 runs, bytes read + "
           "written\"}\n",
           hz / 1e9, cores, one / 1e9, best[0] / 1e9, all / 1e9, best[1] / 1e9, scale_one / 1e9, best[2] / 1e9,
           scale_all / 1e9, best[3] / 1e9);
    free(source);
    free(target);
    return 0;
}
