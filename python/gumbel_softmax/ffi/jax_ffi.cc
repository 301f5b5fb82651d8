// XLA FFI handler for gumbel_softmax.jax: the backward pass (gs_gradient_per_row) as an XLA custom
// call on the CPU, instead of a Python host callback.
//
// Build with `make jax-ffi`: g++ -std=c++17 -shared -fPIC against the headers in
// jax.ffi.include_dir() and include/gumbel_softmax.h, linked with -lgumbelsoftmax, into
// <bin>/libgumbelsoftmax_jax.so beside libgumbelsoftmax.so.
// gumbel_softmax.jax loads it from GUMBEL_SOFTMAX_JAX_FFI, or beside libgumbelsoftmax.so.

#include <cstdint>
#include <string>

#include "gumbel_softmax.h"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

// soft, upstream: [..., K]; temperatures: [...] (one per row). Writes dL/dlogits [..., K] and the
// per-row dL/dtemperature [...].
static ffi::Error Gradient(ffi::Buffer<ffi::F32> soft, ffi::Buffer<ffi::F32> upstream,
                           ffi::Buffer<ffi::F32> temperatures, ffi::ResultBuffer<ffi::F32> logits_gradient,
                           ffi::ResultBuffer<ffi::F32> temperature_gradient) {
    auto dimensions = soft.dimensions();
    if (dimensions.size() == 0) {
        return ffi::Error::InvalidArgument("gs_gradient: the sample must have at least one dimension");
    }
    const int64_t columns = dimensions.back();
    const int64_t count = static_cast<int64_t>(soft.element_count());
    const int64_t rows = columns == 0 ? 0 : count / columns;
    const gs_status status = gs_gradient_per_row(
        soft.typed_data(), count, upstream.typed_data(), static_cast<int64_t>(upstream.element_count()), rows,
        columns, temperatures.typed_data(), static_cast<int64_t>(temperatures.element_count()), GS_OUTPUT_SOFT,
        0, logits_gradient->typed_data(), static_cast<int64_t>(logits_gradient->element_count()),
        temperature_gradient->typed_data(), static_cast<int64_t>(temperature_gradient->element_count()));
    if (status != GS_OK) {
        return ffi::Error::InvalidArgument(std::string("gs_gradient: ") + gs_last_error_message());
    }
    return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(GsJaxGradient, Gradient,
                              ffi::Ffi::Bind()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Arg<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>()
                                  .Ret<ffi::Buffer<ffi::F32>>());
