// The exported functions of include/gumbel_softmax.h: each checks the CPU here, in C compiled for
// the baseline, before it calls the library's Swift function of the same name with the prefix
// gs_swift_ (Sources/GumbelSoftmaxC, all compiled for the tier: with -target-cpu haswell even a
// float argument is moved with an AVX instruction before the first line of a Swift function runs).
// On a CPU that lacks the tier nothing of the Swift code ever runs: the calls return
// GS_UNSUPPORTED_CPU and the functions that report answer from here. Scripts/test-tier-check checks
// that every gs_ function the library exports is defined in this file.
#include "CGumbelSoftmaxABI.h"

#include <CGumbelSoftmaxCPU.h>
#include <pthread.h>
#include <string.h>

// --- The check, once per process ---

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static int supported;
static char refusal[512];  // the message, on a CPU that lacks the tier
static _Thread_local int refused;  // this thread had GS_UNSUPPORTED_CPU

static void check(void) {
    supported = !gumbel_softmax_cpu_refusal(gumbel_softmax_library_build_tier(), gumbel_softmax_cpu_features(),
                                            refusal, sizeof refusal);
}

static int cpu_supported(void) {
    pthread_once(&check_once, check);
    return supported;
}

static gs_status refuse(void) {
    refused = 1;
    return GS_UNSUPPORTED_CPU;
}

// On a CPU that lacks the tier: what the Swift functions would answer.
static const char *const status_names[] = {
    "GS_OK",
    "GS_INVALID_TEMPERATURE",
    "GS_NAN_LOGIT",
    "GS_INFINITE_LOGIT",
    "GS_ALL_MASKED_ROW",
    "GS_NO_CATEGORIES",
    "GS_INVALID_SHAPE",
    "GS_SIZE_MISMATCH",
    "GS_INVALID_TOP_K",
    "GS_INVALID_THREAD_COUNT",
    "GS_NULL_POINTER",
    "GS_INVALID_ARGUMENT",
    "GS_INSUFFICIENT_CATEGORIES",
    "GS_INVALID_POINT",
    "GS_UNSUPPORTED_CPU",
    "GS_OUT_OF_MEMORY",
};

// --- Version and CPU tier ---

const char *gs_version(void) {
    return cpu_supported() ? gs_swift_version() : GS_VERSION;
}

const char *gs_contract_version(void) {
    return cpu_supported() ? gs_swift_contract_version() : GS_CONTRACT_VERSION_OF_THIS_LIBRARY;
}

const char *gs_build_tier(void) {
    static const char *const names[] = {"baseline", "avx2", "avx512"};
    int32_t tier = gumbel_softmax_library_build_tier();
    return tier >= 0 && tier <= 2 ? names[tier] : "avx512";
}

int gs_cpu_supported(void) {
    return cpu_supported();
}

// --- Errors ---

const char *gs_status_name(gs_status status) {
    if (cpu_supported()) return gs_swift_status_name(status);
    size_t count = sizeof status_names / sizeof status_names[0];
    return (int)status >= 0 && (size_t)status < count ? status_names[status] : "GS_UNKNOWN_STATUS";
}

const char *gs_last_error_message(void) {
    if (cpu_supported()) return gs_swift_last_error_message();
    return refused ? refusal : "";
}

size_t gs_copy_last_error_message(char *buffer, size_t capacity) {
    if (cpu_supported()) return gs_swift_copy_last_error_message(buffer, capacity);
    const char *message = refused ? refusal : "";
    size_t length = strlen(message);
    if (buffer && capacity > 0) {
        size_t n = length < capacity - 1 ? length : capacity - 1;
        memcpy(buffer, message, n);
        buffer[n] = 0;
    }
    return length;
}

// --- Every other function: GS_UNSUPPORTED_CPU, or the Swift function ---

gs_status gs_sample(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, float temperature,
                    gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result,
                    int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample(logits, logits_count, rows, columns, temperature, output, seed, stream, position, threads,
                           result, result_count);
}

gs_status gs_sample_per_row(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                            const float *temperatures, int64_t temperatures_count, gs_output output, uint64_t seed,
                            uint64_t stream, uint64_t position, int32_t threads, float *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_per_row(logits, logits_count, rows, columns, temperatures, temperatures_count, output, seed,
                                   stream, position, threads, result, result_count);
}

gs_status gs_categorical(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed,
                         uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_categorical(logits, logits_count, rows, columns, seed, stream, position, threads, indices,
                                indices_count);
}

gs_status gs_top_k(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint64_t seed,
                   uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_top_k(logits, logits_count, rows, columns, k, seed, stream, position, threads, indices,
                          indices_count);
}

gs_status gs_gradient(const float *output, int64_t output_count, const float *upstream, int64_t upstream_count,
                      int64_t rows, int64_t columns, float temperature, gs_output kind, int32_t threads,
                      float *logits_gradient, int64_t logits_gradient_count, float *temperature_gradient,
                      int64_t temperature_gradient_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gradient(output, output_count, upstream, upstream_count, rows, columns, temperature, kind, threads,
                             logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count);
}

gs_status gs_gradient_per_row(const float *output, int64_t output_count, const float *upstream, int64_t upstream_count,
                              int64_t rows, int64_t columns, const float *temperatures, int64_t temperatures_count,
                              gs_output kind, int32_t threads, float *logits_gradient, int64_t logits_gradient_count,
                              float *temperature_gradient, int64_t temperature_gradient_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gradient_per_row(output, output_count, upstream, upstream_count, rows, columns, temperatures,
                                     temperatures_count, kind, threads, logits_gradient, logits_gradient_count,
                                     temperature_gradient, temperature_gradient_count);
}

gs_status gs_gumbel_noise(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result,
                          int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gumbel_noise(seed, stream, position, threads, result, result_count);
}

gs_status gs_jax_key(int64_t seed, int32_t enable_x64, uint32_t key[2]) {
    if (!cpu_supported()) return refuse();
    return gs_swift_jax_key(seed, enable_x64, key);
}

gs_status gs_sample_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, float temperature,
                        gs_output output, uint32_t key0, uint32_t key1, uint64_t position, int32_t threads,
                        float *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_jax(logits, logits_count, rows, columns, temperature, output, key0, key1, position, threads,
                               result, result_count);
}

gs_status gs_sample_per_row_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                                const float *temperatures, int64_t temperatures_count, gs_output output, uint32_t key0,
                                uint32_t key1, uint64_t position, int32_t threads, float *result,
                                int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_per_row_jax(logits, logits_count, rows, columns, temperatures, temperatures_count, output,
                                       key0, key1, position, threads, result, result_count);
}

gs_status gs_categorical_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, uint32_t key0,
                             uint32_t key1, uint64_t position, int32_t threads, int64_t *indices,
                             int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_categorical_jax(logits, logits_count, rows, columns, key0, key1, position, threads, indices,
                                    indices_count);
}

gs_status gs_top_k_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,
                       uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, int64_t *indices,
                       int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_top_k_jax(logits, logits_count, rows, columns, k, key0, key1, position, threads, indices,
                              indices_count);
}

gs_status gs_gumbel_noise_jax(uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, float *result,
                              int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gumbel_noise_jax(key0, key1, position, threads, result, result_count);
}

gs_status gs_log_density(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                         const float *temperatures, int64_t temperatures_count, const float *point, int64_t point_count,
                         gs_output space, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_log_density(logits, logits_count, rows, columns, temperatures, temperatures_count, point,
                                point_count, space, threads, result, result_count);
}

gs_status gs_sample_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                         const float *temperatures, int64_t temperatures_count, gs_output output, const uint64_t *seeds,
                         const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads,
                         float *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_rows(logits, logits_count, rows, columns, temperatures, temperatures_count, output, seeds,
                                streams, positions, streams_count, threads, result, result_count);
}

gs_status gs_categorical_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                              const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                              int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_categorical_rows(logits, logits_count, rows, columns, seeds, streams, positions, streams_count,
                                     threads, indices, indices_count);
}

gs_status gs_top_k_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,
                        const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                        int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_top_k_rows(logits, logits_count, rows, columns, k, seeds, streams, positions, streams_count,
                               threads, indices, indices_count);
}

gs_status gs_check_cpu(void) {
    if (!cpu_supported()) return refuse();
    return gs_swift_check_cpu();
}

/* --- Float64 (contract 2.1) --- */

gs_status gs_sample_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, double temperature, gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_f64(logits, logits_count, rows, columns, temperature, output, seed, stream, position, threads, result, result_count);
}

gs_status gs_sample_per_row_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_per_row_f64(logits, logits_count, rows, columns, temperatures, temperatures_count, output, seed, stream, position, threads, result, result_count);
}

gs_status gs_categorical_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_categorical_f64(logits, logits_count, rows, columns, seed, stream, position, threads, indices, indices_count);
}

gs_status gs_top_k_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_top_k_f64(logits, logits_count, rows, columns, k, seed, stream, position, threads, indices, indices_count);
}

gs_status gs_gradient_f64(const double *output, int64_t output_count, const double *upstream, int64_t upstream_count, int64_t rows, int64_t columns, double temperature, gs_output kind, int32_t threads, double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient, int64_t temperature_gradient_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gradient_f64(output, output_count, upstream, upstream_count, rows, columns, temperature, kind, threads, logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count);
}

gs_status gs_gradient_per_row_f64(const double *output, int64_t output_count, const double *upstream, int64_t upstream_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output kind, int32_t threads, double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient, int64_t temperature_gradient_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gradient_per_row_f64(output, output_count, upstream, upstream_count, rows, columns, temperatures, temperatures_count, kind, threads, logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count);
}

gs_status gs_gumbel_noise_f64(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_gumbel_noise_f64(seed, stream, position, threads, result, result_count);
}

gs_status gs_log_density_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, const double *point, int64_t point_count, gs_output space, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_log_density_f64(logits, logits_count, rows, columns, temperatures, temperatures_count, point, point_count, space, threads, result, result_count);
}

gs_status gs_sample_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output output, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, double *result, int64_t result_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_sample_rows_f64(logits, logits_count, rows, columns, temperatures, temperatures_count, output, seeds, streams, positions, streams_count, threads, result, result_count);
}

gs_status gs_categorical_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_categorical_rows_f64(logits, logits_count, rows, columns, seeds, streams, positions, streams_count, threads, indices, indices_count);
}

gs_status gs_top_k_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count) {
    if (!cpu_supported()) return refuse();
    return gs_swift_top_k_rows_f64(logits, logits_count, rows, columns, k, seeds, streams, positions, streams_count, threads, indices, indices_count);
}
