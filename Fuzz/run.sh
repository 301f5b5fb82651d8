#!/usr/bin/env bash
# Fuzzes with libFuzzer for FUZZ_SECONDS each (default 60); not run by `make test`.
#   npy-header: the .npy header parser and in-memory reader (Sources/NumpyFormat).
#   gumbel:     the tool's whole sample / categorical / topk path (Fuzz/GumbelFuzzer): streaming
#               .npy and CSV reading, the sampler, .npy and CSV writing, whole against blocks.
# Usage: Fuzz/run.sh [npy-header|gumbel|all] [extra libFuzzer flags]
#
# The package build cannot take -sanitize=fuzzer without unsafeFlags, so this script compiles the
# fuzzed sources with swiftc: NumpyFormat as its own instrumented module, the tool's pipeline files
# (those that do not use ArgumentParser) with the entry point, linked against GumbelSoftmax and
# swift-system as `swift build` made them. Working corpora are fuzz-corpus/<target> (git-ignored),
# seeded from Fuzz/<Target>/seeds, which hold the crash inputs of issue 12 as regression inputs;
# crash inputs are written to fuzz-corpus/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH="${1:-all}"
[ $# -gt 0 ] && shift
SECONDS_TO_RUN="${FUZZ_SECONDS:-60}"
BUILD=.build-fuzz
ARTIFACTS=fuzz-corpus/artifacts
mkdir -p "$BUILD" "$ARTIFACTS"
# Huge allocations are refused by the code under test (out of memory is an error, not a trap).
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=0}"

run_header() {
    mkdir -p fuzz-corpus/npy-header
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name NpyHeaderFuzzer \
        Sources/NumpyFormat/*.swift Fuzz/NpyHeaderFuzzer/NpyHeaderFuzzer.swift -o "$BUILD/npy-header-fuzzer"
    echo "fuzz npy-header: running for ${SECONDS_TO_RUN}s"
    "$BUILD/npy-header-fuzzer" fuzz-corpus/npy-header Fuzz/NpyHeaderFuzzer/seeds \
        -dict=Fuzz/NpyHeaderFuzzer/npy.dict -max_total_time="$SECONDS_TO_RUN" -max_len=4096 \
        -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$@"
}

run_gumbel() {
    mkdir -p fuzz-corpus/gumbel "$BUILD/modules"
    swift build -c release --product gumbel
    local bin
    bin="$(swift build -c release --show-bin-path)"
    local csystem=.build/checkouts/swift-system/Sources/CSystem/include
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name NumpyFormat \
        -emit-module -emit-module-path "$BUILD/modules/NumpyFormat.swiftmodule" -emit-object -wmo \
        Sources/NumpyFormat/*.swift -o "$BUILD/NumpyFormat.o"
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name GumbelFuzzer \
        -I "$BUILD/modules" -I "$bin/Modules" -I Modules/COpenBLAS -I "$csystem" \
        -Xcc -fmodule-map-file="$bin/CGumbelSoftmaxCPU.build/module.modulemap" \
        Sources/gumbel/{Platform,SystemIO,Files,CSV,Pipeline,RowStreams}.swift Fuzz/GumbelFuzzer/GumbelFuzzer.swift \
        "$BUILD/NumpyFormat.o" "$bin"/GumbelSoftmax.build/*.o "$bin"/SystemPackage.build/*.o \
        "$bin"/CSystem.build/*.o "$bin"/CGumbelSoftmaxCPU.build/*.o -lopenblas -o "$BUILD/gumbel-fuzzer"
    echo "fuzz gumbel: running for ${SECONDS_TO_RUN}s"
    "$BUILD/gumbel-fuzzer" fuzz-corpus/gumbel Fuzz/GumbelFuzzer/seeds \
        -dict=Fuzz/GumbelFuzzer/gumbel.dict -max_total_time="$SECONDS_TO_RUN" -max_len=8192 \
        -rss_limit_mb=4096 -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$@"
}

case "$WHICH" in
    npy-header) run_header "$@" ;;
    gumbel) run_gumbel "$@" ;;
    all) run_header "$@" && run_gumbel "$@" ;;
    *) echo "usage: Fuzz/run.sh [npy-header|gumbel|all] [libFuzzer flags]" >&2; exit 64 ;;
esac
