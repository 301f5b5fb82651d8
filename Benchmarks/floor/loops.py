"""The innermost loops of one function of a built library, from its disassembly (docs/benchmarks.md, "The floor"):
for each backward branch, the instructions between its target and itself, by kind. Static
counts for a tier that valgrind cannot run (AVX-512).

  python3 Benchmarks/floor/loops.py LIBRARY SYMBOL_FRAGMENT [--top 3]
"""

import argparse
import collections
import re
import subprocess


def kind(mnemonic, operands):
    if mnemonic.startswith("j"):
        return "branch"
    if mnemonic.startswith("vmov") or mnemonic.startswith("mov"):
        if operands.startswith("%") and "(" in operands.split(",")[-1]:
            return "store"
        if "(" in operands:
            return "load"
        return "move"
    if mnemonic.startswith("v") or mnemonic.startswith("p") or mnemonic.endswith("ps"):
        return "vector" + ("+load" if "(" in operands else "")
    return "scalar"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library")
    parser.add_argument("symbol")
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args()
    symbols = subprocess.run(["nm", args.library], check=True, capture_output=True, text=True).stdout
    name = next(line.split()[-1] for line in symbols.splitlines() if args.symbol in line)
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--disassemble={name}", args.library],
                          check=True, capture_output=True, text=True).stdout
    instructions = []
    for line in text.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            instructions.append((int(m.group(1), 16), m.group(2), m.group(3)))
    backward = []
    for address, mnemonic, operands in instructions:
        t = re.match(r"([0-9a-f]+) <", operands)
        if mnemonic.startswith("j") and t and int(t.group(1), 16) < address:
            backward.append((int(t.group(1), 16), address))
    # Innermost loops: no other backward branch nested inside; the ones with the most vector work
    # first.
    loops = []
    for start, end in sorted(set(backward)):
        if any((s, e) != (start, end) and start <= s and e <= end for s, e in backward):
            continue
        body = [x for x in instructions if start <= x[0] <= end]
        loops.append((start, body))
    loops.sort(key=lambda loop: -sum(1 for _, m, o in loop[1] if "mm" in o))
    for start, body in loops[: args.top]:
        kinds = collections.Counter(kind(m, o) for _, m, o in body)
        widths = collections.Counter("zmm" if "zmm" in o else "ymm" if "ymm" in o else "xmm" if "xmm" in o else "-"
                                     for _, m, o in body)
        mnemonics = collections.Counter(m for _, m, _ in body)
        # The multiply pipes' work: fused multiply-adds, multiplies and divisions.
        multiplies = sum(n for m, n in mnemonics.items() if re.search(r"fn?m(add|sub)|mul|div", m))
        print(f"loop at {start:#x}: {len(body)} instructions, {multiplies} multiply-pipe; {dict(kinds)}; "
              f"registers {dict(widths)}")
        print("   ", ", ".join(f"{m} {n}" for m, n in mnemonics.most_common(14)))


if __name__ == "__main__":
    main()
