#!/usr/bin/env python3
"""The benchmark entry point: the library against NumPy, JAX and PyTorch, before/after runs, and
the kernel harness. Standard library only, except `peers`, which runs in an interpreter that has
NumPy (and JAX and PyTorch when installed).

  bench.py run --gumbel LABEL=PATH ... [--peer-python PY] [--temperatures 0.5,0.7,1,2]
               [--write docs/benchmarks.md --readme README.md --command "make bench"]
      (`make bench`, `make bench-installed`) Times each `gumbel` binary with `gumbel bench --json`
      (all cores) and the peers on the standard shapes at each temperature, shape by shape in
      rounds (every binary and the peers in turn, so that a slow spell of a shared machine hits
      all of them), and prints one table per temperature: each column's best round in ns per
      element (a round's time is the median of its calls; the peers run in a new process each
      round) and, per binary, the ratio of the fastest peer's time to ours. float32 at each of
      --temperatures, then float64 (`gumbel bench --dtype float64` against NumPy and PyTorch on
      float64 arrays) at each of --float64-temperatures (default 0.5). --write replaces the
      measured section of docs/benchmarks.md with this run, --readme the README's summary table.
  bench.py peers [--shapes ...] [--temperatures ...] [--seconds S] [--dtype float32|float64]
      One JSON line per (peer, shape, temperature): NumPy, JAX (jit) and PyTorch's CPU
      F.gumbel_softmax, each the way its users call it (median of repeated calls after warm-up,
      outputs materialised). NumPy's ufuncs use one thread; JAX uses all cores; PyTorch gets the
      better of one thread and all cores. --dtype float64 times NumPy and PyTorch on float64
      logits (JAX needs its process-wide jax_enable_x64 for float64 and is left out).
  bench.py compare LABEL=PATH LABEL=PATH ... [--rounds 5] [--temperature T] [--output soft]
      (`make bench-compare`) Before/after: the binaries shape by shape in rotating order, with one
      thread and all cores; medians and each binary's time relative to the first (below 1 is
      faster).
  bench.py small [--peer-python PY] [--samples N] [--write docs/benchmarks.md --command "make bench-small"]
      (`make bench-small`, run by `make bench`) The per-call cost of small batches (issue 26):
      gs_sample through ctypes, the NumPy API, the PyTorch and JAX adapters beside
      F.gumbel_softmax and JAX's own jitted expression (Benchmarks/small_batches.py, run in the
      peer interpreter with the library GUMBEL_SOFTMAX_LIB names). --write replaces the small-calls
      section of docs/benchmarks.md with this run.
  bench.py kernel --harness PATH [--label L] [--seconds S]
      (`make bench-kernel`) Runs the nested package's GumbelBenchmarks (Benchmarks/Sources):
      sample and noise alone with one thread and all cores, a memory copy of the same size (the
      memory roof) and the peak resident memory of the largest shape, and prints them.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STANDARD = "1x1000000,1x16000000,64x32000,1024x1024,4096x256,65536x16,256x128256,8x4000000"
TEMPERATURES = "0.5,0.7,1,2"
PEERS = ("numpy", "jax", "torch")
BEGIN, END = "<!-- bench: begin -->", "<!-- bench: end -->"
SMALL_BEGIN, SMALL_END = "<!-- bench-small: begin -->", "<!-- bench-small: end -->"


def shapes_of(text):
    return [tuple(int(v) for v in shape.split("x")) for shape in text.split(",")]


def shape_name(shape):
    return f"[{shape[0]}, {shape[1]}]"


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def labelled(entries):
    pairs = []
    for entry in entries:
        label, separator, path = entry.partition("=")
        if not separator or not label or not path:
            sys.exit(f"bench.py: '{entry}' is not LABEL=PATH")
        if not os.access(path, os.X_OK):
            sys.exit(f"bench.py: {label}: {path} is not an executable (build it first)")
        pairs.append((label, path))
    return pairs


def gumbel_bench(path, shape, threads, repeats, temperature, output="soft", dtype="float32"):
    """ns per element of one `gumbel bench --json` call (median of `repeats` after its warm-up)."""
    command = [path, "bench", "--shape", f"{shape[0]}x{shape[1]}", "--json", "--repeats", str(repeats),
               "--temperature", str(temperature), "--output", output, "--dtype", dtype]
    if threads:
        command += ["--threads", str(threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ns_per_element"]


# MARK: peers


def median_ns(fn, seconds):
    fn()
    fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < 5 or (time.perf_counter() - start < seconds and len(samples) < 200):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return samples[len(samples) // 2]


def numpy_peer(logits, temperature):
    import numpy as np

    rng = np.random.Generator(np.random.Philox(7))
    out = np.empty_like(logits)

    def run():
        # Uniforms of the logits' dtype, then -log(-log(u)) in place: the usual NumPy Gumbel-Softmax.
        rng.random(out=out, dtype=out.dtype)
        np.log(out, out=out)
        np.negative(out, out=out)
        np.log(out, out=out)
        np.subtract(logits, out, out=out)
        np.multiply(out, 1.0 / temperature, out=out)
        np.subtract(out, out.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        np.divide(out, out.sum(axis=1, keepdims=True), out=out)
        return out

    return run


def jax_peer(logits, temperature):
    import jax
    import jax.numpy as jnp

    @jax.jit
    def sample(key, x):
        g = jax.random.gumbel(key, x.shape, dtype=jnp.float32)
        return jax.nn.softmax((x + g) / temperature, axis=-1)

    x = jnp.asarray(logits)
    key = jax.random.PRNGKey(7)
    return lambda: sample(key, x).block_until_ready()


def torch_peer(logits, temperature, threads):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    x = torch.from_numpy(logits)
    torch.manual_seed(7)
    return lambda: F.gumbel_softmax(x, tau=temperature, hard=False, dim=-1)


def peers_command(args):
    import numpy as np

    peers = [("numpy", numpy_peer, np.__version__)]
    for name, make in (("jax", jax_peer), ("torch", torch_peer)):
        try:
            module = __import__(name)
        except ImportError:
            continue
        peers.append((name, make, module.__version__))
    if args.dtype == "float64":
        # jax.random needs jax_enable_x64 for float64, a process-wide switch: float64 compares NumPy and PyTorch.
        peers = [peer for peer in peers if peer[0] != "jax"]
    for b, k in shapes_of(args.shapes):
        logits = np.random.default_rng(1).uniform(-4, 4, size=(b, k)).astype(args.dtype)
        for temperature in (float(t) for t in args.temperatures.split(",")):
            for name, make, version in peers:
                record = {"peer": name, "version": version, "shape": [b, k], "temperature": temperature}
                try:
                    if name == "torch":
                        # PyTorch's OpenMP threads spin at barriers; on a busy machine one thread can be
                        # faster than all cores, so it gets the better of the two.
                        cores = os.cpu_count() or 1
                        ns, threads = min((median_ns(make(logits, temperature, t), args.seconds), t)
                                          for t in sorted({1, cores}))
                    else:
                        ns = median_ns(make(logits, temperature), args.seconds)
                        threads = 1 if name == "numpy" else (os.cpu_count() or 1)
                except Exception as error:  # a peer that cannot run a shape (e.g. out of memory)
                    record["error"] = str(error)
                else:
                    record["threads"] = threads
                    record["ns_per_element"] = ns / (b * k)
                print(json.dumps(record), flush=True)


def peer_timings(python, shape, temperatures, seconds, dtype="float32"):
    """{(peer, temperature): ns per element} of one `peers` run for one shape."""
    command = [python, os.path.abspath(__file__), "peers", "--shapes", f"{shape[0]}x{shape[1]}",
               "--temperatures", ",".join(str(t) for t in temperatures), "--seconds", str(seconds),
               "--dtype", dtype]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    timings, versions = {}, {}
    for line in output.splitlines():
        record = json.loads(line)
        versions[record["peer"]] = record["version"]
        if "ns_per_element" in record:
            timings[(record["peer"], record["temperature"])] = record["ns_per_element"]
    return timings, versions


# MARK: run


def run_command(args):
    binaries = labelled(args.gumbel)
    # (dtype, temperatures) pairs: every table is one dtype at one temperature.
    dtypes = [(dtype, [float(t) for t in text.split(",")])
              for dtype, text in (("float32", args.temperatures), ("float64", args.float64_temperatures)) if text]
    # (temperature, dtype) per table, float32 first.
    cases = [(t, dtype) for dtype, temperatures in dtypes for t in temperatures]
    shapes = shapes_of(args.shapes)
    load_before = os.getloadavg()
    # samples[(label or peer, shape, (temperature, dtype))] = [ns per element, one per round]
    samples = {}
    versions = {}
    for shape in shapes:
        print(f"bench: {shape_name(shape)}", file=sys.stderr, flush=True)
        for _ in range(args.rounds):
            for case in cases:
                for label, path in binaries:
                    ns = gumbel_bench(path, shape, 0, args.repeats, case[0], dtype=case[1])
                    samples.setdefault((label, shape, case), []).append(ns)
            for dtype, temperatures in dtypes:
                timings, found = peer_timings(args.peer_python, shape, temperatures, args.seconds, dtype)
                versions.update(found)
                for (peer, temperature), ns in timings.items():
                    samples.setdefault((peer, shape, (temperature, dtype)), []).append(ns)
    load_after = os.getloadavg()
    # Each column's best round, ours and the peers' alike: JAX's time moves between processes by
    # a factor of up to 3 (its [4096, 256] at 1.8-2.2 ns in some, 4.3-6.2 in others, measured
    # 2026-12-07), and a median of three rounds would credit us with its slow processes.
    best = {key: min(values) for key, values in samples.items()}
    peers = [p for p in PEERS if p in versions]
    labels = [label for label, _ in binaries]

    sections = []
    summary = []  # ((temperature, dtype), label, min, geometric mean)
    for case in cases:
        temperature, dtype = case
        present = [p for p in peers if any(key[0] == p and key[2] == case for key in best)]
        header = ["shape"] + [f"{label}" for label in labels] + present + [f"{label} ratio" for label in labels]
        lines = [f"Temperature {temperature:g}, {dtype} (ns per element, all cores; ratio = fastest peer / ours):",
                 "",
                 "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        ratios = {label: [] for label in labels}
        for shape in shapes:
            times = {p: best.get((p, shape, case)) for p in present}
            measured = [t for t in times.values() if t is not None]
            fastest = min(measured) if measured else None
            row = [shape_name(shape)] + [f"{best[(label, shape, case)]:.2f}" for label in labels]
            row += [f"{times[p]:.2f}" if times[p] is not None else "-" for p in present]
            for label in labels:
                if fastest is None:
                    row.append("-")
                    continue
                ratio = fastest / best[(label, shape, case)]
                ratios[label].append(ratio)
                row.append(f"{ratio:.2f}x")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        for label in labels:
            if ratios[label]:
                low, mean = min(ratios[label]), geometric_mean(ratios[label])
                summary.append((case, label, low, mean))
                lines.append(f"- {label}: min {low:.2f}x, geometric mean {mean:.2f}x over {len(ratios[label])} shapes")
        sections.append("\n".join(lines))

    summary_lines = ["| temperature | " + " | ".join(f"{label}: min, geometric mean" for label in labels) + " |",
                     "|" + " --- |" * (1 + len(labels))]
    for case in cases:
        cells = [f"{case[0]:g}" + ("" if case[1] == "float32" else f" ({case[1]})")]
        for label in labels:
            found = [(low, mean) for c, l, low, mean in summary if c == case and l == label]
            cells.append(f"{found[0][0]:.2f}x, {found[0][1]:.2f}x" if found else "-")
        summary_lines.append("| " + " | ".join(cells) + " |")

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = describe_machine(binaries[0][1])
    peer_versions = ", ".join(f"{p} {versions[p]}" for p in peers)
    context = (f"Command: `{args.command}` (best of {args.rounds} rounds per column), {when}.\n"
               f"Machine: {machine}; load average {load_before[0]:.1f} before and {load_after[0]:.1f} after "
               f"the run (shared machine: other jobs ran during it).\nPeers: {peer_versions}.")
    text = "\n\n".join([context] + sections)
    print(text)
    print()
    print("\n".join(summary_lines))
    if args.write:
        replace_between(args.write, context + "\n\n" + "\n\n".join(sections))
    if args.readme:
        replace_between(args.readme, f"`{args.command}`, {when}, {machine} (a shared machine: see "
                        f"[docs/benchmarks.md](docs/benchmarks.md)); fastest of {', '.join(peers)} over ours, "
                        "all cores, on the eight standard shapes:\n\n" + "\n".join(summary_lines))


def describe_machine(gumbel):
    model = platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            found = re.search(r"^model name\s*:\s*(.+)$", handle.read(), re.M)
            model = found.group(1).strip() if found else model
    except OSError:
        pass
    version = subprocess.run([gumbel, "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores, {model}; {version}"


def replace_between(path, body, begin=BEGIN, finish=END):
    with open(path) as handle:
        text = handle.read()
    start, end = text.find(begin), text.find(finish)
    if start < 0 or end < start:
        sys.exit(f"bench.py: {path} has no '{begin}' ... '{finish}' section to replace")
    with open(path, "w") as handle:
        handle.write(text[: start + len(begin)] + "\n" + body.strip() + "\n" + text[end:])
    print(f"bench: wrote {path}", file=sys.stderr)


# MARK: small


def small_command(args):
    """Runs Benchmarks/small_batches.py in the peer interpreter and prints (and writes) its table."""
    load_before = os.getloadavg()
    command = [args.peer_python, os.path.join(HERE, "small_batches.py"), "--samples", str(args.samples),
               "--inner", str(args.inner), "--warmup", str(args.warmup)]
    table = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    load_after = os.getloadavg()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    library = os.environ.get("GUMBEL_SOFTMAX_LIB", "the package's own")
    text = (f"Command: `{args.command}`, {when}: medians over {args.samples} timed blocks of {args.inner} calls "
            f"(the [1024, 1024] rows: one call per block, a fiftieth as many blocks), library {library}; load "
            f"average {load_before[0]:.1f} before and {load_after[0]:.1f} after the run (shared machine).\n\n{table}")
    print(text)
    if args.write:
        replace_between(args.write, text, SMALL_BEGIN, SMALL_END)


# MARK: compare


def compare_command(args):
    binaries = labelled(args.binaries)
    labels = [label for label, _ in binaries]
    header = ["shape", "threads"] + [f"{l} ns" for l in labels] + [f"{l}/{labels[0]}" for l in labels[1:]]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for shape in shapes_of(args.shapes):
        for threads in (1, 0):
            samples = {label: [] for label in labels}
            for r in range(args.rounds):
                for label, path in binaries[r % len(binaries):] + binaries[: r % len(binaries)]:
                    ns = gumbel_bench(path, shape, threads, args.repeats, args.temperature, args.output)
                    samples[label].append(ns)
            medians = [statistics.median(samples[label]) for label in labels]
            row = [shape_name(shape), "1" if threads else "all"]
            row += [f"{m:.2f}" for m in medians] + [f"{m / medians[0]:.3f}" for m in medians[1:]]
            print("| " + " | ".join(row) + " |", flush=True)


# MARK: kernel


def kernel_command(args):
    base = [args.harness, "--label", args.label, "--seconds", str(args.seconds), "--shapes", args.shapes]
    rows = []
    for command in (base, [args.harness, "--memory", "1x16000000"]):
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows += [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    print(f"GumbelBenchmarks ({args.label}), ns per element, median; steal is the hypervisor's share of CPU time")
    print()
    print("| shape | what | threads | ns per element | steal |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        if row["kind"] in ("sample", "noise"):
            steal = f"{row['steal_percent']:.0f}%" if "steal_percent" in row else "-"
            print(f"| {shape_name(row['shape'])} | {row['kind']} | {row['threads']} | "
                  f"{row['ns_per_element']:.2f} | {steal} |")
    for row in rows:
        if row["kind"] == "memcpy":
            print(f"\nmemcpy of {row['shape'][1]} floats: {row['gigabytes_per_second']} GB/s "
                  f"({row['ns_per_element']:.2f} ns per element read and written: the memory roof)")
        elif row["kind"] == "memory":
            print(f"\nPeak resident memory, {shape_name(row['shape'])}: input + output {row['input_output_kib']} KiB; "
                  f"the call added {row['call_added_kib']} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command_name", required=True)

    run = commands.add_parser("run", help="ours against the peers at each temperature (make bench)")
    run.add_argument("--gumbel", action="append", required=True, help="LABEL=PATH of a gumbel binary")
    run.add_argument("--peer-python", default=sys.executable, help="an interpreter with NumPy (JAX, PyTorch)")
    run.add_argument("--shapes", default=STANDARD)
    run.add_argument("--temperatures", default=TEMPERATURES)
    run.add_argument("--float64-temperatures", default="0.5",
                     help="temperatures of the float64 tables (ours, NumPy and PyTorch); empty for none")
    run.add_argument("--rounds", type=int, default=3, help="each column's best of this many rounds per shape")
    run.add_argument("--repeats", type=int, default=15, help="timed calls per `gumbel bench`")
    run.add_argument("--seconds", type=float, default=0.5, help="timing per peer call")
    run.add_argument("--write", help="Markdown file whose measured section this run replaces")
    run.add_argument("--readme", help="Markdown file whose summary table this run replaces")
    run.add_argument("--command", default="make bench", help="the command named in --write's text")
    run.set_defaults(handler=run_command)

    peers = commands.add_parser("peers", help="NumPy, JAX and PyTorch timings as JSON lines")
    peers.add_argument("--shapes", default=STANDARD)
    peers.add_argument("--temperatures", default=TEMPERATURES)
    peers.add_argument("--seconds", type=float, default=0.5)
    peers.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    peers.set_defaults(handler=peers_command)

    small = commands.add_parser("small", help="per-call cost on small batches beside each framework's own call")
    small.add_argument("--peer-python", default=sys.executable, help="an interpreter with NumPy (JAX, PyTorch)")
    small.add_argument("--samples", type=int, default=1000, help="timed blocks per row")
    small.add_argument("--inner", type=int, default=20, help="calls per timed block")
    small.add_argument("--warmup", type=int, default=200, help="untimed calls before each row")
    small.add_argument("--write", help="Markdown file whose small-calls section this run replaces")
    small.add_argument("--command", default="make bench-small", help="the command named in --write's text")
    small.set_defaults(handler=small_command)

    compare = commands.add_parser("compare", help="interleaved before/after of gumbel binaries")
    compare.add_argument("binaries", nargs="+", help="LABEL=PATH; the first is the reference")
    compare.add_argument("--rounds", type=int, default=5)
    compare.add_argument("--repeats", type=int, default=15)
    compare.add_argument("--shapes", default=STANDARD)
    compare.add_argument("--temperature", type=float, default=0.5)
    compare.add_argument("--output", default="soft", choices=["soft", "log", "hard", "categorical"])
    compare.set_defaults(handler=compare_command)

    kernel = commands.add_parser("kernel", help="the nested package's harness: noise, memory roof")
    kernel.add_argument("--harness", required=True, help="path of the built GumbelBenchmarks")
    kernel.add_argument("--label", default="release")
    kernel.add_argument("--shapes", default=STANDARD)
    kernel.add_argument("--seconds", type=float, default=0.5)
    kernel.set_defaults(handler=kernel_command)

    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    main()
