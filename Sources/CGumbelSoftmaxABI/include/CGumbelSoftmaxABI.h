/*
 * CGumbelSoftmaxABI: the exported C functions of include/gumbel_softmax.h, which check the CPU (in C,
 * compiled for the baseline) before calling the library's Swift implementation (guards.c). Linked
 * into libgumbelsoftmax.so only. Not API.
 */
#ifndef C_GUMBEL_SOFTMAX_ABI_H
#define C_GUMBEL_SOFTMAX_ABI_H

#include "../../../include/gumbel_softmax.h"

/* The contract version this library follows, for gs_contract_version() on a CPU that lacks the
   tier (the Swift function answers otherwise; Scripts/test-tier-check compares the two). */
#define GS_CONTRACT_VERSION_OF_THIS_LIBRARY "2.1"

/* Sources/GumbelSoftmaxC/Preflight.swift: the tier as a constant. */
int32_t gumbel_softmax_library_build_tier(void);

/* The Swift implementations (Sources/GumbelSoftmaxC, `@_cdecl("gs_swift_...")`), one per function
   of include/gumbel_softmax.h, with the same parameters. */
const char *gs_swift_version(void);
const char *gs_swift_status_name(gs_status status);
const char *gs_swift_last_error_message(void);
size_t gs_swift_copy_last_error_message(char *buffer, size_t capacity);
gs_status gs_swift_sample(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, float temperature,
                          gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads,
                          float *result, int64_t result_count);
gs_status gs_swift_sample_per_row(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                                  const float *temperatures, int64_t temperatures_count, gs_output output,
                                  uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result,
                                  int64_t result_count);
gs_status gs_swift_categorical(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed,
                               uint64_t stream, uint64_t position, int32_t threads, int64_t *indices,
                               int64_t indices_count);
gs_status gs_swift_top_k(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,
                         uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, int64_t *indices,
                         int64_t indices_count);
gs_status gs_swift_gradient(const float *output, int64_t output_count, const float *upstream, int64_t upstream_count,
                            int64_t rows, int64_t columns, float temperature, gs_output kind, int32_t threads,
                            float *logits_gradient, int64_t logits_gradient_count, float *temperature_gradient,
                            int64_t temperature_gradient_count);
gs_status gs_swift_gradient_per_row(const float *output, int64_t output_count, const float *upstream,
                                    int64_t upstream_count, int64_t rows, int64_t columns, const float *temperatures,
                                    int64_t temperatures_count, gs_output kind, int32_t threads, float *logits_gradient,
                                    int64_t logits_gradient_count, float *temperature_gradient,
                                    int64_t temperature_gradient_count);
gs_status gs_swift_gumbel_noise(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result,
                                int64_t result_count);
gs_status gs_swift_jax_key(int64_t seed, int32_t enable_x64, uint32_t key[2]);
gs_status gs_swift_sample_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                              float temperature, gs_output output, uint32_t key0, uint32_t key1, uint64_t position,
                              int32_t threads, float *result, int64_t result_count);
gs_status gs_swift_sample_per_row_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                                      const float *temperatures, int64_t temperatures_count, gs_output output,
                                      uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, float *result,
                                      int64_t result_count);
gs_status gs_swift_categorical_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                                   uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, int64_t *indices,
                                   int64_t indices_count);
gs_status gs_swift_top_k_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,
                             uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, int64_t *indices,
                             int64_t indices_count);
gs_status gs_swift_gumbel_noise_jax(uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, float *result,
                                    int64_t result_count);
gs_status gs_swift_log_density(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                               const float *temperatures, int64_t temperatures_count, const float *point,
                               int64_t point_count, gs_output space, int32_t threads, double *result,
                               int64_t result_count);
gs_status gs_swift_sample_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                               const float *temperatures, int64_t temperatures_count, gs_output output,
                               const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                               int64_t streams_count, int32_t threads, float *result, int64_t result_count);
gs_status gs_swift_categorical_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                                    const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                                    int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count);
gs_status gs_swift_top_k_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,
                              const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                              int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count);
/* Float64 (contract 2.1): Sources/GumbelSoftmaxC/Float64Exports.swift. */
gs_status gs_swift_sample_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, double temperature, gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count);
gs_status gs_swift_sample_per_row_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count);
gs_status gs_swift_categorical_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count);
gs_status gs_swift_top_k_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count);
gs_status gs_swift_gradient_f64(const double *output, int64_t output_count, const double *upstream, int64_t upstream_count, int64_t rows, int64_t columns, double temperature, gs_output kind, int32_t threads, double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient, int64_t temperature_gradient_count);
gs_status gs_swift_gradient_per_row_f64(const double *output, int64_t output_count, const double *upstream, int64_t upstream_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output kind, int32_t threads, double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient, int64_t temperature_gradient_count);
gs_status gs_swift_gumbel_noise_f64(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result, int64_t result_count);
gs_status gs_swift_log_density_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, const double *point, int64_t point_count, gs_output space, int32_t threads, double *result, int64_t result_count);
gs_status gs_swift_sample_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output output, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, double *result, int64_t result_count);
gs_status gs_swift_categorical_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count);
gs_status gs_swift_top_k_rows_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads, int64_t *indices, int64_t indices_count);

const char *gs_swift_contract_version(void);
const char *gs_swift_build_tier(void);
int gs_swift_cpu_supported(void);
gs_status gs_swift_check_cpu(void);

#endif
