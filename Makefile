# adaptool — the two commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
APT_PACKAGES := libhdf5-dev zlib1g-dev libopenblas-dev pkg-config strace librsvg2-bin
PY_PACKAGES := h5py numpy safetensors
CIFAR10_DIR ?= $(firstword $(wildcard ../shared/data/cifar-10-batches-bin-jpeg-approx data/cifar-10-batches-bin))
BIN := .build/release/adaptool
## One optimised build serves make demo, make test, make install and make fuzz: -enable-testing lets the
## test targets' @testable imports use the release modules (the default release build refuses them),
## so make test after make demo only compiles the tests. Measured on 2 cores: training speed is the
## same as a plain release build, while a debug build trains about 50x slower (see README, Development).
RELEASE_FLAGS := -c release -Xswiftc -enable-testing
## install: where `make install` puts adaptool ($(DESTDIR)$(PREFIX)/bin); DESTDIR is for staged/packaged installs.
PREFIX ?= /usr/local
BINDIR := $(DESTDIR)$(PREFIX)/bin

.PHONY: all deps build release install uninstall install-check demo-offline-check test demo bench fuzz data fixtures clean

all: build

## deps: install the system libraries and the Python test packages when they are missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(PYTHON) -c "import h5py, numpy, safetensors" 2>/dev/null || \
	  $(PYTHON) -m pip install --quiet --disable-pip-version-check $(PY_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product adaptool

## install: the release adaptool into $(PREFIX)/bin (default /usr/local/bin; sudo may be needed there).
## Reuses the release build when it exists; e.g. make install PREFIX=$$HOME/.local
install: $(if $(wildcard $(BIN)),,release)
	install -d "$(BINDIR)"
	install -m 755 $(BIN) "$(BINDIR)/adaptool"
	@echo "installed: $(BINDIR)/adaptool"

uninstall:
	rm -f "$(BINDIR)/adaptool"

## install-check (part of make test): make install/uninstall with DESTDIR in a scratch folder; the
## installed binary must run --version and --help. Skipped, saying so, when no release build exists,
## so that make test never needs a second full build just for this.
install-check:
	@if [ ! -x $(BIN) ]; then echo "install-check: skipped ($(BIN) not built; run make release)"; exit 0; fi; \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(MAKE) --no-print-directory -s install DESTDIR="$$scratch" PREFIX=/opt/adaptool >/dev/null && \
	"$$scratch/opt/adaptool/bin/adaptool" --version >/dev/null && \
	"$$scratch/opt/adaptool/bin/adaptool" --help | grep -q "USAGE" && \
	$(MAKE) --no-print-directory -s uninstall DESTDIR="$$scratch" PREFIX=/opt/adaptool && \
	[ ! -e "$$scratch/opt/adaptool/bin/adaptool" ] && echo "install-check: ok (make install DESTDIR=… PREFIX=/opt/adaptool, --version, --help, uninstall)" \
	|| { echo "install-check: FAILED: make install/uninstall into $$scratch"; exit 1; }

## demo-offline-check (part of make test): the demo's data choice with no CIFAR10_DIR, no ../shared
## copy, no data/ and an unreachable download host must print no raw curl/make error, exactly one
## reason line and the one synthetic-data line. Needs no build (DEMO_DATA_ONLY stops before training).
demo-offline-check:
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	out=$$(CIFAR10_DIR= DEMO_SHARED_DATA="$$scratch/none" DEMO_DATA_DIR="$$scratch/data" DEMO_OUT="$$scratch/out" \
	  CIFAR10_URL=http://127.0.0.1:9/cifar-10-binary.tar.gz DEMO_DATA_ONLY=1 bash Benchmarks/demo.sh 2>&1); \
	if [ $$? -eq 0 ] && [ "$$(grep -c 'SYNTHETIC DATA' <<<"$$out")" = 1 ] && [ "$$(grep -c '^data: error: cannot download' <<<"$$out")" = 1 ] \
	   && ! grep -qiE 'curl:|make(\[[0-9]+\])?: \*\*\*' <<<"$$out" && [ "$$(wc -l <<<"$$out")" = 4 ]; then \
	  echo "demo-offline-check: ok (one reason line, one synthetic-data line, no curl/make errors)"; \
	else echo "demo-offline-check: FAILED; the demo's offline output was:"; echo "$$out"; exit 1; fi

## test: every test target (Swift Testing) against the release build; real-data tests skip when CIFAR-10 is absent
test: deps
	$(SWIFT) build $(RELEASE_FLAGS) --build-tests
	ADAPTOOL_BIN=$(CURDIR)/$(BIN) CIFAR10_DIR=$(CIFAR10_DIR) $(SWIFT) test $(RELEASE_FLAGS) --skip-build
	@$(MAKE) --no-print-directory install-check demo-offline-check

## demo: the main job (see README)
demo: release
	@bash Benchmarks/demo.sh

## bench: the figures (printed, not timed tests)
bench: release
	@bash Benchmarks/run.sh

## fuzz: seeded fuzzer of the CLI (HDF5 v1/v2, safetensors, model folders, PEFT, file-system faults); not part of `make test`.
## FUZZ_ARGS passes options, e.g. make fuzz FUZZ_ARGS="--seed 7 --cases 20000 --jobs 4"
FUZZ_BIN ?= $(BIN)
FUZZ_ARGS ?=
fuzz: release
	$(PYTHON) Benchmarks/fuzz/fuzz.py --binary $(FUZZ_BIN) --seed 1 --cases 10000 --jobs 2 $(FUZZ_ARGS)

## data: fetch and check the official CIFAR-10 binary archive (needs internet) into data/
data:
	@bash Benchmarks/fetch_cifar10.sh data

## fixtures: regenerate Fixtures/ with the independent h5py implementation
fixtures: deps
	$(PYTHON) Fixtures/generate.py Fixtures
	$(PYTHON) Fixtures/interop/generate.py Fixtures/interop
	$(PYTHON) Fixtures/transformers/generate.py Fixtures/transformers

clean:
	rm -rf .build out
