# portalsim — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/portalsim
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/portalsim/portalsim/internal/cli.Version=$(VERSION)
export GOFLAGS ?= -buildvcs=false

.PHONY: help build test lint run bench fmt fuzz test-long

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/portalsim
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/portalsim

# Packages with TestTiming* tests (testenv.Timing skips them under -race).
TIMING_PKGS = $(shell grep -rl --include='*_test.go' '^func TestTiming' cmd internal loadtest portal | xargs -n1 dirname | sort -u | sed 's|^|./|')

test: ## run every test with the race detector, then the timing tests without it
	$(GO) test -race -timeout 15m ./...
	@echo "timing tests (measured latency, capacity, overload p99): without -race, one package at a time"
	$(GO) test -count=1 -p 1 -timeout 10m -run '^TestTiming' $(TIMING_PKGS)

test-long: ## the long variants too: more kill -9 rounds, harder overload (PORTALSIM_LONG=1)
	PORTALSIM_LONG=1 $(GO) test -race -timeout 30m ./...
	PORTALSIM_LONG=1 $(GO) test -count=1 -p 1 -timeout 20m -run '^TestTiming' $(TIMING_PKGS)

FUZZTIME ?= 10s
fuzz: ## run every native fuzz target (found by name) for FUZZTIME each, default 10s
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd internal loadtest portal); do \
	  for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    out=$$(mktemp); \
	    if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$file) >$$out 2>&1 \
	       || { ! grep -q 'Failing input written' $$out \
	            && echo "fuzz $$name: the fuzzer failed without a failing input (e.g. a worker not stopping in time); trying once more" \
	            && $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$file) >$$out 2>&1; }; then :; \
	    else \
	      cat $$out; rm -f $$out; echo "fuzz $$name failed; a failing input is under $$(dirname $$file)/testdata/fuzz/$$name"; exit 1; \
	    fi; \
	    printf '%-28s %-22s %s\n' "$$name" "$$(dirname $$file)" "$$(grep -o 'execs: [0-9]*' $$out | tail -1)"; rm -f $$out; \
	  done; \
	done

lint: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt: ## gofmt every file
	gofmt -w $$(git ls-files '*.go')

run: build ## the main job: replay the weekday scenario against the embedded portal
	$(BIN) run scenarios/weekday.yaml

bench: ## Go benchmarks + side-by-side ratios, raw output in results/bench-<time>/ (see BENCHMARKS.md)
	GO=$(GO) ./bench/run.sh
