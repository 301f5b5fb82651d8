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
 * The parameters are written a second time, in GS_FORWARDED below, because C cannot define a
 * function from a `__typeof__`: guards.c defines each forwarder `gs_X` (the CPU check, then the
 * Swift call) from its list of (type, name) pairs, and the C compiler checks that definition
 * against the header's declaration (other types are "conflicting types"). The call's arguments are
 * the same list's names, so they cannot be passed in another order than the parameters'.
 */
#ifndef C_GUMBEL_SOFTMAX_ABI_H
#define C_GUMBEL_SOFTMAX_ABI_H

#include "../../../include/gumbel_softmax.h"

/* Declares gs_swift_<name> with the type of gs_<name>. */
#define GS_DECLARE_SWIFT(name, ...) __typeof__(gs_##name) gs_swift_##name;

/* GS_MAP(f, (type, name), ...): `f (type, name)` for each pair, separated by commas (at most 16). */
#define GS_MAP(f, ...) GS_MAP_N(GS_COUNT(__VA_ARGS__), f, __VA_ARGS__)
#define GS_MAP_N(count, f, ...) GS_MAP_PASTE(count, f, __VA_ARGS__)
#define GS_MAP_PASTE(count, f, ...) GS_MAP_##count(f, __VA_ARGS__)
#define GS_COUNT(...) GS_COUNT_AT(__VA_ARGS__, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define GS_COUNT_AT(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, count, ...) count
#define GS_MAP_1(f, pair) f pair
#define GS_MAP_2(f, pair, ...) f pair, GS_MAP_1(f, __VA_ARGS__)
#define GS_MAP_3(f, pair, ...) f pair, GS_MAP_2(f, __VA_ARGS__)
#define GS_MAP_4(f, pair, ...) f pair, GS_MAP_3(f, __VA_ARGS__)
#define GS_MAP_5(f, pair, ...) f pair, GS_MAP_4(f, __VA_ARGS__)
#define GS_MAP_6(f, pair, ...) f pair, GS_MAP_5(f, __VA_ARGS__)
#define GS_MAP_7(f, pair, ...) f pair, GS_MAP_6(f, __VA_ARGS__)
#define GS_MAP_8(f, pair, ...) f pair, GS_MAP_7(f, __VA_ARGS__)
#define GS_MAP_9(f, pair, ...) f pair, GS_MAP_8(f, __VA_ARGS__)
#define GS_MAP_10(f, pair, ...) f pair, GS_MAP_9(f, __VA_ARGS__)
#define GS_MAP_11(f, pair, ...) f pair, GS_MAP_10(f, __VA_ARGS__)
#define GS_MAP_12(f, pair, ...) f pair, GS_MAP_11(f, __VA_ARGS__)
#define GS_MAP_13(f, pair, ...) f pair, GS_MAP_12(f, __VA_ARGS__)
#define GS_MAP_14(f, pair, ...) f pair, GS_MAP_13(f, __VA_ARGS__)
#define GS_MAP_15(f, pair, ...) f pair, GS_MAP_14(f, __VA_ARGS__)
#define GS_MAP_16(f, pair, ...) f pair, GS_MAP_15(f, __VA_ARGS__)
/* A pair as a parameter (`type name`) and as an argument (`name`). */
#define GS_PARAMETER(type, name) type name
#define GS_ARGUMENT(type, name) name

/* The header's recurring runs of parameters, as pairs. */
#define GS_IN(type, name) (const type *, name), (int64_t, name##_count)
#define GS_OUT(type, name) (type *, name), (int64_t, name##_count)
#define GS_SHAPE (int64_t, rows), (int64_t, columns)
#define GS_PHILOX (uint64_t, seed), (uint64_t, stream), (uint64_t, position)
#define GS_JAX (uint32_t, key0), (uint32_t, key1), (uint64_t, position)
#define GS_ROW_STREAMS \
    (const uint64_t *, seeds), (const uint64_t *, streams), (const uint64_t *, positions), (int64_t, streams_count)
#define GS_THREADS (int32_t, threads)
/* gs_jax_key's `uint32_t key[2]`, as one type. */
typedef uint32_t gs_key_words[2];

/* X(name, (type, parameter), ...) for each sampling function of the element type T (name suffix
   S) on the words W (name suffix G): Philox's `seed, stream, position` (no suffix) or JAX's
   `key0, key1, position` (_jax). */
#define GS_SAMPLING(X, T, S, G, W) \
    X(sample##G##S, GS_IN(T, logits), GS_SHAPE, (T, temperature), (gs_output, output), W, GS_THREADS, \
      GS_OUT(T, result)) \
    X(sample_per_row##G##S, GS_IN(T, logits), GS_SHAPE, GS_IN(T, temperatures), (gs_output, output), W, \
      GS_THREADS, GS_OUT(T, result)) \
    X(categorical##G##S, GS_IN(T, logits), GS_SHAPE, W, GS_THREADS, GS_OUT(int64_t, indices)) \
    X(top_k##G##S, GS_IN(T, logits), GS_SHAPE, (int64_t, k), W, GS_THREADS, GS_OUT(int64_t, indices)) \
    X(gumbel_noise##G##S, W, GS_THREADS, GS_OUT(T, result))

/* X(name, (type, parameter), ...) for each function of the element type T, named with the suffix
   S: `float` and nothing (gs_X), `double` and _f64 (gs_X_f64). */
#define GS_TYPED(X, T, S) \
    GS_SAMPLING(X, T, S, , GS_PHILOX) \
    GS_SAMPLING(X, T, S, _jax, GS_JAX) \
    X(gradient##S, GS_IN(T, output), GS_IN(T, upstream), GS_SHAPE, (T, temperature), (gs_output, kind), \
      GS_THREADS, GS_OUT(T, logits_gradient), GS_OUT(T, temperature_gradient)) \
    X(gradient_per_row##S, GS_IN(T, output), GS_IN(T, upstream), GS_SHAPE, GS_IN(T, temperatures), \
      (gs_output, kind), GS_THREADS, GS_OUT(T, logits_gradient), GS_OUT(T, temperature_gradient)) \
    X(log_density##S, GS_IN(T, logits), GS_SHAPE, GS_IN(T, temperatures), GS_IN(T, point), (gs_output, space), \
      GS_THREADS, GS_OUT(double, result)) \
    X(sample_rows##S, GS_IN(T, logits), GS_SHAPE, GS_IN(T, temperatures), (gs_output, output), GS_ROW_STREAMS, \
      GS_THREADS, GS_OUT(T, result)) \
    X(categorical_rows##S, GS_IN(T, logits), GS_SHAPE, GS_ROW_STREAMS, GS_THREADS, GS_OUT(int64_t, indices)) \
    X(top_k_rows##S, GS_IN(T, logits), GS_SHAPE, (int64_t, k), GS_ROW_STREAMS, GS_THREADS, \
      GS_OUT(int64_t, indices))

/* X(name, (type, parameter), ...) for each forwarded function, its parameters in the header's
   order: gs_<name> checks the CPU, then returns gs_swift_<name>(the parameters' names). */
#define GS_FORWARDED(X) \
    X(check_cpu, (void, )) \
    X(jax_key, (int64_t, seed), (int32_t, enable_x64), (gs_key_words, key)) \
    GS_TYPED(X, float, ) \
    GS_TYPED(X, double, _f64)

GS_FORWARDED(GS_DECLARE_SWIFT)

/* The last-error functions answer from Swift on a CPU that runs the tier, from C otherwise. */
GS_DECLARE_SWIFT(last_error_message, )
GS_DECLARE_SWIFT(copy_last_error_message, )

#endif
