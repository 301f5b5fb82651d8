/* One kind of call repeated, for instruction counts under callgrind (docs/benchmarks.md, "The floor"):
     valgrind --tool=callgrind --toggle-collect='gs_*' ./count soft|log|hard|categorical|noise BxK T reps
   One thread, so the counts are the work of one core and do not depend on scheduling. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gumbel_softmax.h"

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: count soft|log|hard|categorical|noise BxK T reps\n");
        return 2;
    }
    long rows, columns;
    if (sscanf(argv[2], "%ldx%ld", &rows, &columns) != 2) return 2;
    float temperature = strtof(argv[3], NULL);
    int reps = atoi(argv[4]);
    long n = rows * columns;
    float *logits = malloc(sizeof(float) * n), *result = malloc(sizeof(float) * n);
    int64_t *indices = malloc(sizeof(int64_t) * rows);
    uint64_t x = 1;
    for (long i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        logits[i] = (float)((x >> 40) * 0x1p-24 * 8 - 4);
    }
    gs_status status = GS_OK;
    for (int r = 0; r < reps && status == GS_OK; r++) {
        uint64_t position = (uint64_t)r * n;
        if (!strcmp(argv[1], "soft") || !strcmp(argv[1], "log") || !strcmp(argv[1], "hard")) {
            gs_output output = argv[1][0] == 's' ? GS_OUTPUT_SOFT : argv[1][0] == 'l' ? GS_OUTPUT_LOG : GS_OUTPUT_HARD;
            status = gs_sample(logits, n, rows, columns, temperature, output, 7, 0, position, 1, result, n);
        } else if (!strcmp(argv[1], "categorical")) {
            status = gs_categorical(logits, n, rows, columns, 7, 0, position, 1, indices, rows);
        } else {
            status = gs_gumbel_noise(7, 0, position, 1, result, n);
        }
    }
    if (status != GS_OK) {
        fprintf(stderr, "count: %s\n", gs_last_error_message());
        return 1;
    }
    printf("%g\n", result[n / 2]);
    return 0;
}
