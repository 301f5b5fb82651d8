#!/usr/bin/env bash
# Fuzzes the .npy header parser and reader (Sources/NumpyFormat) with libFuzzer for FUZZ_SECONDS
# (default 60). Not run by `make test`. Usage: Fuzz/run.sh [extra libFuzzer flags]
#
# The package build cannot take -sanitize=fuzzer without unsafeFlags, so this script compiles the
# NumpyFormat sources and the entry point into one executable with swiftc. The working corpus is
# fuzz-corpus/npy-header (git-ignored), seeded from Fuzz/NpyHeaderFuzzer/seeds; crash inputs are
# written to fuzz-corpus/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${FUZZ_SECONDS:-60}"
BUILD=.build-fuzz
CORPUS=fuzz-corpus/npy-header
ARTIFACTS=fuzz-corpus/artifacts
mkdir -p "$BUILD" "$CORPUS" "$ARTIFACTS"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name NpyHeaderFuzzer \
    Sources/NumpyFormat/*.swift Fuzz/NpyHeaderFuzzer/NpyHeaderFuzzer.swift -o "$BUILD/npy-header-fuzzer"
echo "fuzz: running for ${SECONDS_TO_RUN}s"
"$BUILD/npy-header-fuzzer" "$CORPUS" Fuzz/NpyHeaderFuzzer/seeds \
    -dict=Fuzz/NpyHeaderFuzzer/npy.dict -max_total_time="$SECONDS_TO_RUN" -max_len=4096 \
    -artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$@"
