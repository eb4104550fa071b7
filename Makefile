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
test: test-go test-fuzz test-chart test-workflows ## Run every test (unit, contract, integration, fuzz, chart, workflows).

.PHONY: test-go
test-go: ## Run the Go tests (integration tests use the local PostgreSQL and RabbitMQ).
	$(GO) test -count=1 -p 2 -timeout 20m ./...

FUZZTIME ?= 5s

.PHONY: test-fuzz
test-fuzz: ## Fuzz each target for FUZZTIME beyond its committed seed corpus.
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeJSONBytes$$' -fuzztime=$(FUZZTIME) ./src/internal/platform
	$(GO) test -run='^$$' -fuzz='^FuzzParseCreateRequest$$' -fuzztime=$(FUZZTIME) ./src/internal/order
	$(GO) test -run='^$$' -fuzz='^FuzzSearchText$$' -fuzztime=$(FUZZTIME) ./src/internal/search

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

$(GOLANGCI):
	$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

.PHONY: lint
lint: $(GOLANGCI) ## Run go vet and golangci-lint.
	$(GO) vet ./...
	$(GOLANGCI) run ./...

# The GitHub Actions workflows are checked by actionlint, which also runs
# shellcheck over their run: blocks when shellcheck is installed (.ci/run
# installs it; without it the target says so, and fails under
# SHOP_REQUIRE_INTEGRATION=1 like a missing backend).
ACTIONLINT_VERSION := v1.7.12

$(BIN)/actionlint:
	$(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: test-workflows
test-workflows: $(BIN)/actionlint ## Lint the GitHub Actions workflows (actionlint, shellcheck).
	@if ! command -v shellcheck >/dev/null; then \
		if [[ "$${SHOP_REQUIRE_INTEGRATION:-}" == 1 ]]; then \
			echo "shellcheck is required (SHOP_REQUIRE_INTEGRATION=1): apt-get install shellcheck" >&2; exit 1; \
		fi; \
		echo "SKIPPED: shellcheck not installed, so the workflows' run: blocks are not checked (apt-get install shellcheck)" >&2; \
	fi
	$(BIN)/actionlint -no-color
	@# actionlint knows the inputs and outputs of popular actions by major
	@# version only (actions/checkout@v4), so the exact pins are checked a
	@# second time as major versions.
	@for f in .github/workflows/*.yml; do \
		sed -E 's/(uses: [^ @]+@v[0-9]+)(\.[0-9]+)+/\1/' "$$f" | $(BIN)/actionlint -no-color -stdin-filename "$$f" - || exit 1; \
	done

.PHONY: bench
bench: ## Run the benchmarks and print their reports (see docs/benchmarks.md).
	$(GO) run ./src/cmd/bench

# The Helm chart's tests (src/internal/charttest, build tag charttest) need the
# helm 3 and helm 4 CLIs and a kube-apiserver with etcd, all built from Go
# modules at pinned versions into bin/ (kept between runs, ignored by git).
HELM3_VERSION := v3.22.0
HELM4_VERSION := v4.3.1
HELM3      := $(BIN)/helm3/helm
HELM4      := $(BIN)/helm4/helm
KUBE_TOOLS := scripts/kube-tools

$(HELM3):
	GOBIN=$(BIN)/helm3 $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)

$(HELM4):
	GOBIN=$(BIN)/helm4 $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM4_VERSION)

# The version is stamped in as Kubernetes' own build does, so discovery
# reports v1.34.4 and charts' kubeVersion constraints can be checked.
KUBE_VERSION_LDFLAGS := $(foreach kv,gitVersion=v1.34.4 gitMajor=1 gitMinor=34 gitTreeState=clean,-X k8s.io/component-base/version.$(kv))

$(BIN)/kube-apiserver: $(KUBE_TOOLS)/go.mod $(KUBE_TOOLS)/go.sum
	cd $(KUBE_TOOLS) && $(GO) build -trimpath -ldflags '$(KUBE_VERSION_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/etcd: $(KUBE_TOOLS)/go.mod $(KUBE_TOOLS)/go.sum $(KUBE_TOOLS)/etcd/main.go
	cd $(KUBE_TOOLS) && $(GO) build -trimpath -o $@ ./etcd

.PHONY: chart-tools
chart-tools: $(HELM3) $(HELM4) $(BIN)/kube-apiserver $(BIN)/etcd ## Build the helm CLIs, kube-apiserver and etcd the chart tests use.

.PHONY: test-chart
test-chart: chart-tools ## Test the chart: SDK render and lint, helm 3 and 4 CLIs, kube-apiserver validation, hardening, config parity.
	$(GO) test -tags charttest -count=1 -timeout 20m ./src/internal/charttest/...

.PHONY: chart-docs
chart-docs: ## Regenerate the values tables of charts/shop/README.md from the `# --` comments.
	SHOP_UPDATE_CHART_DOCS=1 $(GO) test -tags charttest -count=1 -run '^TestValuesTable$$' ./src/internal/charttest/
