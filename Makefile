# The developer's entry points. `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
GOLANGCI  := $(BIN)/golangci-lint
GOLANGCI_VERSION := v2.15.0

export GOBIN := $(BIN)

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Start the whole shop in one process with embedded backends.
	$(GO) run ./src/cmd/shop

.PHONY: build
build: ## Build every service binary into bin/.
	$(GO) build -trimpath -o $(BIN)/ ./src/cmd/...

.PHONY: test
test: test-go test-fuzz ## Run every test (unit, contract, integration, a short fuzz run).

.PHONY: test-go
test-go: ## Run the Go tests (integration tests use the local PostgreSQL and RabbitMQ).
	$(GO) test -count=1 -p 2 -timeout 20m ./...

FUZZTIME ?= 5s

.PHONY: test-fuzz
test-fuzz: ## Fuzz each target for FUZZTIME beyond its committed seed corpus.
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeJSONBytes$$' -fuzztime=$(FUZZTIME) ./src/internal/platform
	$(GO) test -run='^$$' -fuzz='^FuzzParseCreateRequest$$' -fuzztime=$(FUZZTIME) ./src/internal/order

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

$(GOLANGCI):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

.PHONY: lint
lint: $(GOLANGCI) ## Run go vet and golangci-lint.
	$(GO) vet ./...
	$(GOLANGCI) run ./...

.PHONY: bench
bench: ## Run the benchmarks and print their reports (see docs/benchmarks.md).
	$(GO) run ./src/cmd/bench
