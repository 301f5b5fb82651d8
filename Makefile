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

# --- docs ---
# `make test-docs` runs every fenced code block of README.md, docs/*.md and the DocC articles and
# checks every relative link (Scripts/doctest.py says how each language is checked; its --help
# lists the conventions). --self-test first feeds it a broken block of every kind, which must fail. Swift blocks build as one scratch package in .build-doctest/ that depends
# on this repository by path (the library in debug: about a minute the first time, seconds after).
# DOCTEST_PYTHON lists interpreters for Python blocks (':'-separated; by default $(PYTHON) and the
# project's .venv-dask, .venv-torch, .venv-jax and .venv-ray where they exist): a block runs with the
# first that can import its torch, jax, dask or ray, and is skipped (listed) when none can;
# DOCTEST_REQUIRE_ALL=1 makes such a skip fail.
# `make docs` builds the DocC catalog (Sources/GumbelSoftmax/GumbelSoftmax.docc) into .build/docs.
.PHONY: test-docs docs
DOCTEST_VENVS := $(wildcard $(foreach v,dask torch jax ray,.venv-$(v)/bin/python))
DOCTEST_PYTHON ?= $(subst $(eval) ,:,$(strip $(PYTHON) $(DOCTEST_VENVS)))
test-docs: RELEASE_FLAGS := $(TEST_FLAGS)
test-docs: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(EMBED_BUILD) --product gumbel
	DOCTEST_PYTHON="$(DOCTEST_PYTHON)" $(PYTHON) Scripts/doctest.py --self-test \
		--bin-path "$$($(EMBED_BUILD) --show-bin-path)"

# The doc tests are part of `make test` (they run before the Swift test suites).
test: test-docs

# The DocC archive of the library (overview, articles and symbol pages). Not part of `make test`: the
# first run builds the library in debug for its symbol graph (about 2 minutes here), later runs take
# about 10 s; the articles' code blocks are already run by test-docs.
DOCS_OUTPUT ?= .build/docs/GumbelSoftmax.doccarchive
docs: deps
	@mkdir -p "$(dir $(DOCS_OUTPUT))"
	$(SWIFT) package --allow-writing-to-directory "$(dir $(DOCS_OUTPUT))" generate-documentation \
		--target GumbelSoftmax --output-path "$(DOCS_OUTPUT)"

# --- frameworks ---
# Tests of the PyTorch, JAX and Ray integrations (issue 15); `make test-dask` above runs
# python/tests_dask, which covers gumbel_softmax.dask as well. Each target creates its venv on first
# use (with --system-site-packages, like test-dask) and reuses it after. Measured on the 2-core build
# machine: `pip install torch` from PyPI, the CUDA build (5.3 GB installed), 7 min 27 s; jax[cpu]
# 60 s; ray 87 s; dask[distributed] 46 s.
TORCH_VENV ?= .venv-torch
JAX_VENV ?= .venv-jax
RAY_VENV ?= .venv-ray
TORCH_IMPORTS = import torch; import sklearn; import scipy; import pytest
FRAMEWORK_LIBRARY = GUMBEL_SOFTMAX_LIB="$$($(EMBED_BUILD) --show-bin-path)/libgumbelsoftmax.so"

.PHONY: test-frameworks test-torch test-jax test-ray vae-plot jax-ffi
test-frameworks test-torch test-jax test-ray vae-plot jax-ffi: RELEASE_FLAGS := $(TEST_FLAGS)

# $(call framework-venv,VENV,PYTHON-IMPORTS,PIP-ARGUMENTS): creates VENV and installs the packages
# unless the imports already succeed in it.
define framework-venv
	@if ! $(1)/bin/python -c "$(2)" 2>/dev/null; then \
		set -x; \
		$(PYTHON) -m venv --system-site-packages $(1) && \
		$(1)/bin/python -m pip install --quiet $(3); \
	fi
endef

test-frameworks: test-torch test-jax test-dask test-ray

# gumbel_softmax.torch and the categorical VAE example (python/tests_torch).
test-torch: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(call framework-venv,$(TORCH_VENV),$(TORCH_IMPORTS),torch scikit-learn scipy numpy pytest)
	$(FRAMEWORK_LIBRARY) $(TORCH_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_torch -q

# The XLA FFI handlers of gumbel_softmax.jax (forward and backward: python/gumbel_softmax/ffi/jax_ffi.cc),
# built beside libgumbelsoftmax.so against the XLA FFI headers that jaxlib ships.
jax-ffi: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(call framework-venv,$(JAX_VENV),import jax; import pytest,"jax[cpu]" numpy pytest)
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	headers="$$($(JAX_VENV)/bin/python -c 'import jax.ffi; print(jax.ffi.include_dir())')"; \
	set -x; \
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -shared -fPIC -isystem "$$headers" -I include \
		python/gumbel_softmax/ffi/jax_ffi.cc -L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" \
		-o "$$bin/libgumbelsoftmax_jax.so"

# gumbel_softmax.jax under jit, grad and vmap, with both backward paths (python/tests_jax).
test-jax: jax-ffi
	$(FRAMEWORK_LIBRARY) GUMBEL_SOFTMAX_JAX_FFI="$$($(EMBED_BUILD) --show-bin-path)/libgumbelsoftmax_jax.so" \
		$(JAX_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_jax -q

# The Ray example of docs/embedding.md on a local Ray instance (python/tests_ray).
test-ray: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(call framework-venv,$(RAY_VENV),import ray; import pytest,ray numpy pytest)
	$(FRAMEWORK_LIBRARY) $(RAY_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_ray -q

# Regenerates docs/discrete_vae_elbo.png (3 seeds x 3000 steps per sampler, about 15 min on one busy core).
vae-plot: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(call framework-venv,$(TORCH_VENV),import torch; import sklearn; import matplotlib,torch scikit-learn matplotlib)
	$(FRAMEWORK_LIBRARY) $(TORCH_VENV)/bin/python python/examples/discrete_vae.py --steps 3000 --seeds 3 \
		--plot docs/discrete_vae_elbo.png

# --- per-row streams ---
# Builds libgumbelsoftmax.so and runs the C test of the per-row-stream functions (contract 2).
.PHONY: test-c-rows
test-c-rows: RELEASE_FLAGS := $(TEST_FLAGS)
test-c-rows: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_row_streams.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -o "$$bin/test_row_streams" && \
	"$$bin/test_row_streams"

# --- tool ---
# `make test-large`: a 6 GiB .npy streamed through `gumbel` under a 1 GiB address-space limit gives
# the same bytes as an unlimited run (Tests/large-input.sh; needs ~13 GiB free in TMPDIR). Not part
# of `make test`: it writes 6 GiB and samples 1.6e9 logits four times.
.PHONY: test-large
test-large:
	bash Tests/large-input.sh
