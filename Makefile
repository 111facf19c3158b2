# portalsim — `make help` lists the targets.
GO      ?= go
BIN     ?= bin/portalsim
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/portalsim/portalsim/internal/cli.Version=$(VERSION)
export GOFLAGS ?= -buildvcs=false

.PHONY: help build test lint run bench fmt

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/portalsim
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/portalsim

test: ## run every test with the race detector
	$(GO) test -race -timeout 15m ./...

lint: ## go vet and a gofmt check
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt: ## gofmt every file
	gofmt -w $$(git ls-files '*.go')

run: build ## the main job: replay the weekday scenario against the embedded portal
	$(BIN) run scenarios/weekday.yaml

bench: ## Go benchmarks + side-by-side ratios, raw output in results/bench-<time>/ (see BENCHMARKS.md)
	GO=$(GO) ./bench/run.sh
