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

# Tests run optimised: the accuracy sweeps cover every one of the 2^23 uniforms.
test: deps
	$(SWIFT) build $(RELEASE_FLAGS)
	$(SWIFT) test $(RELEASE_FLAGS) -Xswiftc -enable-testing

clean:
	rm -rf .build
