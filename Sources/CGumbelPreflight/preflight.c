// The `gumbel` tool's CPU check before `main` (see the header). Compiled for the baseline.
#define _GNU_SOURCE
#include "CGumbelPreflight.h"

#include <sched.h>

#include <CGumbelSoftmaxCPU.h>
#include <stdio.h>
#include <unistd.h>

/* OpenBLAS starts its worker threads when it loads, before any constructor of this executable
   runs, one per CPU the process may run on; each maps a 128 MiB buffer and retries forever when
   that fails, so under an address-space limit (`ulimit -v`) they spin and OpenBLAS's exit handler
   waits for them: the process never ends. The tool's CBLAS calls are cut below OpenBLAS's
   threading thresholds (BLAS.swift) and never use those threads, so the tool has OpenBLAS start
   none: the executable's pre-initialisation array, which the dynamic loader runs before the
   constructor of any shared library, confines the process to the first of its CPUs while
   OpenBLAS counts them (OpenBLAS honours the affinity mask, as under `taskset`), and the
   executable's constructor, which runs after every library's, restores the mask. (Setting
   OPENBLAS_NUM_THREADS there would not do: the C library resets the environment after the
   pre-initialisation array.) This is the tool's own process; libgumbelsoftmax.so never changes
   its host's OpenBLAS. */
static cpu_set_t gumbel_preflight_affinity;
/* volatile: the compiler evaluates constructors ahead of time from the globals' initial values,
   and would drop the restoring constructor below, knowing nothing of the pre-initialisation. */
static volatile int gumbel_preflight_affinity_changed;

static void gumbel_preflight_confine_openblas(int argc, char **argv, char **envp) {
    (void)argc;
    (void)argv;
    (void)envp;
    if (sched_getaffinity(0, sizeof gumbel_preflight_affinity, &gumbel_preflight_affinity) != 0) return;
    cpu_set_t first;
    CPU_ZERO(&first);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &gumbel_preflight_affinity)) {
            CPU_SET(cpu, &first);
            break;
        }
    }
    gumbel_preflight_affinity_changed = sched_setaffinity(0, sizeof first, &first) == 0;
}

__attribute__((section(".preinit_array"), used)) static void (*const gumbel_preflight_preinit)(int, char **, char **) =
    gumbel_preflight_confine_openblas;

__attribute__((constructor)) static void gumbel_preflight_restore_affinity(void) {
    if (gumbel_preflight_affinity_changed) sched_setaffinity(0, sizeof gumbel_preflight_affinity, &gumbel_preflight_affinity);
}

__attribute__((constructor)) static void gumbel_preflight_check_cpu(void) {
    char message[512];
    if (gumbel_softmax_cpu_refusal(gumbel_softmax_build_tier(), gumbel_softmax_cpu_features(), message, sizeof message)) {
        // The tool's form of an error: `error: <message>` on stderr and exit status 1.
        fprintf(stderr, "error: %s\n", message);
        _exit(1);
    }
}
