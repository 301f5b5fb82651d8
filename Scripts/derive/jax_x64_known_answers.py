"""Known answers from JAX in x64 mode for ThreefryJAXGenerator's float64 path.

Writes Tests/golden/jax_x64_vectors.json: with `jax_enable_x64=True` (and the default
`jax_threefry_partitionable=True`), JAX's float64 uniforms, `jax.random.gumbel(key, shape,
jnp.float64)`, `jax.nn.softmax((logits + gumbel) / temperature)`, `jax.random.categorical(key,
logits)` and the indices of `jax.lax.top_k(logits + gumbel, k)` for float64 logits.
Run with a Python that has jax: `python Scripts/derive/jax_x64_known_answers.py`.
"""

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_threefry_partitionable", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from golden_file import golden_path, write_golden  # noqa: E402

OUTPUT = golden_path("jax_x64_vectors.json")


def key_words(key):
    return ["0x%08x" % int(w) for w in np.asarray(jax.random.key_data(key)).ravel()]


def main():
    rng = np.random.default_rng(20261207)
    cases = []
    for seed, shape, temperature in [(0, (1, 2), 1.0), (1, (4, 5), 0.5), (42, (3, 17), 2.0),
                                     (2**40 + 5, (2, 40), 0.25), (7, (1, 300), 1.0)]:
        key = jax.random.PRNGKey(seed)
        logits = rng.standard_normal(shape) * 2
        u = np.asarray(jax.random.uniform(key, shape, jnp.float64, minval=jnp.finfo(jnp.float64).tiny, maxval=1.0))
        g = np.asarray(jax.random.gumbel(key, shape, jnp.float64))
        y = np.asarray(jax.nn.softmax((jnp.asarray(logits) + g) / temperature, axis=-1))
        categorical = np.asarray(jax.random.categorical(key, jnp.asarray(logits)))
        k = min(3, shape[-1])
        top = np.asarray(jax.lax.top_k(jnp.asarray(logits) + g, k)[1])
        assert u.dtype == np.float64 and g.dtype == np.float64 and y.dtype == np.float64
        cases.append({"seed": str(seed), "key": key_words(key), "shape": list(shape), "temperature": temperature,
                      "uniform_bits": ["0x%016x" % int(b) for b in u.view(np.uint64).ravel()],
                      "gumbel": [float(v) for v in g.ravel()],
                      "logits": [float(v) for v in logits.ravel()],
                      "soft": [float(v) for v in y.ravel()],
                      "categorical": [int(v) for v in categorical.ravel()],
                      "k": k, "top_k": [int(v) for v in top.ravel()]})
    result = {
        "generator": "Scripts/derive/jax_x64_known_answers.py",
        "jax_version": jax.__version__,
        "config": {"jax_enable_x64": True, "jax_threefry_partitionable": True},
        "description": "u = jax.random.uniform(key, shape, float64, minval=tiny, maxval=1) (bit patterns), "
        "g = jax.random.gumbel(key, shape, float64), soft = jax.nn.softmax((logits + g) / temperature, -1), "
        "key = jax.random.PRNGKey(seed), row-major [B, K]; categorical = jax.random.categorical(key, logits), "
        "top_k = the indices of jax.lax.top_k(logits + g, k), row-major [B, k].",
        "cases": cases,
    }
    write_golden(OUTPUT, result, jax.__version__)


if __name__ == "__main__":
    main()
