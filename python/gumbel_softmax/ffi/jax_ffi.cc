// The XLA FFI handler of gumbel_softmax.jax, an XLA custom call on the CPU instead of a Python host
// callback: the forward pass (gs_sample_per_row_jax, JAX's threefry stream from the key's two words;
// gs_sample_per_row_jax_f64 for float64 logits under jax_enable_x64, with JAX's float64 uniforms).
// The derivatives are JAX operations on the sample (gumbel_softmax.jax's custom_jvp).
//
// Build with `make jax-ffi`: g++ -std=c++17 -shared -fPIC against the headers in
// jax.ffi.include_dir() and include/gumbel_softmax.h, linked with -lgumbelsoftmax, into
// <bin>/libgumbelsoftmax_jax.so beside libgumbelsoftmax.so.
// gumbel_softmax.jax loads it from GUMBEL_SOFTMAX_JAX_FFI, or beside libgumbelsoftmax.so.

#include <cstdint>
#include <limits>

#include "gumbel_softmax.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

// The forward pass under vmap_method="broadcast_all": `keys` is [M..., 2] (the words of
// jax.random.key_data of each of the M batch members, M = 1 outside vmap), `logits` [M..., R..., K]
// and `temperatures` [M..., R...] (one per row). Member m is sampled alone, rows contiguous, from
// position 0 of its own key: what jax.random.gumbel(key_m, logits_m.shape) draws for a
// last-axis layout. `output`: GS_OUTPUT_SOFT or GS_OUTPUT_HARD. One custom call serves the whole
// batch; the library's threads (all cores) work within each member, so the result does not depend
// on how the batch is split.
// A member the library refuses (NaN or +inf logits, a row of only -inf, a temperature not finite or
// <= 0) is sampled again row by row, each row at its own position (r*K, the words it uses in the
// batch), and the rows refused alone are NaN: what JAX's own expression gives for such rows, and no
// run-time error, whose Python type JAX makes depend on the dispatch path (JaxRuntimeError from
// its Python path, ValueError from its C++ fast path, so on whether the function ran before).
// The library's per-row JAX sampler of each precision.
static gs_status SamplePerRow(const float *logits, int64_t count, int64_t rows, int64_t columns,
                              const float *temperatures, gs_output output, uint32_t key0, uint32_t key1,
                              uint64_t position, float *result) {
    return gs_sample_per_row_jax(logits, count, rows, columns, temperatures, rows, output, key0, key1, position, 0,
                                 result, count);
}

static gs_status SamplePerRow(const double *logits, int64_t count, int64_t rows, int64_t columns,
                              const double *temperatures, gs_output output, uint32_t key0, uint32_t key1,
                              uint64_t position, double *result) {
    return gs_sample_per_row_jax_f64(logits, count, rows, columns, temperatures, rows, output, key0, key1, position,
                                     0, result, count);
}

template <typename T>
static void SampleRowByRow(const T *logits, const T *temperatures, int64_t rows, int64_t columns, gs_output output,
                           uint32_t key0, uint32_t key1, T *result) {
    for (int64_t r = 0; r < rows; ++r) {
        T *row = result + r * columns;
        const gs_status status = SamplePerRow(logits + r * columns, columns, 1, columns, temperatures + r, output,
                                              key0, key1, static_cast<uint64_t>(r * columns), row);
        if (status != GS_OK) {
            for (int64_t k = 0; k < columns; ++k) {
                row[k] = std::numeric_limits<T>::quiet_NaN();
            }
        }
    }
}

template <ffi::DataType D>
static ffi::Error Sample(ffi::Buffer<ffi::U32> keys, ffi::Buffer<D> logits, ffi::Buffer<D> temperatures,
                         int32_t output, ffi::ResultBuffer<D> result) {
    if (output != GS_OUTPUT_SOFT && output != GS_OUTPUT_HARD) {
        return ffi::Error::InvalidArgument("gs_sample_jax: output must be GS_OUTPUT_SOFT or GS_OUTPUT_HARD");
    }
    auto dimensions = logits.dimensions();
    auto key_dimensions = keys.dimensions();
    if (dimensions.size() == 0 || key_dimensions.size() == 0 || key_dimensions.back() != 2) {
        return ffi::Error::InvalidArgument("gs_sample_jax: expected keys [..., 2] and logits [..., K]");
    }
    const int64_t members = static_cast<int64_t>(keys.element_count()) / 2;
    const int64_t count = static_cast<int64_t>(logits.element_count());
    const int64_t temperature_count = static_cast<int64_t>(temperatures.element_count());
    if (members == 0 || count == 0) {
        return ffi::Error::Success();  // an empty batch: nothing to draw
    }
    const int64_t columns = dimensions.back();
    const int64_t per_member = count / members;
    const int64_t rows = per_member / columns;
    if (per_member * members != count || rows * columns != per_member || temperature_count != rows * members ||
        static_cast<int64_t>(result->element_count()) != count) {
        return ffi::Error::InvalidArgument("gs_sample_jax: keys, logits, temperatures and result do not agree");
    }
    const uint32_t *key = keys.typed_data();
    for (int64_t m = 0; m < members; ++m) {
        const gs_status status =
            SamplePerRow(logits.typed_data() + m * per_member, per_member, rows, columns,
                         temperatures.typed_data() + m * rows, static_cast<gs_output>(output), key[2 * m],
                         key[2 * m + 1], 0, result->typed_data() + m * per_member);
        if (status != GS_OK) {
            SampleRowByRow(logits.typed_data() + m * per_member, temperatures.typed_data() + m * rows, rows, columns,
                           static_cast<gs_output>(output), key[2 * m], key[2 * m + 1],
                           result->typed_data() + m * per_member);
        }
    }
    return ffi::Error::Success();
}

// What a handler takes: the keys, the logits and temperatures of element type D, the output kind.
template <ffi::DataType D>
static auto SampleBinding() {
    return ffi::Ffi::Bind()
        .Arg<ffi::Buffer<ffi::U32>>()
        .template Arg<ffi::Buffer<D>>()
        .template Arg<ffi::Buffer<D>>()
        .template Attr<int32_t>("output")
        .template Ret<ffi::Buffer<D>>();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(GsJaxSample, Sample<ffi::F32>, SampleBinding<ffi::F32>());
XLA_FFI_DEFINE_HANDLER_SYMBOL(GsJaxSampleF64, Sample<ffi::F64>, SampleBinding<ffi::F64>());
