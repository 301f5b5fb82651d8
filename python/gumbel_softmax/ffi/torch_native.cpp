// The compiled autograd node of gumbel_softmax.torch's common case (issue 26): the soft sample of a
// C-contiguous float32 or float64 CPU tensor, categories last, one temperature, as a
// torch::autograd::Function whose forward is the library's gs_sample and whose first-order
// backward is its VJP, gs_gradient: what the Python node _LibrarySoftSample computes, without the
// Python node's backward (PyNode, the GIL, a Python call) and without ctypes.
//
// Built by `python -m gumbel_softmax.torch build-native` (gumbel_softmax/_torch_native.py) with the
// system C++ compiler against torch's headers, into a per-user cache; never at import. The module
// does not link to libgumbelsoftmax.so: gumbel_softmax.torch hands over the addresses of the
// functions of the library it has loaded (set_functions), so the node calls the same library as
// the rest of the package. The header gives their types.
//
// Python calls it through a pybind11 function (`common`), which costs less per call than the
// dispatcher's torch.ops route (docs/pytorch.md, Cost per call). A refusal of the library raises
// ValueError("gumbel_softmax status <n>: <the library's message>"), which gumbel_softmax.torch
// turns into the GumbelSoftmaxError the Python node raises.

#include <torch/extension.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "gumbel_softmax.h"

namespace {

struct Functions {
    decltype(&gs_sample) sample = nullptr;
    decltype(&gs_sample_f64) sample_f64 = nullptr;
    decltype(&gs_gradient) gradient = nullptr;
    decltype(&gs_gradient_f64) gradient_f64 = nullptr;
    decltype(&gs_last_error_message) last_error_message = nullptr;
};

// Set once by set_functions before the first call; read-only afterwards.
Functions library;
std::atomic<bool> ready{false};

[[noreturn]] void refuse(gs_status status) {
    const char *message = library.last_error_message();
    throw pybind11::value_error("gumbel_softmax status " + std::to_string(static_cast<int>(status)) + ": " +
                                (message ? message : ""));
}

void check(gs_status status) {
    if (status != GS_OK) {
        refuse(status);
    }
}

// The library's sample of `logits` (C-contiguous, categories last) in the output `code` (a
// gs_output) into a new tensor with logits' strides (those of a size-1 dimension included), as the
// Python node's torch.empty_like. So is the gradient below.
at::Tensor sample(const at::Tensor &logits, double temperature, int code, uint64_t seed, uint64_t stream,
                  uint64_t position) {
    at::Tensor result = at::empty_like(logits);
    const int64_t count = logits.numel();
    const int64_t columns = logits.size(-1);
    const auto output = static_cast<gs_output>(code);
    // The untyped pointers: a zero tensor's is NULL, which the library refuses, as for the Python
    // node.
    const void *source = logits.const_data_ptr();
    void *target = result.mutable_data_ptr();
    gs_status status;
    if (logits.scalar_type() == at::kFloat) {
        status = library.sample(static_cast<const float *>(source), count, count / columns, columns,
                                static_cast<float>(temperature), output, seed, stream, position, 0,
                                static_cast<float *>(target), count);
    } else {
        status = library.sample_f64(static_cast<const double *>(source), count, count / columns, columns, temperature,
                                    output, seed, stream, position, 0, static_cast<double *>(target), count);
    }
    check(status);
    return result;
}

// Whether the library's VJP can take `upstream` for the sample `y`: a plain strided CPU tensor of
// y's dtype whose memory holds its values (not a vmap of the backward, a wrapper, a negative or
// conjugate view, a zero tensor, which has none: sgn's backward gives one), with y contiguous and
// of upstream's size (a saved_tensors_hooks unpack may return another layout or size, past which
// the library would read). The conditions of _LibrarySoftSample.backward (which finds a zero
// tensor by the library's refusal of its NULL pointer), except that a Python Tensor subclass
// without __torch_dispatch__ is seen here as the plain tensor it holds (the backward runs without
// the GIL).
bool plain(const at::Tensor &upstream, const at::Tensor &y) {
    return upstream.scalar_type() == y.scalar_type() && upstream.layout() == at::kStrided &&
           upstream.device().is_cpu() && upstream.has_storage() && !upstream._is_zerotensor() &&
           !upstream.key_set().has(c10::DispatchKey::Python) && !upstream.is_neg() && !upstream.is_conj() &&
           y.is_contiguous() && y.numel() == upstream.numel();
}

struct SoftSample : public torch::autograd::Function<SoftSample> {
    static at::Tensor forward(torch::autograd::AutogradContext *context, const at::Tensor &logits,
                              double temperature, int64_t seed, int64_t stream, int64_t position) {
        at::Tensor result = sample(logits, temperature, GS_OUTPUT_SOFT, static_cast<uint64_t>(seed),
                                   static_cast<uint64_t>(stream), static_cast<uint64_t>(position));
        context->save_for_backward({result});
        context->saved_data["temperature"] = temperature;
        return result;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *context,
                                                   torch::autograd::variable_list upstreams) {
        const at::Tensor y = context->get_saved_variables()[0];
        const double temperature = context->saved_data["temperature"].toDouble();
        const at::Tensor &upstream = upstreams[0];
        at::Tensor gradient;
        if (at::GradMode::is_enabled() || !plain(upstream, y)) {
            // Differentiable again (create_graph=True), and batched by vmap: the torch-op formula.
            gradient = y * (upstream - (y * upstream).sum(-1, true)) / temperature;
        } else {
            const at::Tensor g = upstream.contiguous();
            gradient = at::empty_like(y);
            const int64_t count = y.numel();
            const int64_t columns = y.size(-1);
            gs_status status;
            if (y.scalar_type() == at::kFloat) {
                status = library.gradient(y.const_data_ptr<float>(), count, g.const_data_ptr<float>(), g.numel(),
                                          count / columns, columns, static_cast<float>(temperature), GS_OUTPUT_SOFT,
                                          0, gradient.mutable_data_ptr<float>(), count, nullptr, 0);
            } else {
                status = library.gradient_f64(y.const_data_ptr<double>(), count, g.const_data_ptr<double>(), g.numel(),
                                              count / columns, columns, temperature, GS_OUTPUT_SOFT, 0,
                                              gradient.mutable_data_ptr<double>(), count, nullptr, 0);
            }
            check(status);
        }
        return {gradient, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

void require_functions() {
    if (!ready.load(std::memory_order_acquire)) {
        throw pybind11::value_error("gumbel_softmax native node: set_functions was not called");
    }
}

// gumbel_softmax.torch's seed when none is given: what its _draw_seed draws (random_ of an int64
// CPU tensor in 0...2**63 - 2 from `generator`, torch's default CPU generator when none), into this
// thread's reused tensor, made outside inference mode so that it works in and out of it.
uint64_t draw_seed(const std::optional<at::Generator> &generator) {
    thread_local at::Tensor buffer;
    if (!buffer.defined()) {
        c10::InferenceMode outside(false);
        buffer = at::empty({}, at::TensorOptions().dtype(at::kLong).device(at::kCPU));
    }
    buffer.random_(0, INT64_MAX, generator);
    return static_cast<uint64_t>(buffer.item<int64_t>());
}

// The common case of gumbel_softmax.torch.gumbel_softmax, whose caller (_constant_sample) has
// checked everything but the tensor: a plain eager call, a float temperature in the float32
// range and words in 0...2**64 - 1. None when the tensor is not the common case's (C-contiguous
// float32 or float64 on the CPU, strided, not nested, not a negative view, at least one element,
// categories (`dim`) last), before anything is drawn: the caller then runs the Python node's
// checks (which decline it too, or raise as for the Python node). Otherwise the seed (when none is
// given) is drawn from `generator`, and the result is the Python node's: without autograd the
// library's soft or hard sample; with it the soft sample's SoftSample node, and for hard=True the
// one-hot plus the soft sample's straight-through derivatives.
std::optional<at::Tensor> common(const at::Tensor &logits, double temperature, int64_t dim, bool hard,
                                 std::optional<uint64_t> seed, uint64_t stream, uint64_t position,
                                 const std::optional<at::Generator> &generator) {
    require_functions();
    const auto type = logits.scalar_type();
    if ((type != at::kFloat && type != at::kDouble) || logits.layout() != at::kStrided || !logits.device().is_cpu() ||
        logits.is_nested() || logits.dim() == 0 || (dim != -1 && dim != logits.dim() - 1) ||
        !logits.is_contiguous() || logits.is_neg() || logits.numel() == 0) {
        return std::nullopt;
    }
    const uint64_t words = seed ? *seed : draw_seed(generator);
    if (!logits.requires_grad() || !at::GradMode::is_enabled()) {
        return sample(logits, temperature, hard ? GS_OUTPUT_HARD : GS_OUTPUT_SOFT, words, stream, position);
    }
    at::Tensor soft = SoftSample::apply(logits, temperature, static_cast<int64_t>(words),
                                        static_cast<int64_t>(stream), static_cast<int64_t>(position));
    if (!hard) {
        return soft;
    }
    at::Tensor one_hot = sample(logits.detach(), temperature, GS_OUTPUT_HARD, words, stream, position);
    return one_hot + (soft - soft.detach());  // straight-through, as the Python node's composition
}

void set_functions(uintptr_t sample_address, uintptr_t sample_f64_address, uintptr_t gradient_address,
                   uintptr_t gradient_f64_address, uintptr_t message_address) {
    if (!sample_address || !sample_f64_address || !gradient_address || !gradient_f64_address || !message_address) {
        throw pybind11::value_error("gumbel_softmax native node: a function address is NULL");
    }
    library.sample = reinterpret_cast<decltype(&gs_sample)>(sample_address);
    library.sample_f64 = reinterpret_cast<decltype(&gs_sample_f64)>(sample_f64_address);
    library.gradient = reinterpret_cast<decltype(&gs_gradient)>(gradient_address);
    library.gradient_f64 = reinterpret_cast<decltype(&gs_gradient_f64)>(gradient_f64_address);
    library.last_error_message = reinterpret_cast<decltype(&gs_last_error_message)>(message_address);
    ready.store(true, std::memory_order_release);
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, module) {
    module.doc() = "gumbel_softmax.torch's compiled common-case node (python -m gumbel_softmax.torch build-native)";
    // Without the GIL, as the Python node's ctypes calls and torch ops run: the call touches no
    // Python object once its arguments are converted (a Python saved_tensors_hooks or anomaly-mode
    // callback takes the GIL itself), so other Python threads run while it samples or waits for
    // the generator another thread holds.
    module.def("common", &common, "gumbel_softmax.torch's common case, or None for the general path",
               pybind11::call_guard<pybind11::gil_scoped_release>());
    module.def("draw_seed", &draw_seed, "gumbel_softmax.torch's seed draw",
               pybind11::call_guard<pybind11::gil_scoped_release>());
    module.def("set_functions", &set_functions, "the library's gs_sample, gs_sample_f64, gs_gradient, "
               "gs_gradient_f64 and gs_last_error_message addresses");
    module.attr("ABI") = 3;
}
