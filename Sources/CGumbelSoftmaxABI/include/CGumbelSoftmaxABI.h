/*
 * CGumbelSoftmaxABI: the exported C functions of include/gumbel_softmax.h (guards.c), which check
 * the CPU (in C, compiled for the baseline) before they call the library's Swift implementation.
 * Linked into libgumbelsoftmax.so only. Not API.
 *
 * Each function's signature is declared in include/gumbel_softmax.h. The declarations of the
 * Swift implementations repeat no parameter list: each `gs_swift_X` is declared with the type of the
 * public `gs_X` (`__typeof__`), and Sources/GumbelSoftmaxC implements it with `@c @implementation`,
 * which the Swift compiler checks against that type (a parameter that differs fails to compile).
 *
 * The parameter lists are written a second time, in GS_FORWARDED below, because C cannot define a
 * function from a `__typeof__`: guards.c defines each forwarder `gs_X` (the CPU check, then the
 * Swift call) with the parameters listed there, and the C compiler checks that definition against
 * the header's declaration (other types are "conflicting types"). GS_FORWARDED's argument lists
 * are checked against `gs_swift_X`'s type the same way. Only the types are checked: two parameters
 * of one type (`rows` and `columns`) passed in the wrong order are not, so each argument list
 * names the header's parameters in the header's order.
 */
#ifndef C_GUMBEL_SOFTMAX_ABI_H
#define C_GUMBEL_SOFTMAX_ABI_H

#include "../../../include/gumbel_softmax.h"

/* Declares gs_swift_<name> with the type of gs_<name>. */
#define GS_DECLARE_SWIFT(name, ...) __typeof__(gs_##name) gs_swift_##name;

/* X(name, (parameters), (arguments)) for each forwarded function: gs_<name> checks the CPU, then
   returns gs_swift_<name>(arguments). */
#define GS_FORWARDED(X)                                                                                            \
    X(check_cpu, (void), ())                                                                                       \
    X(sample,                                                                                                      \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, float temperature,               \
       gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result,       \
       int64_t result_count),                                                                                     \
      (logits, logits_count, rows, columns, temperature, output, seed, stream, position, threads, result,          \
       result_count))                                                                                             \
    X(sample_per_row,                                                                                              \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, const float *temperatures,       \
       int64_t temperatures_count, gs_output output, uint64_t seed, uint64_t stream, uint64_t position,           \
       int32_t threads, float *result, int64_t result_count),                                                     \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, seed, stream, position,     \
       threads, result, result_count))                                                                            \
    X(categorical,                                                                                                 \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed, uint64_t stream,  \
       uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),                              \
      (logits, logits_count, rows, columns, seed, stream, position, threads, indices, indices_count))             \
    X(top_k,                                                                                                       \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint64_t seed,        \
       uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),             \
      (logits, logits_count, rows, columns, k, seed, stream, position, threads, indices, indices_count))          \
    X(gradient,                                                                                                    \
      (const float *output, int64_t output_count, const float *upstream, int64_t upstream_count, int64_t rows,    \
       int64_t columns, float temperature, gs_output kind, int32_t threads, float *logits_gradient,               \
       int64_t logits_gradient_count, float *temperature_gradient, int64_t temperature_gradient_count),           \
      (output, output_count, upstream, upstream_count, rows, columns, temperature, kind, threads, logits_gradient, \
       logits_gradient_count, temperature_gradient, temperature_gradient_count))                                  \
    X(gradient_per_row,                                                                                            \
      (const float *output, int64_t output_count, const float *upstream, int64_t upstream_count, int64_t rows,    \
       int64_t columns, const float *temperatures, int64_t temperatures_count, gs_output kind, int32_t threads,   \
       float *logits_gradient, int64_t logits_gradient_count, float *temperature_gradient,                        \
       int64_t temperature_gradient_count),                                                                       \
      (output, output_count, upstream, upstream_count, rows, columns, temperatures, temperatures_count, kind,      \
       threads, logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count))        \
    X(gumbel_noise,                                                                                                \
      (uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, float *result, int64_t result_count),  \
      (seed, stream, position, threads, result, result_count))                                                    \
    X(jax_key, (int64_t seed, int32_t enable_x64, uint32_t key[2]), (seed, enable_x64, key))                       \
    X(sample_jax,                                                                                                  \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, float temperature,               \
       gs_output output, uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, float *result,         \
       int64_t result_count),                                                                                     \
      (logits, logits_count, rows, columns, temperature, output, key0, key1, position, threads, result,            \
       result_count))                                                                                             \
    X(sample_per_row_jax,                                                                                          \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, const float *temperatures,       \
       int64_t temperatures_count, gs_output output, uint32_t key0, uint32_t key1, uint64_t position,             \
       int32_t threads, float *result, int64_t result_count),                                                     \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, key0, key1, position,       \
       threads, result, result_count))                                                                            \
    X(categorical_jax,                                                                                             \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, uint32_t key0, uint32_t key1,    \
       uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),                              \
      (logits, logits_count, rows, columns, key0, key1, position, threads, indices, indices_count))               \
    X(top_k_jax,                                                                                                   \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint32_t key0,        \
       uint32_t key1, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),               \
      (logits, logits_count, rows, columns, k, key0, key1, position, threads, indices, indices_count))            \
    X(gumbel_noise_jax,                                                                                            \
      (uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, float *result, int64_t result_count),    \
      (key0, key1, position, threads, result, result_count))                                                      \
    X(log_density,                                                                                                 \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, const float *temperatures,       \
       int64_t temperatures_count, const float *point, int64_t point_count, gs_output space, int32_t threads,     \
       double *result, int64_t result_count),                                                                     \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, point, point_count, space, threads, \
       result, result_count))                                                                                     \
    X(sample_rows,                                                                                                 \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, const float *temperatures,       \
       int64_t temperatures_count, gs_output output, const uint64_t *seeds, const uint64_t *streams,              \
       const uint64_t *positions, int64_t streams_count, int32_t threads, float *result, int64_t result_count),   \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, seeds, streams, positions,  \
       streams_count, threads, result, result_count))                                                             \
    X(categorical_rows,                                                                                            \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, const uint64_t *seeds,           \
       const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads,                \
       int64_t *indices, int64_t indices_count),                                                                  \
      (logits, logits_count, rows, columns, seeds, streams, positions, streams_count, threads, indices,           \
       indices_count))                                                                                            \
    X(top_k_rows,                                                                                                  \
      (const float *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,                       \
       const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count,          \
       int32_t threads, int64_t *indices, int64_t indices_count),                                                 \
      (logits, logits_count, rows, columns, k, seeds, streams, positions, streams_count, threads, indices,        \
       indices_count))                                                                                            \
    X(sample_f64,                                                                                                 \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, double temperature,             \
       gs_output output, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result,      \
       int64_t result_count),                                                                                     \
      (logits, logits_count, rows, columns, temperature, output, seed, stream, position, threads, result,         \
       result_count))                                                                                             \
    X(sample_per_row_f64,                                                                                         \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures,     \
       int64_t temperatures_count, gs_output output, uint64_t seed, uint64_t stream, uint64_t position,           \
       int32_t threads, double *result, int64_t result_count),                                                    \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, seed, stream, position,     \
       threads, result, result_count))                                                                            \
    X(categorical_f64,                                                                                            \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, uint64_t seed,                  \
       uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),             \
      (logits, logits_count, rows, columns, seed, stream, position, threads, indices, indices_count))             \
    X(top_k_f64,                                                                                                  \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint64_t seed,       \
       uint64_t stream, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),             \
      (logits, logits_count, rows, columns, k, seed, stream, position, threads, indices, indices_count))          \
    X(gradient_f64,                                                                                               \
      (const double *output, int64_t output_count, const double *upstream, int64_t upstream_count,                \
       int64_t rows, int64_t columns, double temperature, gs_output kind, int32_t threads,                        \
       double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient,                      \
       int64_t temperature_gradient_count),                                                                       \
      (output, output_count, upstream, upstream_count, rows, columns, temperature, kind, threads,                 \
       logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count))                 \
    X(gradient_per_row_f64,                                                                                       \
      (const double *output, int64_t output_count, const double *upstream, int64_t upstream_count,                \
       int64_t rows, int64_t columns, const double *temperatures, int64_t temperatures_count, gs_output kind,     \
       int32_t threads, double *logits_gradient, int64_t logits_gradient_count, double *temperature_gradient,     \
       int64_t temperature_gradient_count),                                                                       \
      (output, output_count, upstream, upstream_count, rows, columns, temperatures, temperatures_count, kind,     \
       threads, logits_gradient, logits_gradient_count, temperature_gradient, temperature_gradient_count))        \
    X(sample_jax_f64,                                                                                             \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, double temperature,             \
       gs_output output, uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, double *result,        \
       int64_t result_count),                                                                                     \
      (logits, logits_count, rows, columns, temperature, output, key0, key1, position, threads, result,           \
       result_count))                                                                                             \
    X(sample_per_row_jax_f64,                                                                                     \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures,     \
       int64_t temperatures_count, gs_output output, uint32_t key0, uint32_t key1, uint64_t position,             \
       int32_t threads, double *result, int64_t result_count),                                                    \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, key0, key1, position,       \
       threads, result, result_count))                                                                            \
    X(gumbel_noise_jax_f64,                                                                                       \
      (uint32_t key0, uint32_t key1, uint64_t position, int32_t threads, double *result, int64_t result_count),   \
      (key0, key1, position, threads, result, result_count))                                                      \
    X(categorical_jax_f64,                                                                                        \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, uint32_t key0, uint32_t key1,   \
       uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),                              \
      (logits, logits_count, rows, columns, key0, key1, position, threads, indices, indices_count))               \
    X(top_k_jax_f64,                                                                                              \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k, uint32_t key0,       \
       uint32_t key1, uint64_t position, int32_t threads, int64_t *indices, int64_t indices_count),               \
      (logits, logits_count, rows, columns, k, key0, key1, position, threads, indices, indices_count))            \
    X(gumbel_noise_f64,                                                                                           \
      (uint64_t seed, uint64_t stream, uint64_t position, int32_t threads, double *result,                        \
       int64_t result_count),                                                                                     \
      (seed, stream, position, threads, result, result_count))                                                    \
    X(log_density_f64,                                                                                            \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures,     \
       int64_t temperatures_count, const double *point, int64_t point_count, gs_output space, int32_t threads,    \
       double *result, int64_t result_count),                                                                     \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, point, point_count, space,          \
       threads, result, result_count))                                                                            \
    X(sample_rows_f64,                                                                                            \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const double *temperatures,     \
       int64_t temperatures_count, gs_output output, const uint64_t *seeds, const uint64_t *streams,              \
       const uint64_t *positions, int64_t streams_count, int32_t threads, double *result,                         \
       int64_t result_count),                                                                                     \
      (logits, logits_count, rows, columns, temperatures, temperatures_count, output, seeds, streams,             \
       positions, streams_count, threads, result, result_count))                                                  \
    X(categorical_rows_f64,                                                                                       \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, const uint64_t *seeds,          \
       const uint64_t *streams, const uint64_t *positions, int64_t streams_count, int32_t threads,                \
       int64_t *indices, int64_t indices_count),                                                                  \
      (logits, logits_count, rows, columns, seeds, streams, positions, streams_count, threads, indices,           \
       indices_count))                                                                                            \
    X(top_k_rows_f64,                                                                                             \
      (const double *logits, int64_t logits_count, int64_t rows, int64_t columns, int64_t k,                      \
       const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions, int64_t streams_count,          \
       int32_t threads, int64_t *indices, int64_t indices_count),                                                 \
      (logits, logits_count, rows, columns, k, seeds, streams, positions, streams_count, threads, indices,        \
       indices_count))

GS_FORWARDED(GS_DECLARE_SWIFT)

/* The last-error functions answer from Swift on a CPU that runs the tier, from C otherwise. */
GS_DECLARE_SWIFT(last_error_message)
GS_DECLARE_SWIFT(copy_last_error_message)

#endif
