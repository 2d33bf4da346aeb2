# adaptool — the two commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
APT_PACKAGES := libhdf5-dev zlib1g-dev libopenblas-dev pkg-config strace
PY_PACKAGES := h5py numpy safetensors
CIFAR10_DIR ?= $(firstword $(wildcard ../shared/data/cifar-10-batches-bin-jpeg-approx data/cifar-10-batches-bin))
BIN := .build/release/adaptool

.PHONY: all deps build release test demo bench fuzz data fixtures clean

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
	$(SWIFT) build -c release --product adaptool

## test: every test target (Swift Testing); real-data tests skip when CIFAR-10 is absent
test: deps
	$(SWIFT) build --build-tests
	ADAPTOOL_BIN=$(CURDIR)/.build/debug/adaptool CIFAR10_DIR=$(CIFAR10_DIR) $(SWIFT) test --skip-build

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
