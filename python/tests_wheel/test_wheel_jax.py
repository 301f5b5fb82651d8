"""The wheel of `make wheel` under JAX (`make test-wheel` puts it on PYTHONPATH of a Python with
jax): a plain install runs the forward pass of gumbel_softmax.jax through the XLA FFI handler it
carries, beside the tier's library it loaded, with the same bits as the callback path (the
derivatives are JAX operations on either)."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import gumbel_softmax as gs
import gumbel_softmax.jax as gsj


def test_the_ffi_handlers_of_the_loaded_tier_are_used_by_default():
    assert "_tiers" in Path(gs.version_info().library).parts, gs.version_info()
    assert gsj.default_backend() == "ffi"
    logits = jnp.asarray(np.random.default_rng(0).normal(size=(3, 5)), jnp.float32)
    key = jax.random.key(11)

    def loss(x, tau, backend="auto"):
        return (gsj.gumbel_softmax(key, x, tau, backend=backend) * jnp.arange(5.0)).sum()

    ffi_value, ffi_gradient = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(logits, 0.7)
    mapped = {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line}
    handlers = Path(gs.version_info().library).with_name("libgumbelsoftmax_jax.so")
    assert [path for path in mapped if path.endswith("/libgumbelsoftmax_jax.so")] == [str(handlers)], mapped
    on_callback = jax.jit(jax.value_and_grad(lambda x, tau: loss(x, tau, "callback"), argnums=(0, 1)))
    callback_value, callback_gradient = on_callback(logits, 0.7)
    assert np.array_equal(ffi_value, callback_value)
    for ffi, callback in zip(ffi_gradient, callback_gradient):
        assert np.array_equal(ffi, callback)
