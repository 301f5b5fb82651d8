"""Instructions per element of the library's sampling calls, by function, under callgrind
(docs/benchmarks.md, "The floor"): one thread, each call kind and shape once, the count inside the public entry
point divided by the batch's elements. Needs valgrind; a library built with DWARF 5 debug info
must be stripped of it first (`objcopy --strip-debug`), which keeps the symbols.

  python3 Benchmarks/floor/counts.py COUNT_BINARY [--shapes 256x1024,...]

COUNT_BINARY is Benchmarks/floor/count.c built against the library to count.
"""

import argparse
import collections
import re
import subprocess
import tempfile

# What each function of the kernel carries (by its Swift base name; everything it inlines counts
# as its own).
STAGES = {
    "Philox.fill": "Philox words",
    "SamplingKernel.reciprocals": "uniform, band test, 1 log, 1/E, logit max",
    "PowerForm.storeTerms": "exp, power factor, store, sum",
    "RowReduce.expSum": "exp, store, sum",
    "NoiseMath.perturb": "uniform, band test, 2 logs, + logits",
    "SamplingKernel.groupedRows": "groupedRows (max, exp, sum, scale)",
    "SamplingKernel.groupedPowerRows": "groupedPowerRows (scale; K < 64: max, factor)",
    "SamplingKernel.firstPass": "firstPass (long rows: what it inlines)",
    "SamplingKernel.finish": "finish (scaling)",
    "NoiseFill.run": "uniform, band test, 2 logs, store",
}


def base_name(symbol):
    """`Type.function` of a Swift symbol `$s<module><Type><kind><function>...`, else the symbol."""
    if not symbol.startswith("$s"):
        return symbol.split("(")[0]
    names, i = [], 2
    while i < len(symbol) and len(names) < 3:
        m = re.match(r"(\d+)", symbol[i:])
        if not m:
            break
        n = int(m.group(1))
        i += len(m.group(1))
        names.append(symbol[i:i + n])
        i += n
        if i < len(symbol) and symbol[i] in "OVCE" and i + 1 < len(symbol) and symbol[i + 1].isdigit():
            i += 1
        elif not (i < len(symbol) and symbol[i].isdigit()):
            break
    return ".".join(names[1:3]) if len(names) >= 3 else ".".join(names[1:]) or symbol


def stage_of(function):
    name = base_name(function.split(":", 1)[-1].split(" ")[0])
    return STAGES.get(name, name)


CALLS = [("soft", "1"), ("soft", "0.5"), ("soft", "0.7"), ("log", "0.7"), ("hard", "0.7"), ("categorical", "1"),
         ("noise", "1")]
ENTRY = {"categorical": "gs_categorical", "noise": "gs_gumbel_noise"}


def count(binary, kind, shape, temperature):
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        entry = ENTRY.get(kind, "gs_sample")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}",
                        f"--toggle-collect={entry}", binary, kind, shape, temperature, "1"],
                       check=True, capture_output=True)
        text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out.name],
                              check=True, capture_output=True, text=True).stdout
    stages = collections.Counter()
    total = 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in m.group(2):
            total = n
            continue
        stages[stage_of(m.group(2))] += n
    return total, stages


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--shapes", default="256x1024")
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        b, k = (int(n) for n in shape.split("x"))
        for kind, temperature in CALLS:
            total, stages = count(args.binary, kind, shape, temperature)
            parts = ", ".join(f"{stage} {n / (b * k):.1f}" for stage, n in stages.most_common() if n / (b * k) >= 0.05)
            print(f"| [{b}, {k}] | {kind} T={temperature} | {total / (b * k):.1f} | {parts} |", flush=True)


if __name__ == "__main__":
    main()
