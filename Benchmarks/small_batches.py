"""Per-call cost on small batches (issue 26): the numpy API, the raw C call through ctypes, the
PyTorch adapter and the JAX adapter, each beside the framework's own call on the same shape.

    GUMBEL_SOFTMAX_LIB=.build-release-avx2/release/libgumbelsoftmax.so \\
        python Benchmarks/small_batches.py [--samples 2000] [--only numpy torch jax]

Each row's time is the median over ``--samples`` timings of ``--inner`` back-to-back calls (the
mean of one block), after a warm-up; the ratio is ours over the framework's own. Frameworks that
are not installed are left out. Rows:

- ``gs_sample`` through ctypes, ``[1, 10]``, ``[32, 10]``, ``[256, 10]`` (the library's own C cost
  plus ctypes' argument conversion; no Python argument handling).
- ``gumbel_softmax.sample`` at T = 0.5 on the same shapes, and on ``[1024, 1024]`` in ns/element.
- ``gumbel_softmax.torch.gumbel_softmax`` beside ``torch.nn.functional.gumbel_softmax`` on
  ``[32, 10]`` and ``[256, 10]``: the forward alone, and the forward plus ``backward()``, ours
  and torch's blocks interleaved; each the better of one torch thread and torch's default. Ours
  with the common case's Python node, and with its compiled node when built (``python -m
  gumbel_softmax.torch build-native``; the rows marked "compiled node").
  ``--torch-breakdown`` also prints the parts of the adapter's ``[32, 10]`` forward + backward
  beside the autograd machinery any custom operator pays.
- ``gumbel_softmax.jax.gumbel_softmax`` under ``jax.jit`` beside ``jax.jit`` of
  ``softmax((x + jax.random.gumbel(key, x.shape)) / t)`` on ``[32, 10]`` and ``[256, 10]``, and on
  ``[1024, 1024]`` in ns/element beside the numpy API's (its default Philox stream, and JAX's
  stream through ``key=``, the words the adapter draws), with the backend the package picks.

No timing is asserted: python/tests/test_small_batches.py runs this with a few samples as a smoke
test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:  # the installed package (a wheel's own library), else the checkout's python/
    import gumbel_softmax
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
    import gumbel_softmax

SMALL_SHAPES = ((1, 10), (32, 10), (256, 10))
LARGE_SHAPE = (1024, 1024)
TEMPERATURE = 0.5
FRAMEWORKS = ("c", "numpy", "torch", "jax")


class Timer:
    """Medians of ``samples`` blocks of ``inner`` calls, in seconds per call."""

    def __init__(self, samples: int, inner: int, warmup: int):
        self.samples, self.inner, self.warmup = samples, inner, warmup

    def median(self, call, inner: int | None = None, samples: int | None = None) -> float:
        inner = self.inner if inner is None else inner
        samples = self.samples if samples is None else samples
        for _ in range(self.warmup):
            call()
        clock = time.perf_counter
        times = []
        for _ in range(samples):
            start = clock()
            for _ in range(inner):
                call()
            times.append((clock() - start) / inner)
        return statistics.median(times)

    def interleaved(self, calls: dict, setups: dict | None = None) -> dict:
        """The median of each call's blocks, the calls' blocks taken in turn (A B C A B C ...), so
        that a change in the machine's load reaches every call alike. ``setups[name]()``, when
        given, runs (untimed) before each of that call's blocks."""
        setups = setups or {}
        nothing = lambda: None  # noqa: E731
        for name, call in calls.items():
            setups.get(name, nothing)()
            for _ in range(self.warmup):
                call()
        clock = time.perf_counter
        times = {name: [] for name in calls}
        for _ in range(self.samples):
            for name, call in calls.items():
                setups.get(name, nothing)()
                start = clock()
                for _ in range(self.inner):
                    call()
                times[name].append((clock() - start) / self.inner)
        return {name: statistics.median(values) for name, values in times.items()}


def shape_text(shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def logits_of(shape) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, call: str, ours: float, own_name: str = "", own: float | None = None, unit: str = "us"):
        scale, suffix = (1e6, " µs") if unit == "us" else (1e9, " ns/element")
        ours_text = f"{ours * scale:.2f}{suffix}"
        if own is None:
            self.rows.append((call, ours_text, own_name or "—", "—"))
        else:
            own_text = f"{own_name} {own * scale:.2f}{suffix}"
            self.rows.append((call, ours_text, own_text, f"{ours / own:.2f}x"))
        print(f"  {call}: {ours_text}" + ("" if own is None else f" | {own_text} | {ours / own:.2f}x"),
              file=sys.stderr, flush=True)

    def markdown(self) -> str:
        lines = ["| call | ours | the framework's own | ratio |", "|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines)


def c_rows(table: Table, timer: Timer) -> None:
    library = gumbel_softmax._library.load()
    function = library.gs_sample
    for shape in SMALL_SHAPES:
        x = logits_of(shape)
        out = np.empty_like(x)
        rows, columns = shape
        arguments = (x.ctypes.data, x.size, rows, columns, TEMPERATURE, 0, 1, 0, 0, 0, out.ctypes.data, out.size)
        reference = gumbel_softmax.sample(x, temperature=TEMPERATURE, seed=1)
        assert function(*arguments) == 0 and np.array_equal(out, reference)
        table.add(f"`gs_sample` through ctypes `{shape_text(shape)}`", timer.median(lambda: function(*arguments)))


def numpy_rows(table: Table, timer: Timer) -> float:
    sample = gumbel_softmax.sample
    for shape in SMALL_SHAPES:
        x = logits_of(shape)
        table.add(
            f"`gumbel_softmax.sample` `{shape_text(shape)}`, T={TEMPERATURE}",
            timer.median(lambda: sample(x, temperature=TEMPERATURE, seed=1)),
        )
    x = logits_of(LARGE_SHAPE)
    per_element = timer.median(lambda: sample(x, temperature=TEMPERATURE, seed=1), inner=1,
                               samples=max(3, timer.samples // 50)) / x.size
    table.add(f"`gumbel_softmax.sample` `{shape_text(LARGE_SHAPE)}`", per_element, unit="ns")
    return per_element


def torch_rows(table: Table, timer: Timer) -> None:
    import torch
    import torch.nn.functional as F

    import gumbel_softmax.torch as gst
    from gumbel_softmax.torch import gumbel_softmax as ours

    # The adapter's common case with its Python node, and with its compiled node when built
    # (`python -m gumbel_softmax.torch build-native`): each block sets the node it times.
    node_setups = node_choices(gst)
    default_threads = torch.get_num_threads()
    for shape in SMALL_SHAPES[1:]:
        x = torch.from_numpy(logits_of(shape))
        leaf = x.clone().requires_grad_(True)
        upstream = torch.from_numpy(logits_of(shape)[::-1].copy())
        calls, setups = {}, {}
        for name, function in [(node, ours) for node in node_setups] + [("own", F.gumbel_softmax)]:
            calls["forward", name] = lambda function=function: function(x, tau=TEMPERATURE)
            calls["backward", name] = lambda function=function: forward_backward(function, leaf, upstream)
            if name in node_setups:
                setups["forward", name] = setups["backward", name] = node_setups[name]
        # Ours and F's blocks interleaved; each the better of one torch thread and torch's default
        # (its thread pool spins at barriers, and on a busy machine one thread can be much faster).
        best = {}
        for threads in sorted({1, default_threads}):
            torch.set_num_threads(threads)
            for key, seconds in timer.interleaved(calls, setups).items():
                best[key] = min(seconds, best.get(key, seconds))
        torch.set_num_threads(default_threads)
        restore(node_setups)
        for node in node_setups:
            label = "" if node == NODES[0] else ", compiled node"
            table.add(f"`gumbel_softmax.torch.gumbel_softmax` `{shape_text(shape)}` forward{label}",
                      best["forward", node], "`F.gumbel_softmax`", best["forward", "own"])
            table.add(f"same, forward + `backward()` `{shape_text(shape)}`{label}",
                      best["backward", node], "`F.gumbel_softmax`", best["backward", "own"])


NODES = ("python node", "compiled node")


def node_choices(gst) -> dict:
    """``{node: setup}``: the setup makes the adapter's common case use that node. The compiled node
    is left out (with a note) when it is not built for this torch or is turned off."""
    native = gst._native_node()
    choices = {NODES[0]: lambda: setattr(gst, "_native", None)}
    if native is None:
        print("the compiled torch node is not built (python -m gumbel_softmax.torch build-native) or is "
              "turned off: its rows are left out", file=sys.stderr)
    else:
        choices[NODES[1]] = lambda: setattr(gst, "_native", native)
    return choices


def restore(node_setups: dict) -> None:
    """Leaves the adapter as it was: the compiled node when it is built and on."""
    list(node_setups.values())[-1]()


def forward_backward(function, leaf, upstream) -> None:
    function(leaf, tau=TEMPERATURE).backward(upstream)
    leaf.grad = None


def torch_breakdown(timer: Timer) -> str:
    """Where the adapter's forward + backward on ``[32, 10]`` spends its time, beside the autograd
    machinery that any custom operator pays (and ``F.gumbel_softmax`` too): every part timed in
    the same interleaved run, one torch thread."""
    import torch
    import torch.nn.functional as F

    import gumbel_softmax.torch as gst

    class NoOp(torch.autograd.Function):
        """The cheapest custom autograd node: a new tensor forward, the upstream gradient backward."""

        @staticmethod
        def forward(ctx, logits):
            return torch.empty_like(logits)

        @staticmethod
        def backward(ctx, upstream):
            return upstream

    torch.set_num_threads(1)
    shape = SMALL_SHAPES[1]
    x = torch.from_numpy(logits_of(shape))
    leaf = x.clone().requires_grad_(True)
    upstream = torch.from_numpy(logits_of(shape)[::-1].copy())
    out = torch.empty_like(x)
    count, columns = x.numel(), shape[-1]
    library = gumbel_softmax._library.load()
    engine = torch.autograd.Variable._execution_engine

    def engine_only():
        engine.run_backward((NoOp.apply(leaf),), (upstream,), False, False, (), True, True)
        leaf.grad = None

    node_setups = node_choices(gst)
    calls = {"F.gumbel_softmax forward + backward": lambda: forward_backward(F.gumbel_softmax, leaf, upstream)}
    setups = {}
    for node, setup in node_setups.items():
        calls[f"ours forward + backward ({node})"] = lambda: forward_backward(gst.gumbel_softmax, leaf, upstream)
        calls[f"ours forward, input requires grad ({node})"] = lambda: gst.gumbel_softmax(leaf, TEMPERATURE)
        setups[f"ours forward + backward ({node})"] = setups[f"ours forward, input requires grad ({node})"] = setup
    if NODES[1] in node_setups:
        native = gst._native_node()
        calls["compiled node's call alone + y.backward(g) (no Python checks, seed given)"] = lambda: forward_backward(
            lambda logits, tau: native.common(logits, tau, -1, False, 1, 0, 0, None), leaf, upstream)
        calls["compiled node's call alone (no Python checks, seed given)"] = lambda: native.common(
            leaf, TEMPERATURE, -1, False, 1, 0, 0, None)
    calls |= {
        "no-op autograd.Function forward + y.backward(g)": lambda: forward_backward(
            lambda logits, tau: NoOp.apply(logits), leaf, upstream),
        "no-op autograd.Function forward + engine.run_backward": engine_only,
        "no-op autograd.Function forward": lambda: NoOp.apply(leaf),
        "seed draw (random_ into a reused tensor, .item())": lambda: gst._draw_seed(None),
        "gs_sample through ctypes": lambda: library.gs_sample(
            x.data_ptr(), count, count // columns, columns, TEMPERATURE, 0, 1, 0, 0, 0, out.data_ptr(), count),
        "gs_gradient through ctypes": lambda: library.gs_gradient(
            x.data_ptr(), count, upstream.data_ptr(), count, count // columns, columns, TEMPERATURE, 0, 0,
            out.data_ptr(), count, None, 0),
        "torch.empty_like": lambda: torch.empty_like(x),
        "ctypes call of gs_cpu_supported (no arguments)": library.gs_cpu_supported,
    }
    medians = timer.interleaved(calls, setups)
    restore(node_setups)
    lines = [f"| part, `{shape_text(shape)}`, one torch thread | µs |", "|---|---|"]
    lines += [f"| {name} | {seconds * 1e6:.2f} |" for name, seconds in medians.items()]
    return "\n".join(lines)


def jax_rows(table: Table, timer: Timer, numpy_per_element: float | None) -> None:
    import jax

    import gumbel_softmax.jax as gsj

    backend = gsj.default_backend()

    @jax.jit
    def ours(key, x):
        return gsj.gumbel_softmax(key, x, TEMPERATURE)

    @jax.jit
    def own(key, x):
        return jax.nn.softmax((x + jax.random.gumbel(key, x.shape)) / TEMPERATURE)

    key = jax.random.key(0)
    for shape in SMALL_SHAPES[1:]:
        x = jax.numpy.asarray(logits_of(shape))
        table.add(
            f"`gumbel_softmax.jax.gumbel_softmax` under `jax.jit` `{shape_text(shape)}` ({backend})",
            timer.median(lambda: ours(key, x).block_until_ready()),
            "`jax.jit` of `softmax((x + gumbel) / t)`", timer.median(lambda: own(key, x).block_until_ready()),
        )
    x = jax.numpy.asarray(logits_of(LARGE_SHAPE))
    samples = max(3, timer.samples // 50)
    per_element = timer.median(lambda: ours(key, x).block_until_ready(), inner=1, samples=samples) / x.size
    host = np.asarray(x)
    if numpy_per_element is None:
        numpy_per_element = timer.median(
            lambda: gumbel_softmax.sample(host, temperature=TEMPERATURE, seed=1), inner=1, samples=samples
        ) / x.size
    table.add(f"JAX adapter `{shape_text(LARGE_SHAPE)}` ({backend})", per_element, "numpy API", numpy_per_element,
              unit="ns")
    # The same stream as the adapter (JAX's threefry): the numpy API's cost for these words.
    words = np.asarray(jax.random.key_data(key))
    same_stream = timer.median(
        lambda: gumbel_softmax.sample(host, temperature=TEMPERATURE, key=words), inner=1, samples=samples
    ) / x.size
    table.add(f"same, against the numpy API's `key=` (JAX's stream)", per_element, "numpy API `key=`", same_stream,
              unit="ns")
    own_per_element = timer.median(lambda: own(key, x).block_until_ready(), inner=1, samples=samples) / x.size
    table.add(f"JAX's own `{shape_text(LARGE_SHAPE)}`", own_per_element, unit="ns")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000, help="timed blocks per row (default 2000)")
    parser.add_argument("--inner", type=int, default=20, help="calls per timed block (default 20)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls before each row (default 200)")
    parser.add_argument("--only", nargs="+", choices=FRAMEWORKS, default=list(FRAMEWORKS))
    parser.add_argument("--torch-breakdown", action="store_true",
                        help="also print where the torch adapter's [32, 10] forward + backward spends its time")
    arguments = parser.parse_args(argv)
    timer = Timer(arguments.samples, arguments.inner, arguments.warmup)
    table = Table()
    numpy_per_element = None
    if "c" in arguments.only:
        c_rows(table, timer)
    if "numpy" in arguments.only:
        numpy_per_element = numpy_rows(table, timer)
    for name, rows in (("torch", torch_rows), ("jax", jax_rows)):
        if name not in arguments.only:
            continue
        try:
            __import__(name)
        except ImportError:
            print(f"{name} is not installed: its rows are left out", file=sys.stderr)
            continue
        if name == "jax":
            jax_rows(table, timer, numpy_per_element)
        else:
            rows(table, timer)
    print(table.markdown())
    if arguments.torch_breakdown:
        print()
        print(torch_breakdown(timer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
