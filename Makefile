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
VERSION := $(shell sed -n 's/^ *public static let version = "\(.*\)"/\1/p' Sources/GumbelSoftmax/Version.swift)

.PHONY: all deps build demo test test-swift test-tiers test-install test-tier-check clean install uninstall manual

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
# Exactly the files `make install` writes and `make uninstall` removes, under PREFIX.
INSTALLED_FILES := bin/gumbel lib/libgumbelsoftmax.so include/gumbel_softmax.h \
	lib/pkgconfig/gumbelsoftmax.pc share/man/man1/gumbel.1 share/bash-completion/completions/gumbel \
	share/zsh/site-functions/_gumbel share/fish/vendor_completions.d/gumbel.fish
MANUAL := .build/plugins/GenerateManual/outputs/gumbel/gumbel.1

# The man page, from argument-parser's generate-manual plugin (it builds the package's products
# with the same flags first).
manual: deps
	$(SWIFT) package $(RELEASE_FLAGS) plugin generate-manual

install: manual build
	@bin="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" && root="$(INSTALL_ROOT)" && set -ex && \
	install -d "$$root/bin" "$$root/lib/pkgconfig" "$$root/include" "$$root/share/man/man1" \
		"$$root/share/bash-completion/completions" "$$root/share/zsh/site-functions" \
		"$$root/share/fish/vendor_completions.d" && \
	install -m 755 "$$bin/gumbel" "$$root/bin/gumbel" && \
	install -m 755 "$$bin/libgumbelsoftmax.so" "$$root/lib/libgumbelsoftmax.so" && \
	install -m 644 include/gumbel_softmax.h "$$root/include/gumbel_softmax.h" && \
	install -m 644 $(MANUAL) "$$root/share/man/man1/gumbel.1" && \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' Scripts/gumbelsoftmax.pc.in \
		> "$$root/lib/pkgconfig/gumbelsoftmax.pc" && \
	"$$bin/gumbel" --generate-completion-script bash > "$$root/share/bash-completion/completions/gumbel" && \
	"$$bin/gumbel" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_gumbel" && \
	"$$bin/gumbel" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/gumbel.fish"
	@echo "install: gumbel $(VERSION), tier $(TIER), in $(INSTALL_ROOT)"

uninstall:
	rm -f $(addprefix "$(INSTALL_ROOT)"/,$(INSTALLED_FILES))

# --- Tests. `make test` runs, in order: the C ABI (test-c), the install test (test-install), the
# Python suite against the package pip-installed into a fresh venv (test-python), the whole Swift
# suite for this machine's tier (test-swift), the known-answer, accuracy and invariance suites on
# every lower tier (test-tiers), and, on a machine without AVX-512, the refusal of an avx512 build
# by the CLI, the C ABI and Python (test-tier-check).
test: deps test-c test-install test-python test-swift test-tiers test-tier-check

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

test-install: deps
	MAKE="$(MAKE)" TEST_CC="$(CC)" Scripts/test-install $(TIER)

# On a machine without AVX-512: an avx512 build (.build-tier-check) must refuse to run, with the
# same message from the CLI (exit 1), the C ABI (GS_UNSUPPORTED_CPU) and Python (ImportError).
test-tier-check: deps
	@if [ "$(HOST_TIER)" = avx512 ]; then \
		echo "test-tier-check: this machine runs every tier; the check is tested by VersionTests"; \
	else \
		SWIFT="$(SWIFT)" TEST_CC="$(CC)" PYTHON="$(PYTHON)" Scripts/test-tier-check; \
	fi

clean:
	rm -rf .build .build-test .build-tier-* .build-wheel .venv-test .venv-wheel

# --- Embedding: the C ABI (include/gumbel_softmax.h), Python (python/) and Dask. ---
# These use the shipped build (.build, RELEASE_FLAGS); EMBED_BUILD_FLAGS passes extra flags to
# their `swift build`, e.g. a scratch path.
EMBED_BUILD = $(SWIFT) build $(RELEASE_FLAGS) $(EMBED_BUILD_FLAGS)
CC ?= cc
PYTHON ?= python3
DASK_VENV ?= .venv-dask
TEST_VENV ?= .venv-test
WHEEL_VENV ?= .venv-wheel

.PHONY: test-c test-python test-dask

# Builds libgumbelsoftmax.so, compiles the C test against the header and runs it.
test-c: deps
	$(EMBED_BUILD) --product gumbelsoftmax
	@bin="$$($(EMBED_BUILD) --show-bin-path)"; \
	set -x; \
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -I include Tests/CABI/test_gumbel_softmax.c \
		-L "$$bin" -lgumbelsoftmax -Wl,-rpath,"$$bin" -lm -lpthread -o "$$bin/test_gumbel_softmax" && \
	"$$bin/test_gumbel_softmax"

# The Python suite against the package as users get it: `pip install ./python` into a fresh venv
# (its build backend builds the library for TIER and bundles it), no PYTHONPATH and no
# GUMBEL_SOFTMAX_LIB. Then `pip wheel ./python` and that wheel installed into a second fresh venv.
test-python: deps
	rm -rf $(TEST_VENV) $(WHEEL_VENV) .build-wheel
	$(PYTHON) -m venv $(TEST_VENV)
	TIER=$(TIER) $(TEST_VENV)/bin/python -m pip install --quiet ./python pytest numpy
	cd /tmp && env -u GUMBEL_SOFTMAX_LIB -u PYTHONPATH $(CURDIR)/$(TEST_VENV)/bin/python -c \
		"import gumbel_softmax as gs, sys; print(gs.__file__, gs.version_info()); \
		sys.exit('not the installed package' if '/site-packages/' not in gs.__file__ else 0)"
	env -u GUMBEL_SOFTMAX_LIB -u PYTHONPATH GUMBEL_SOFTMAX_EXPECTED_TIER=$(TIER) GUMBEL_SOFTMAX_EXPECT_INSTALLED=1 \
		$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider python/tests -q
	TIER=$(TIER) $(TEST_VENV)/bin/python -m pip wheel --quiet --no-deps ./python -w .build-wheel
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet .build-wheel/gumbel_softmax-*.whl
	cd /tmp && env -u GUMBEL_SOFTMAX_LIB -u PYTHONPATH $(CURDIR)/$(WHEEL_VENV)/bin/python -c \
		"import gumbel_softmax as gs; info = gs.version_info(); print(info); \
		assert info.cpu_supported and info.tier == '$(TIER)', info; \
		print(gs.sample([2.0, 1.0, 0.5], temperature=0.5, seed=7))"

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
