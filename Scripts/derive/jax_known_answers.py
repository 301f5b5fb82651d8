#!/usr/bin/env python3
"""Known answers from JAX for ThreefryJAXGenerator: writes Tests/golden/jax_vectors.json.

Not run by `make test`. Run it by hand after changing what it records:

    python3 Scripts/derive/jax_known_answers.py            # creates/uses .venv-jax, pip installs jax[cpu]
    python3 Scripts/derive/jax_known_answers.py --no-venv  # use the current interpreter's jax

Everything is computed by JAX itself on the CPU (jax.random.bits, uniform, gumbel, categorical,
split, fold_in, jax.nn.softmax), with `jax_threefry_partitionable` set to True explicitly (its
default since JAX 0.5.0; the default this JAX has is recorded too). The script asserts the facts the
Swift port relies on (the uniform formula over all 2^23 mantissas, the margins of the categorical
cases) and fails loudly when a JAX release changes them.
"""

import os
import subprocess
import sys
import venv

from golden_file import ROOT, golden_path, write_golden

OUTPUT = golden_path("jax_vectors.json")
VENV = os.environ.get("JAX_VENV", os.path.join(ROOT, ".venv-jax"))  # gitignored (.venv*/)


def ensure_jax():
    """Re-runs this script inside a venv holding jax[cpu] unless jax is importable or --no-venv."""
    if "--no-venv" in sys.argv or os.environ.get("JAX_KNOWN_ANSWERS_IN_VENV") == "1":
        return
    try:
        import jax  # noqa: F401

        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {VENV}", file=sys.stderr)
        venv.create(VENV, with_pip=True)
        subprocess.check_call([python, "-m", "pip", "install", "--quiet", "jax[cpu]"])
    env = dict(os.environ, JAX_KNOWN_ANSWERS_IN_VENV="1")
    sys.exit(subprocess.call([python, os.path.abspath(__file__)] + sys.argv[1:], env=env))


ensure_jax()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT_PARTITIONABLE = bool(jax.config.jax_threefry_partitionable)
DEFAULT_X64 = bool(jax.config.jax_enable_x64)
DEFAULT_HIGH_DYNAMIC_RANGE_GUMBEL = bool(jax.config.jax_high_dynamic_range_gumbel)
jax.config.update("jax_threefry_partitionable", True)
jax.config.update("jax_enable_x64", False)

from jax._src.random import core as random_core  # noqa: E402
from jax._src.random.threefry2x32 import threefry2x32_p  # noqa: E402

TINY = np.float32(np.finfo(np.float32).tiny)


def hex32(x):
    return "0x%08x" % int(x)


def f32bits(x):
    return hex32(np.asarray(x, dtype=np.float32).view(np.uint32))


def key_words(key):
    return [hex32(w) for w in np.asarray(jax.random.key_data(key)).ravel()]


def uint64_text(seed):
    """The seed as this package's UInt64: JAX's int64 seed as its two's-complement bit pattern."""
    return str(seed % 2**64)


def exact_gumbel(u):
    u = np.asarray(u, dtype=np.float64)
    return -np.log(-np.log(u))


# --- Keys: PRNGKey(seed) in JAX's default 32-bit mode and with jax_enable_x64. ---

SEEDS = [0, 1, 42, 2**31 - 1, 2**31, 2**32 + 7, 2**40 + 5, 2**63 - 1, -1, -(2**63)]


def keys_section():
    cases = []
    for seed in SEEDS:
        jax.config.update("jax_enable_x64", False)
        x32 = key_words(jax.random.PRNGKey(seed))
        jax.config.update("jax_enable_x64", True)
        x64 = key_words(jax.random.PRNGKey(seed))
        jax.config.update("jax_enable_x64", False)
        cases.append({"seed": str(seed), "seed_uint64": uint64_text(seed), "key_x32": x32, "key_x64": x64})
    return {
        "description": "key_data(PRNGKey(seed)) as [k0, k1]; seed_uint64 is the seed as a UInt64 bit pattern. "
        "key_x32: JAX's default (jax_enable_x64=False) keeps lo32(seed) only: [0, lo32]. "
        "key_x64: with jax_enable_x64=True, [hi32, lo32] of the int64 seed.",
        "cases": cases,
    }


# --- The Threefry-2x32 block function itself (20 rounds). ---

def blocks_section():
    inputs = [
        ((0x00000000, 0x00000000), (0x00000000, 0x00000000)),
        ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF)),
        ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3)),
        ((0x00000000, 0x0000002A), (0x00000001, 0x00000002)),
    ]
    cases = []
    for key, counter in inputs:
        k = [jnp.uint32(w) for w in key]
        c = [jnp.asarray([w], dtype=jnp.uint32) for w in counter]
        out = threefry2x32_p.bind(k[0], k[1], c[0], c[1])
        cases.append({"key": [hex32(w) for w in key], "counter": [hex32(w) for w in counter],
                      "output": [hex32(np.asarray(o)[0]) for o in out]})
    return {"description": "threefry2x32_p(k0, k1, c0, c1) -> (o0, o1): Threefry-2x32, 20 rounds.", "cases": cases}


# --- Streams: bits, uniforms and Gumbel noise for several seeds and shapes. ---

STREAM_CASES = [
    (0, (2,)), (0, (7,)), (0, (33,)), (0, (1000,)), (0, (3, 11)),
    (1, (2,)), (1, (33,)), (1, (8, 125)),
    (42, (7,)), (42, (1000,)), (42, (4, 9)),
    (2**40 + 5, (33,)), (2**40 + 5, (5, 7)),
]


def stream_case(key, shape, seed=None, x64=False, raw_key=None):
    bits = np.asarray(jax.random.bits(key, shape, dtype=jnp.uint32)).ravel()
    uniform = np.asarray(jax.random.uniform(key, shape, dtype=jnp.float32, minval=TINY, maxval=1.0)).ravel()
    gumbel = np.asarray(jax.random.gumbel(key, shape, dtype=jnp.float32)).ravel()
    assert gumbel.dtype == np.float32
    case = {}
    if seed is not None:
        case["seed"] = str(seed)
        case["seed_uint64"] = uint64_text(seed)
        case["enable_x64"] = x64
    case["key"] = key_words(key)
    if raw_key is not None:
        case["derived_from"] = raw_key
    case.update({
        "shape": list(shape),
        "bits": [hex32(b) for b in bits],
        "uniform_bits": [f32bits(u) for u in uniform],
        "gumbel_bits": [f32bits(g) for g in gumbel],
        "gumbel_exact": [float(g) for g in exact_gumbel(uniform)],
    })
    return case


def streams_section():
    cases = [stream_case(jax.random.PRNGKey(seed), shape, seed=seed) for seed, shape in STREAM_CASES]
    # jax_enable_x64=True: the whole 64-bit seed is the key; float32 must then be asked for.
    jax.config.update("jax_enable_x64", True)
    for seed, shape in [(2**40 + 5, (33,)), (-1, (7,))]:
        cases.append(stream_case(jax.random.PRNGKey(seed), shape, seed=seed, x64=True))
    jax.config.update("jax_enable_x64", False)
    # Keys from split and fold_in, for ThreefryJAXGenerator(key:).
    cases.append(stream_case(jax.random.split(jax.random.PRNGKey(42), 3)[2], (9,), raw_key="split(PRNGKey(42), 3)[2]"))
    cases.append(stream_case(jax.random.fold_in(jax.random.PRNGKey(0), 7), (9,), raw_key="fold_in(PRNGKey(0), 7)"))
    return {
        "description": "Row-major flat element i of jax.random.bits(key, shape, uint32) (bits), "
        "jax.random.uniform(key, shape, float32, minval=finfo(float32).tiny, maxval=1) (uniform_bits, float32 "
        "bit patterns) and jax.random.gumbel(key, shape, float32) (gumbel_bits); gumbel_exact is "
        "-log(-log(u)) in float64 of JAX's uniform.",
        "cases": cases,
    }


# --- Words at large flat indices (past 2^32), from the partitionable rule itself. ---

def large_index_section():
    cases = []
    for seed, start, count in [(0, 2**32 - 5, 12), (42, 2**40 + 3, 9), (1, 2**64 - 6, 6), (7, 2**33 - 1, 3)]:
        key = jax.random.PRNGKey(seed)
        k = np.asarray(jax.random.key_data(key))
        idx = [(start + j) % 2**64 for j in range(count)]
        hi = jnp.asarray([i >> 32 for i in idx], dtype=jnp.uint32)
        lo = jnp.asarray([i & 0xFFFFFFFF for i in idx], dtype=jnp.uint32)
        b1, b2 = threefry2x32_p.bind(jnp.uint32(k[0]), jnp.uint32(k[1]), hi, lo)
        words = np.asarray(b1) ^ np.asarray(b2)
        cases.append({"seed": str(seed), "key": key_words(key), "start": str(start),
                      "words": [hex32(w) for w in words]})
    # Consistency with jax.random.bits where JAX can still build the array.
    key = jax.random.PRNGKey(0)
    bits = np.asarray(jax.random.bits(key, (40,), dtype=jnp.uint32))
    k = np.asarray(jax.random.key_data(key))
    b1, b2 = threefry2x32_p.bind(jnp.uint32(k[0]), jnp.uint32(k[1]), jnp.zeros(40, jnp.uint32),
                                 jnp.arange(40, dtype=jnp.uint32))
    assert (bits == (np.asarray(b1) ^ np.asarray(b2))).all(), "partitionable bits rule changed"
    return {
        "description": "Word i = o0 ^ o1 of threefry2x32_p(key, hi32(i), lo32(i)) (the rule of "
        "_threefry_random_bits_partitionable, checked against jax.random.bits for i < 40), for indices "
        "start ..< start + len(words) modulo 2^64.",
        "cases": cases,
    }


# --- The uniform: JAX's formula over every mantissa. ---

def uniform_formula_section():
    """Runs JAX's own _uniform(minval=tiny, maxval=1) on all 2^23 mantissas (bits fed through a patched
    _random_bits) and checks it equals `m == 0 ? tiny : m * 2^-23`."""
    n = 1 << 23
    original = random_core._random_bits

    def fake_bits(key, bit_width, shape):
        assert bit_width == 32 and shape == (n,)
        zero = jax.random.key_data(key)[1]  # 0 at run time, unknown when tracing: no constant folding
        return (lax_iota(n) << 9) + (lax_iota(n) & 0x1FF) + zero

    def lax_iota(size):
        return jax.lax.iota(jnp.uint32, size)

    random_core._random_bits = fake_bits
    try:
        u = np.asarray(random_core._uniform(jax.random.PRNGKey(0), TINY, np.float32(1), (n,), jnp.float32))
    finally:
        random_core._random_bits = original
    m = np.arange(n, dtype=np.uint32)
    expected = np.where(m == 0, TINY, m.astype(np.float32) * np.float32(2.0**-23)).astype(np.float32)
    assert (u.view(np.uint32) == expected.view(np.uint32)).all(), "JAX's uniform formula changed"
    return {
        "description": "JAX's _uniform(minval=tiny, maxval=1, float32) of word x is tiny when x >> 9 == 0, else "
        "(x >> 9) * 2^-23 (maxval - minval rounds to 1, and f + tiny rounds to f for f >= 2^-23). Checked by "
        "this script over all 2^23 mantissas.",
        "checked_mantissas": n,
        "formula": "m = x >> 9; u = m == 0 ? tiny : m * 2^-23",
    }


# --- Gumbel-Softmax and categorical. ---

def softmax_batches_section():
    worked = jax.nn.softmax((jnp.zeros(2, jnp.float32) + jax.random.gumbel(jax.random.PRNGKey(0), (2,))) / 1.0)
    rng = np.random.default_rng(20260101)
    batches = []
    for seed, shape, temperature in [(0, (1, 2), 1.0), (1, (4, 5), 0.5), (42, (3, 17), 2.0), (7, (2, 40), 0.25)]:
        if seed == 0:
            logits = np.zeros(shape, np.float32)
        else:
            logits = (rng.standard_normal(shape) * 2).astype(np.float32)
        key = jax.random.PRNGKey(seed)
        g = jax.random.gumbel(key, shape, dtype=jnp.float32)
        y = np.asarray(jax.nn.softmax((jnp.asarray(logits) + g) / temperature, axis=-1))
        batches.append({"seed": str(seed), "key": key_words(key), "shape": list(shape),
                        "temperature": temperature, "logits": [float(v) for v in logits.ravel()],
                        "soft": [float(v) for v in y.ravel()]})
    return {
        "worked_example": {
            "expression": "jax.nn.softmax((jnp.zeros(2) + jax.random.gumbel(jax.random.PRNGKey(0), (2,))) / 1.0)",
            "seed": "0", "logits": [0.0, 0.0], "temperature": 1.0,
            "soft": [float(v) for v in np.asarray(worked)],
        },
        "softmax_batches": {
            "description": "jax.nn.softmax((logits + jax.random.gumbel(PRNGKey(seed), shape, float32)) / "
            "temperature, axis=-1), row-major [B, K].",
            "cases": batches,
        },
    }


def categorical_section():
    rng = np.random.default_rng(7)
    cases = []
    for seed, shape in [(0, (6, 4)), (1, (3, 10)), (42, (5, 33)), (2**40 + 5, (8, 3)), (123, (1, 1000))]:
        logits = (rng.standard_normal(shape) * 1.5).astype(np.float32)
        key = jax.random.PRNGKey(seed)
        indices = np.asarray(jax.random.categorical(key, jnp.asarray(logits), axis=-1))
        # The Swift noise differs from JAX's by about an ulp: make sure no row is a near tie.
        z = np.asarray(jax.random.gumbel(key, shape, dtype=jnp.float32)) + logits
        assert (np.argmax(z, axis=-1) == indices).all()
        top2 = np.sort(z, axis=-1)[:, -2:] if shape[1] > 1 else None
        if top2 is not None:
            margin = top2[:, 1] - top2[:, 0]
            assert (margin > 1e-4 * np.maximum(1, np.abs(top2[:, 1]))).all(), f"near tie for seed {seed}"
        cases.append({"seed": str(seed), "seed_uint64": uint64_text(seed), "key": key_words(key),
                      "shape": list(shape), "logits": [float(v) for v in logits.ravel()],
                      "indices": [int(i) for i in indices]})
    return {
        "description": "jax.random.categorical(PRNGKey(seed), logits, axis=-1) for row-major [B, K] float32 logits "
        "(Gumbel-max: argmax(gumbel(key, shape) + logits)); no row has a near tie.",
        "cases": cases,
    }


def main():
    import jaxlib

    result = {
        "generator": "Scripts/derive/jax_known_answers.py",
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
        "numpy_version": np.__version__,
        "backend": jax.default_backend(),
        "config": {
            "jax_threefry_partitionable": True,
            "jax_threefry_partitionable_default": DEFAULT_PARTITIONABLE,
            "jax_enable_x64": False,
            "jax_enable_x64_default": DEFAULT_X64,
            "jax_high_dynamic_range_gumbel_default": DEFAULT_HIGH_DYNAMIC_RANGE_GUMBEL,
            "jax_default_prng_impl": str(jax.config.jax_default_prng_impl),
        },
        "keys": keys_section(),
        "threefry2x32_blocks": blocks_section(),
        "streams": streams_section(),
        "large_index_words": large_index_section(),
        "uniform_formula": uniform_formula_section(),
        "categorical": categorical_section(),
    }
    result.update(softmax_batches_section())
    write_golden(OUTPUT, result, jax.__version__)


if __name__ == "__main__":
    main()
