# Gumbel-Softmax for Linux. `make demo` and `make test` work on a fresh Debian machine with Swift:
# they install OpenBLAS's development packages first when pkg-config cannot find them.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev
RELEASE_FLAGS := -c release

.PHONY: all deps build demo test test-swift clean

all: build

# Installs the two apt packages when `pkg-config --exists openblas` fails: as root directly,
# otherwise it prints the exact command and stops.
deps:
	@if pkg-config --exists openblas 2>/dev/null && [ -f /usr/include/lapacke.h ]; then \
		echo "deps: OpenBLAS and LAPACKE found"; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "deps: installing $(APT_PACKAGES)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends pkg-config $(APT_PACKAGES) || \
		{ apt-get update && apt-get install -y --no-install-recommends pkg-config $(APT_PACKAGES); }; \
	else \
		echo "deps: OpenBLAS is missing. Run:"; \
		echo "  sudo apt-get update && sudo apt-get install -y pkg-config $(APT_PACKAGES)"; \
		exit 1; \
	fi

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

demo: build
	$(SWIFT) run $(RELEASE_FLAGS) gumbel demo

# Tests run optimised (the accuracy sweeps cover every one of the 2^23 uniforms) and with
# -enable-testing for @testable imports. Every test target uses these same flags, so `make test`
# and `make test-dask` share one build of the package instead of building it twice.
TEST_FLAGS := -c release -Xswiftc -enable-testing
test test-c test-python test-dask: RELEASE_FLAGS := $(TEST_FLAGS)

# test-c and test-python (the C ABI and Python package, about 15 s once the library is built) run first.
test: deps test-c test-python
	$(SWIFT) build $(RELEASE_FLAGS)
	$(SWIFT) test $(RELEASE_FLAGS)

clean:
	rm -rf .build

# --- Embedding: the C ABI (include/gumbel_softmax.h), Python (python/) and Dask. ---
# EMBED_BUILD_FLAGS passes extra flags to these targets' `swift build`, e.g. a scratch path.
EMBED_BUILD = $(SWIFT) build $(RELEASE_FLAGS) $(EMBED_BUILD_FLAGS)
CC ?= cc
PYTHON ?= python3
DASK_VENV ?= .venv-dask

.PHONY: test-c test-python test-dask

# Builds libgumbelsoftmax.so, compiles the C test against the header and runs it.
test-c: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_gumbel_softmax.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -lpthread -o "$$bin/test_gumbel_softmax" && \
	"$$bin/test_gumbel_softmax"

# The Python package (ctypes over libgumbelsoftmax.so) against a float64 numpy reference.
test-python: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	GUMBEL_SOFTMAX_LIB="$$($(EMBED_BUILD) --show-bin-path)/libgumbelsoftmax.so" \
		$(PYTHON) -m pytest -p no:cacheprovider python/tests -q

# Sharded sampling on a Dask LocalCluster; installs dask[distributed] into $(DASK_VENV).
test-dask: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@if ! $(DASK_VENV)/bin/python -c "import dask.distributed" 2>/dev/null; then \
		set -x; \
		$(PYTHON) -m venv --system-site-packages $(DASK_VENV) && \
		$(DASK_VENV)/bin/python -m pip install --quiet "dask[distributed]"; \
	fi
	GUMBEL_SOFTMAX_LIB="$$($(EMBED_BUILD) --show-bin-path)/libgumbelsoftmax.so" \
		$(DASK_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_dask -q

# Fuzzes the .npy header parser (Sources/NumpyFormat) with libFuzzer for FUZZ_SECONDS (default 60).
# Not part of `make test`; crash inputs land in fuzz-corpus/artifacts/.
.PHONY: fuzz
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/run.sh

# --- Speed: `make bench` prints ours (default release flags and the README's recommended flags)
# against NumPy, JAX and PyTorch measured in the same run, with ratios. Peers other than NumPy are
# used when importable: `make bench-peers-setup` installs JAX and PyTorch into .venv-bench.
.PHONY: bench bench-peers-setup
BENCH_VENV ?= .venv-bench
BENCH_PYTHON = $(if $(wildcard $(BENCH_VENV)/bin/python),$(BENCH_VENV)/bin/python,$(PYTHON))
RECOMMENDED_FLAGS := $(shell Scripts/recommended-flags)
BENCH_SECONDS ?= 0.5

bench: deps
	cd Benchmarks && $(SWIFT) build -c release --scratch-path .build-default
	cd Benchmarks && $(SWIFT) build -c release --scratch-path .build-recommended $(RECOMMENDED_FLAGS)
	@mkdir -p .bench
	Benchmarks/.build-default/release/GumbelBenchmarks --label default --seconds $(BENCH_SECONDS) > .bench/default.jsonl
	Benchmarks/.build-recommended/release/GumbelBenchmarks --label recommended --seconds $(BENCH_SECONDS) \
		> .bench/recommended.jsonl
	Benchmarks/.build-default/release/GumbelBenchmarks --memory 1x16000000 > .bench/memory.jsonl
	$(BENCH_PYTHON) Benchmarks/peers.py --seconds $(BENCH_SECONDS) > .bench/peers.jsonl
	@RECOMMENDED_FLAGS='$(RECOMMENDED_FLAGS)' $(PYTHON) Benchmarks/report.py .bench/default.jsonl .bench/recommended.jsonl .bench/peers.jsonl \
		.bench/memory.jsonl | tee .bench/report.md

bench-peers-setup:
	$(PYTHON) -m venv --system-site-packages $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install "jax[cpu]" torch

# --- tool ---
# `make test-large`: a 6 GiB .npy streamed through `gumbel` under a 1 GiB address-space limit gives
# the same bytes as an unlimited run (Tests/large-input.sh; needs ~13 GiB free in TMPDIR). Not part
# of `make test`: it writes 6 GiB and samples 1.6e9 logits four times.
.PHONY: test-large
test-large:
	bash Tests/large-input.sh
