#!/usr/bin/env bash
# `make test-large`: a 6 GiB .npy of logits (1572864 x 1024 float32) streams through `gumbel
# sample` and `gumbel categorical` under a 1 GiB address-space limit (`ulimit -v`) and gives the
# same bytes as a run without a limit in blocks of 100000 rows (400 MB), compared by SHA-256.
# Needs about 13 GiB of free disk in TMPDIR (input and one output at a time); removes everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
# GUMBEL: the tool to run (`make test-large` passes the one `make build` made); by default a plain
# release build.
if [ -z "${GUMBEL:-}" ]; then
    swift build -c release --product gumbel
    GUMBEL="$(swift build -c release --show-bin-path)/gumbel"
fi
DIR="$(mktemp -d "${TMPDIR:-/tmp}/gumbel-large-XXXXXX")"
trap 'rm -rf "$DIR"' EXIT
ROWS=1572864
COLUMNS=1024
LIMIT_KB=1048576

python3 - "$DIR/in.npy" "$ROWS" "$COLUMNS" <<'PY'
import array, random, sys
path, rows, columns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, columns)
padding = (64 - (10 + len(dictionary) + 1) % 64) % 64
header = dictionary + " " * padding + "\n"
random.seed(12)
chunk = array.array("f", (random.uniform(-4, 4) for _ in range(1 << 20))).tobytes()  # 4 MiB
total = rows * columns * 4
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
    for _ in range(total // len(chunk)):
        f.write(chunk)
PY
echo "input: $(du -h --apparent-size "$DIR/in.npy" | cut -f1)"

digest() { sha256sum "$1" | cut -d' ' -f1; }
check() {
    local name="$1"; shift
    /usr/bin/env time -f "$name, limited to ${LIMIT_KB} KiB: %e s, peak RSS %M KiB" \
        bash -c "ulimit -v $LIMIT_KB && OPENBLAS_NUM_THREADS=1 exec \"$GUMBEL\" $* -i '$DIR/in.npy' -o '$DIR/limited.npy'"
    local limited; limited="$(digest "$DIR/limited.npy")"; rm -f "$DIR/limited.npy"
    /usr/bin/env time -f "$name, no limit, 100000-row blocks: %e s, peak RSS %M KiB" \
        "$GUMBEL" "$@" -i "$DIR/in.npy" -o "$DIR/free.npy" --block-rows 100000
    local free; free="$(digest "$DIR/free.npy")"; rm -f "$DIR/free.npy"
    if [ "$limited" != "$free" ]; then
        echo "FAIL $name: $limited (limited) != $free (no limit)"; exit 1
    fi
    echo "ok $name: $limited"
}
check categorical categorical --seed 3 --position 99
check sample sample -t 0.5 --seed 4
echo "2 passed, 0 failed"
