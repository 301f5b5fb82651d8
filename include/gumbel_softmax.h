/*
 * gumbel_softmax.h: the C ABI of the GumbelSoftmax Swift package (libgumbelsoftmax.so).
 *
 * Gumbel-Softmax (Concrete) sampling over row-major [B, K] float32 batches (Jang et al. 2017;
 * Maddison et al. 2017), with Gumbel noise from the counter-based generator Philox4x32-10
 * (Salmon et al. 2011). Every result is a pure function of (seed, stream, position, inputs,
 * temperature): element (b, k) uses word `position + b*K + k` of the stream `(seed, stream)`, so
 * rows [a, c) sampled alone at `position + a*K` equal those rows of the whole batch, and the
 * thread count never changes a bit. See SPEC.md for the contract and its tolerances.
 *
 * Build:  swift build -c release --product gumbelsoftmax
 * Link:   cc -I include app.c -L "$(swift build -c release --show-bin-path)" -lgumbelsoftmax \
 *            -Wl,-rpath,"$(swift build -c release --show-bin-path)"
 * Installed (make install PREFIX=...):  cc app.c $(pkg-config --cflags --libs gumbelsoftmax)
 *
 * Conventions of every function below:
 * - It returns a gs_status. GS_OK is 0; anything else is a refused input, and
 *   gs_last_error_message() then names the problem (which row and column, which count).
 *   Nothing is thrown and nothing aborts the process on bad input.
 * - Each buffer comes with its element count (`*_count`). A pointer may be NULL only when its
 *   count is 0 (B == 0 is valid and does nothing). Counts must be >= 0. The counts are checked
 *   against the shape (B*K, B, B*k) and B*K overflow is refused before any memory is touched.
 * - Outputs must not overlap inputs, the per-row `seeds`, `streams` and `positions` included
 *   (GS_INVALID_ARGUMENT).
 * - `threads`: worker threads; 0 means all cores. It never changes the result.
 * - `seed`, `stream`: name the Philox stream; `position`: the first word the call uses.
 * - A refused argument (a count, shape, size, k, temperature, thread count, NULL pointer, enum
 *   value, overlap, or GS_OUT_OF_MEMORY) leaves every buffer untouched. A refused value found
 *   during the pass over the data (GS_NAN_LOGIT, GS_INFINITE_LOGIT, GS_ALL_MASKED_ROW,
 *   GS_INSUFFICIENT_CATEGORIES) sets every element of the output to 0: exactly its B*K, B or
 *   B*k elements, never beyond; the _f64 functions check every value first and write nothing.
 *   gs_log_density finds GS_INVALID_POINT before it writes.
 * - All functions are thread-safe and reentrant, and never change process-wide settings (OpenBLAS's
 *   included). State kept between calls, none of which changes a result:
 *   - each thread's own last error message (a thread-local value, see gs_last_error_message);
 *   - the CPU's features, examined once per process (gs_cpu_supported);
 *   - on a machine with more than one core, a pool of (cores - 1) helper threads, started by the
 *     first call that runs on more than one thread and kept for the life of the process. After
 *     each call a helper spins for 50,000 atomic loads (tens of microseconds) and then sleeps on
 *     a condition variable until the next call. A call that finds the pool busy (another
 *     thread's call at the same moment), asks for another thread count than the pool's, or runs
 *     in a forked child starts threads of its own for that call;
 *   - a pthread_atfork handler, registered with the pool, that marks a forked child so that its
 *     calls do not wait for the parent's helpers (which do not exist in the child).
 * - A worker thread that cannot start (an address-space or thread limit) is skipped and the
 *   calling thread does its work, with the same bits; threads the library starts block all
 *   signals. The library never uses OpenBLAS's threads, but OpenBLAS starts them when it loads and
 *   each retries its 128 MiB buffer forever under an address-space limit (RLIMIT_AS) too tight for
 *   it, so that the process hangs at exit; the library cannot change that for its host: set
 *   OPENBLAS_NUM_THREADS=1 before such a process starts (docs/embedding.md).
 * - Nothing traps on bad input or on running out of memory where the library can tell first: a
 *   failed allocation of scratch memory it can check (top-k's candidates, gs_log_density's
 *   copies) is GS_OUT_OF_MEMORY.
 * - Generators: every sampling function has a Philox form (`seed`, `stream`, `position`; the
 *   default) and a `_jax` form taking a JAX key `(key0, key1)` and `position`, which draws JAX's
 *   default threefry stream (docs/jax.md).
 */
#ifndef GUMBEL_SOFTMAX_H
#define GUMBEL_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes; gs_version() returns the library's. */
#define GS_VERSION "0.2.0"

/* The version of the sampling contract (SPEC.md) this header describes, a string ("2.1" adds
   float64 end to end, SPEC.md section 5); gs_contract_version() returns the library's. */
#define GS_CONTRACT_VERSION "2.1"

/* Result of every call. One code per family of refused inputs (SPEC.md section 4). */
typedef enum gs_status {
    GS_OK = 0,
    /* The temperature (or one row's temperature) is NaN, infinite, zero or negative. */
    GS_INVALID_TEMPERATURE = 1,
    /* A logit is NaN. */
    GS_NAN_LOGIT = 2,
    /* A logit is +inf (-inf masks a category and is allowed). */
    GS_INFINITE_LOGIT = 3,
    /* Every logit of a row is -inf. */
    GS_ALL_MASKED_ROW = 4,
    /* K == 0. */
    GS_NO_CATEGORIES = 5,
    /* B < 0 or K < 0, or B*K overflows int64. */
    GS_INVALID_SHAPE = 6,
    /* A buffer's count is not what the shape needs (logits B*K, result B*K, indices B or B*k,
       temperatures B). */
    GS_SIZE_MISMATCH = 7,
    /* Top-k: k outside 1...K. */
    GS_INVALID_TOP_K = 8,
    /* threads < 0. */
    GS_INVALID_THREAD_COUNT = 9,
    /* A NULL pointer with a count > 0. */
    GS_NULL_POINTER = 10,
    /* Any other bad argument: a negative count, an unknown gs_output (`output`, `kind`
       or `space`), an output overlapping an input. */
    GS_INVALID_ARGUMENT = 11,
    /* Top-k: a row has fewer than k unmasked (finite) logits. */
    GS_INSUFFICIENT_CATEGORIES = 12,
    /* A point given to gs_log_density is NaN, +inf, or negative on the simplex. */
    GS_INVALID_POINT = 13,
    /* This CPU lacks an instruction set extension of the tier the library was built for (e.g.
       avx512f for the avx512 tier). Every function returns it, before running any sampling code,
       and the message names the tier and the missing features. See gs_check_cpu(). */
    GS_UNSUPPORTED_CPU = 14,
    /* Scratch memory the call needs could not be allocated (top-k's candidate buffers). */
    GS_OUT_OF_MEMORY = 15
} gs_status;

/* The form of a sample. */
typedef enum gs_output {
    /* softmax(z) per row, z = (logits + g) / temperature. */
    GS_OUTPUT_SOFT = 0,
    /* log_softmax(z) per row (-inf exactly where a logit is -inf). */
    GS_OUTPUT_LOG = 1,
    /* The one-hot of argmax(z), ties to the lowest index (straight-through forward value). */
    GS_OUTPUT_HARD = 2
} gs_output;

/* The library version, e.g. "0.2.0"; a static string. */
const char *gs_version(void);

/* The constant's name of a status, e.g. "GS_NAN_LOGIT"; "GS_UNKNOWN_STATUS" for other values. */
const char *gs_status_name(gs_status status);

/* The message of the calling thread's last failed call, or "" if its last call succeeded (or it
   has made none). Never NULL. Valid until the calling thread's next gs_* call (other threads'
   calls never change it). */
const char *gs_last_error_message(void);

/* Copies the calling thread's last error message into `buffer` (at most capacity - 1 bytes plus
   a NUL; nothing when buffer is NULL or capacity is 0) and returns its full length, like
   snprintf: a return value >= capacity means it was truncated. */
size_t gs_copy_last_error_message(char *buffer, size_t capacity);

/* Samples a [rows, columns] batch: soft, log-space or hard (gs_output) into `result`
   (rows*columns floats).
   Refuses: GS_INVALID_TEMPERATURE, GS_NAN_LOGIT, GS_INFINITE_LOGIT, GS_ALL_MASKED_ROW,
   GS_NO_CATEGORIES, GS_INVALID_SHAPE, GS_SIZE_MISMATCH, GS_INVALID_THREAD_COUNT,
   GS_NULL_POINTER, GS_INVALID_ARGUMENT. */
gs_status gs_sample(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                    float temperature, gs_output output, uint64_t seed, uint64_t stream,
                    uint64_t position, int32_t threads, float *result, int64_t result_count);

/* As gs_sample, with one temperature per row (`temperatures`: rows floats). */
gs_status gs_sample_per_row(const float *logits, int64_t logits_count, int64_t rows,
                            int64_t columns, const float *temperatures, int64_t temperatures_count,
                            gs_output output, uint64_t seed, uint64_t stream, uint64_t position,
                            int32_t threads, float *result, int64_t result_count);

/* Gumbel-max categorical sampling: `indices[b]` = argmax_k(logits[b,k] + g[b,k]), ties to the
   lowest index, in 0..columns-1. Uses the same words as gs_sample, so it equals the index of the
   1 in gs_sample's GS_OUTPUT_HARD result at any temperature. `indices`: rows int64 values. */
gs_status gs_categorical(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                         uint64_t seed, uint64_t stream, uint64_t position, int32_t threads,
                         int64_t *indices, int64_t indices_count);

/* Gumbel-top-k (Kool et al. 2019): the indices of the k largest logits + g of each row, in
   descending order of perturbed logit, ties to the lowest index: k distinct categories drawn
   without replacement, each with probability proportional to exp(logit) among those left. The
   same words as gs_sample and gs_categorical, so indices[b*k] equals gs_categorical's indices[b].
   `indices`: rows*k int64 values, row-major.
   Refuses also GS_INVALID_TOP_K (k outside 1...columns) and GS_INSUFFICIENT_CATEGORIES (a row
   with fewer than k logits that are not -inf; GS_ALL_MASKED_ROW when it has none) and
   GS_OUT_OF_MEMORY (its scratch, about 12 bytes per candidate, cannot be allocated). */
gs_status gs_top_k(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                   int64_t k, uint64_t seed, uint64_t stream, uint64_t position, int32_t threads,
                   int64_t *indices, int64_t indices_count);

/* The vector-Jacobian product of a sample with the Gumbel noise held fixed (the
   reparameterisation trick): given a sample `output` of rows*columns floats and `upstream` =
   dL/doutput (rows*columns), writes dL/dlogits to `logits_gradient` (rows*columns) and each row's
   dL/dtemperature to `temperature_gradient` (rows floats; pass NULL and 0 to skip it; with one
   shared temperature its gradient is the sum of the rows').
   `kind`: GS_OUTPUT_SOFT: `output` is softmax(z), dL/dz = y * (v - <v, y>);
           GS_OUTPUT_LOG: `output` is log_softmax(z), dL/dz = v - exp(log_y) * sum(v) (masked
           categories get 0);
           GS_OUTPUT_HARD: straight-through: pass the *soft* sample as `output`; equals SOFT.
   dL/dlogits = dL/dz / temperature; dL/dtemperature = -(1 / temperature) * sum_k dL/dz_k * log y_k.
   Only shapes, counts and the temperature are validated; `output` is taken to be a sample of this
   library. No noise is needed, so there is no seed. */
gs_status gs_gradient(const float *output, int64_t output_count, const float *upstream,
                      int64_t upstream_count, int64_t rows, int64_t columns, float temperature,
                      gs_output kind, int32_t threads, float *logits_gradient,
                      int64_t logits_gradient_count, float *temperature_gradient,
                      int64_t temperature_gradient_count);

/* As gs_gradient, for a sample drawn with one temperature per row (`temperatures`: rows floats). */
gs_status gs_gradient_per_row(const float *output, int64_t output_count, const float *upstream,
                              int64_t upstream_count, int64_t rows, int64_t columns,
                              const float *temperatures, int64_t temperatures_count, gs_output kind,
                              int32_t threads, float *logits_gradient,
                              int64_t logits_gradient_count, float *temperature_gradient,
                              int64_t temperature_gradient_count);

/* Raw Gumbel(0, 1) noise: result[i] = -log(-log(u)) of word position + i. */
gs_status gs_gumbel_noise(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads,
                          float *result, int64_t result_count);

/* --- PYAPI area: JAX's threefry stream and the Concrete density --- */

/* The key words of jax.random.PRNGKey(seed) (= jax.random.key_data(jax.random.key(seed))) into
   key[0], key[1]: (0, lo32(seed)) under JAX's default jax_enable_x64=False (enable_x64 = 0),
   (hi32(seed), lo32(seed)) with enable_x64 = 1. Refuses GS_NULL_POINTER, GS_INVALID_ARGUMENT
   (enable_x64 not 0 or 1). */
gs_status gs_jax_key(int64_t seed, int32_t enable_x64, uint32_t key[2]);

/* The *_jax functions are the functions above with JAX's default PRNG (threefry2x32 with
   jax_threefry_partitionable=True) instead of Philox: `key0`, `key1` are the two words of
   jax.random.key_data(key) (after any split or fold_in), and element (b, k) uses flat element
   `position + b*K + k` of that key's stream. At position 0, gs_gumbel_noise_jax gives
   jax.random.gumbel(key, shape, float32).ravel() (within 2e-6 * max(1, |g|)), gs_sample_jax
   jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / temperature) (within the
   SPEC's soft tolerance) and gs_categorical_jax jax.random.categorical(key, logits) (except at
   near ties). Same arguments, refusals and guarantees as the Philox forms otherwise. */
gs_status gs_sample_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                        float temperature, gs_output output, uint32_t key0, uint32_t key1,
                        uint64_t position, int32_t threads, float *result, int64_t result_count);

gs_status gs_sample_per_row_jax(const float *logits, int64_t logits_count, int64_t rows,
                                int64_t columns, const float *temperatures,
                                int64_t temperatures_count, gs_output output, uint32_t key0,
                                uint32_t key1, uint64_t position, int32_t threads, float *result,
                                int64_t result_count);

gs_status gs_categorical_jax(const float *logits, int64_t logits_count, int64_t rows,
                             int64_t columns, uint32_t key0, uint32_t key1, uint64_t position,
                             int32_t threads, int64_t *indices, int64_t indices_count);

gs_status gs_top_k_jax(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                       int64_t k, uint32_t key0, uint32_t key1, uint64_t position,
                       int32_t threads, int64_t *indices, int64_t indices_count);

gs_status gs_gumbel_noise_jax(uint32_t key0, uint32_t key1, uint64_t position, int32_t threads,
                              float *result, int64_t result_count);

/* The log-density of each row of `point` under the Concrete distribution (Maddison et al. 2017)
   of `logits` with one temperature per row (`temperatures`: rows floats), into `result` (rows
   doubles), evaluated in double. `space`: GS_OUTPUT_SOFT for a point y on the simplex
   (RelaxedOneHotCategorical.log_prob), GS_OUTPUT_LOG for a point log y (ExpConcrete,
   ExpRelaxedCategorical.log_prob); GS_OUTPUT_HARD is refused (GS_INVALID_ARGUMENT). A masked
   category (-inf logit) is left out and the point must be exactly 0 (log: -inf) there; a point
   outside the open simplex gets -inf. Refuses also GS_INVALID_POINT (a NaN or +inf coordinate,
   or a negative one on the simplex), the logits and temperatures that sampling refuses, and
   GS_OUT_OF_MEMORY (it copies the logits and temperatures and needs K doubles per thread). */
gs_status gs_log_density(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                         const float *temperatures, int64_t temperatures_count, const float *point,
                         int64_t point_count, gs_output space, int32_t threads, double *result,
                         int64_t result_count);

/* --- Per-row streams (contract 2) --- */

/* As gs_sample, but each row b has its own Philox stream: element (b, k) uses word
   positions[b] + k (mod 2^64) of the stream (seeds[b], streams[b]), and that position's tail
   word in the tail bands (SPEC.md sections 2 and 3). A row's result then depends only on its own
   logits, temperature and stream, never on the other rows of the batch, their number or order.
   `seeds`, `streams` and `positions` each hold `streams_count` == rows values.
   `temperatures`: temperatures_count == 1 (one temperature for every row) or == rows (one per
   row). Refuses as gs_sample and gs_sample_per_row (GS_SIZE_MISMATCH for a streams_count or
   temperatures_count that does not fit rows, GS_NULL_POINTER for a NULL array with a count > 0). */
gs_status gs_sample_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                         const float *temperatures, int64_t temperatures_count, gs_output output,
                         const uint64_t *seeds, const uint64_t *streams, const uint64_t *positions,
                         int64_t streams_count, int32_t threads, float *result, int64_t result_count);

/* As gs_categorical, with one Philox stream per row (see gs_sample_rows). `indices`: rows values. */
gs_status gs_categorical_rows(const float *logits, int64_t logits_count, int64_t rows,
                              int64_t columns, const uint64_t *seeds, const uint64_t *streams,
                              const uint64_t *positions, int64_t streams_count, int32_t threads,
                              int64_t *indices, int64_t indices_count);

/* As gs_top_k, with one Philox stream per row (see gs_sample_rows). `indices`: rows*k values. */
gs_status gs_top_k_rows(const float *logits, int64_t logits_count, int64_t rows, int64_t columns,
                        int64_t k, const uint64_t *seeds, const uint64_t *streams,
                        const uint64_t *positions, int64_t streams_count, int32_t threads,
                        int64_t *indices, int64_t indices_count);

/* --- Float64 (contract 2.1, SPEC.md section 5) --- */

/* The _f64 functions are the functions above with double logits, temperatures, points and
   outputs, computed in float64 end to end: the same words and uniforms, then the noise, the
   scaling, the softmax, the argmax, the gradient and the density in double (within SPEC.md
   section 5's tolerances: a category of probability 1e-87 comes out near 1e-87). Same arguments
   (counts in elements) and refusals as the float32 forms; on any refusal, a refused value of the
   data included, no output is written. */
gs_status gs_sample_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns,
                        double temperature, gs_output output, uint64_t seed, uint64_t stream,
                        uint64_t position, int32_t threads, double *result, int64_t result_count);

gs_status gs_sample_per_row_f64(const double *logits, int64_t logits_count, int64_t rows,
                                int64_t columns, const double *temperatures,
                                int64_t temperatures_count, gs_output output, uint64_t seed,
                                uint64_t stream, uint64_t position, int32_t threads, double *result,
                                int64_t result_count);

gs_status gs_categorical_f64(const double *logits, int64_t logits_count, int64_t rows,
                             int64_t columns, uint64_t seed, uint64_t stream, uint64_t position,
                             int32_t threads, int64_t *indices, int64_t indices_count);

gs_status gs_top_k_f64(const double *logits, int64_t logits_count, int64_t rows, int64_t columns,
                       int64_t k, uint64_t seed, uint64_t stream, uint64_t position,
                       int32_t threads, int64_t *indices, int64_t indices_count);

gs_status gs_gradient_f64(const double *output, int64_t output_count, const double *upstream,
                          int64_t upstream_count, int64_t rows, int64_t columns, double temperature,
                          gs_output kind, int32_t threads, double *logits_gradient,
                          int64_t logits_gradient_count, double *temperature_gradient,
                          int64_t temperature_gradient_count);

gs_status gs_gradient_per_row_f64(const double *output, int64_t output_count,
                                  const double *upstream, int64_t upstream_count, int64_t rows,
                                  int64_t columns, const double *temperatures,
                                  int64_t temperatures_count, gs_output kind, int32_t threads,
                                  double *logits_gradient, int64_t logits_gradient_count,
                                  double *temperature_gradient, int64_t temperature_gradient_count);

gs_status gs_gumbel_noise_f64(uint64_t seed, uint64_t stream, uint64_t position, int32_t threads,
                              double *result, int64_t result_count);

gs_status gs_log_density_f64(const double *logits, int64_t logits_count, int64_t rows,
                             int64_t columns, const double *temperatures, int64_t temperatures_count,
                             const double *point, int64_t point_count, gs_output space,
                             int32_t threads, double *result, int64_t result_count);

gs_status gs_sample_rows_f64(const double *logits, int64_t logits_count, int64_t rows,
                             int64_t columns, const double *temperatures, int64_t temperatures_count,
                             gs_output output, const uint64_t *seeds, const uint64_t *streams,
                             const uint64_t *positions, int64_t streams_count, int32_t threads,
                             double *result, int64_t result_count);

gs_status gs_categorical_rows_f64(const double *logits, int64_t logits_count, int64_t rows,
                                  int64_t columns, const uint64_t *seeds, const uint64_t *streams,
                                  const uint64_t *positions, int64_t streams_count, int32_t threads,
                                  int64_t *indices, int64_t indices_count);

gs_status gs_top_k_rows_f64(const double *logits, int64_t logits_count, int64_t rows,
                            int64_t columns, int64_t k, const uint64_t *seeds,
                            const uint64_t *streams, const uint64_t *positions,
                            int64_t streams_count, int32_t threads, int64_t *indices,
                            int64_t indices_count);

/* The float64 forms of the *_jax functions, for JAX with jax_enable_x64=True:
   element p takes JAX's float64 uniform from its 64 bits `o0 << 32 | o1` of
   threefry2x32(key, (hi32(p), lo32(p))), as jax.random.uniform(key, shape, float64, minval=tiny)
   does, then the noise and the softmax in double. At position 0, gs_gumbel_noise_jax_f64 gives
   jax.random.gumbel(key, shape, float64).ravel() and gs_sample_jax_f64
   jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape, float64)) / temperature), within
   SPEC.md section 5's tolerances; gs_categorical_jax_f64 gives jax.random.categorical(key, logits)
   for float64 logits (argmax(logits + gumbel(key, logits.shape, float64)) over the last axis)
   and gs_top_k_jax_f64 the indices of lax.top_k(logits + gumbel(...), k), except at near ties.
   Same arguments and refusals as the float32 _jax forms otherwise. */
gs_status gs_sample_jax_f64(const double *logits, int64_t logits_count, int64_t rows,
                            int64_t columns, double temperature, gs_output output, uint32_t key0,
                            uint32_t key1, uint64_t position, int32_t threads, double *result,
                            int64_t result_count);

gs_status gs_sample_per_row_jax_f64(const double *logits, int64_t logits_count, int64_t rows,
                                    int64_t columns, const double *temperatures,
                                    int64_t temperatures_count, gs_output output, uint32_t key0,
                                    uint32_t key1, uint64_t position, int32_t threads,
                                    double *result, int64_t result_count);

gs_status gs_gumbel_noise_jax_f64(uint32_t key0, uint32_t key1, uint64_t position, int32_t threads,
                                  double *result, int64_t result_count);

gs_status gs_categorical_jax_f64(const double *logits, int64_t logits_count, int64_t rows,
                                 int64_t columns, uint32_t key0, uint32_t key1, uint64_t position,
                                 int32_t threads, int64_t *indices, int64_t indices_count);

gs_status gs_top_k_jax_f64(const double *logits, int64_t logits_count, int64_t rows,
                           int64_t columns, int64_t k, uint32_t key0, uint32_t key1,
                           uint64_t position, int32_t threads, int64_t *indices,
                           int64_t indices_count);

/* --- Version and CPU tier --- */

/* The version of the sampling contract (SPEC.md) the library follows (GS_CONTRACT_VERSION); a
   static string. Equal contract versions give equal bits for equal (seed, stream, position,
   inputs). */
const char *gs_contract_version(void);

/* The instruction set tier the library was built for: "baseline", "avx2" (-target-cpu haswell)
   or "avx512" (-target-cpu skylake-avx512); a static string. */
const char *gs_build_tier(void);

/* 1 if this CPU has every feature of gs_build_tier()'s tier, else 0 (then every other function
   returns GS_UNSUPPORTED_CPU). The CPU is examined once per process. */
int gs_cpu_supported(void);

/* GS_OK, or GS_UNSUPPORTED_CPU with gs_last_error_message() naming the tier and the features
   this CPU lacks, e.g. "GumbelSoftmax 0.2.0 was built for the avx512 tier; this CPU lacks
   avx512f, avx512cd, avx512bw, avx512dq, avx512vl (rebuild for its tier: TIER=avx2)". */
gs_status gs_check_cpu(void);

#ifdef __cplusplus
}
#endif

#endif /* GUMBEL_SOFTMAX_H */
