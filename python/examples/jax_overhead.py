"""Times gumbel_softmax.jax against the plain JAX expression under jax.jit: the forward pass, and
the forward plus backward (jax.value_and_grad w.r.t. the logits), for each way of calling the
library (the XLA FFI handler, `make jax-ffi`, and jax.pure_callback) and, for comparison, with
the forward left to JAX (`backend="jax"`; the derivatives are XLA operations in every case); best
of several repeats.

    python3 python/examples/jax_overhead.py --shapes 256x1000 4096x100 --repeats 20
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
import time
from pathlib import Path

PACKAGE_DIRECTORY = Path(__file__).resolve().parent.parent
if str(PACKAGE_DIRECTORY) not in sys.path:
    sys.path.insert(0, str(PACKAGE_DIRECTORY))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import gumbel_softmax.jax as gsj  # noqa: E402
from gumbel_softmax.jax import gumbel_softmax  # noqa: E402


def plain(key, logits, tau):
    return jax.nn.softmax((logits + jax.random.gumbel(key, logits.shape)) / tau)


def best_seconds(function, *arguments, repeats: int) -> float:
    jax.block_until_ready(function(*arguments))  # compile
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(function(*arguments))
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=["32x10", "256x1000", "4096x100", "64x32000"])
    parser.add_argument("--repeats", type=int, default=20)
    arguments = parser.parse_args(argv)
    key = jax.random.key(0)
    backends = ["ffi", "callback"] if gsj.default_backend() == "ffi" else ["callback"]
    # (label, backend): the library's forward through each backend, then JAX's forward.
    setups = [(f"library forward, {b}", b) for b in backends] + [("JAX forward", "jax")]
    print(f"{'shape':<10}{'pass':<16}{'setup':<34}{'plain JAX':>12}{'ours':>12}{'ratio':>8}")
    for text in arguments.shapes:
        shape = tuple(int(n) for n in text.split("x"))
        logits = jax.random.normal(jax.random.key(1), shape)
        weights = jax.random.normal(jax.random.key(2), shape)
        passes = [
            ("forward", lambda f: jax.jit(lambda l: f(key, l, 0.5))),
            ("fwd+bwd", lambda f: jax.jit(jax.value_and_grad(lambda l: jnp.sum(weights * f(key, l, 0.5))))),
        ]
        for pass_label, make in passes:
            theirs = best_seconds(make(plain), logits, repeats=arguments.repeats)
            for label, backend in setups:
                ours = best_seconds(make(partial(gumbel_softmax, backend=backend)), logits, repeats=arguments.repeats)
                print(
                    f"{text:<10}{pass_label:<16}{label:<34}{theirs * 1e3:>10.3f}ms{ours * 1e3:>10.3f}ms"
                    f"{ours / theirs:>8.2f}"
                )


if __name__ == "__main__":
    main()
