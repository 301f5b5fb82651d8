// The `gumbel` tool's CPU check before `main` (see the header). Compiled for the baseline.
#include "CGumbelPreflight.h"

#include <CGumbelSoftmaxCPU.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((constructor)) static void gumbel_preflight_check_cpu(void) {
    char message[512];
    if (gumbel_softmax_cpu_refusal(gumbel_softmax_build_tier(), gumbel_softmax_cpu_features(), message, sizeof message)) {
        // The tool's form of an error: `error: <message>` on stderr and exit status 1.
        fprintf(stderr, "error: %s\n", message);
        _exit(1);
    }
}
