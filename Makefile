# The developer's entry points. `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
# Tools built from Go modules live outside the checkout, one directory per
# tool and version, so every clone, worktree and CI run on a machine shares
# one build of each.
TOOLS     ?= $(HOME)/.cache/shop/tools
GOLANGCI_VERSION := v2.15.0
GOLANGCI  := $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
# make run records the recent traces in memory and serves them on :5005
# (SHOP_TRACES=memory); `make run SHOP_TRACES=` turns that off. The
# services' binaries and the benchmarks never set it, so tracing off stays
# free there.
SHOP_TRACES ?= memory
run: ## Start the whole shop in one process with embedded backends (recent traces on :5005).
	SHOP_TRACES=$(SHOP_TRACES) $(GO) run ./src/cmd/shop

.PHONY: build
build: ## Build every service binary into bin/.
	$(GO) build -trimpath -o $(BIN)/ ./src/cmd/...

# Every go test run goes through gotestsum, which keeps its test2json
# stream in $(TESTLOG); `make test` ends with a summary of all of them
# (src/tools/testsummary): each skipped test with its reason, each failure,
# and one count line.
GOTESTSUM_VERSION := v1.13.0
GOTESTSUM := $(TOOLS)/gotestsum-$(GOTESTSUM_VERSION)/gotestsum
TESTLOG   ?= $(CURDIR)/.test-results
# $(call gotest,NAME) runs go test with the flags after it, saving NAME.json.
gotest = mkdir -p $(TESTLOG) && $(GOTESTSUM) --format pkgname-and-test-fails --hide-summary=output --jsonfile $(TESTLOG)/$(1).json --

$(GOTESTSUM):
	GOBIN=$(dir $@) $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

# The parts run one after another even when one fails, so the summary
# covers them all; make test fails if any part did.
TEST_PARTS := test-mod test-go test-tracing test-browser test-fuzz test-chart test-workflows test-images test-monitoring

.PHONY: test
test: $(GOTESTSUM) ## Run every test (unit, contract, integration, tracing, fuzz, browser, chart, workflows, image recipe, monitoring), then summarise skips and failures.
	@rm -rf $(TESTLOG); status=0; \
	for part in $(TEST_PARTS); do $(MAKE) --no-print-directory $$part || status=1; done; \
	$(GO) run ./src/tools/testsummary $(TESTLOG) || status=1; \
	exit $$status

.PHONY: test-summary
test-summary: ## Summarise the last test run again: skipped tests and why, failures, counts.
	@$(GO) run ./src/tools/testsummary $(TESTLOG)

.PHONY: test-mod
test-mod: ## Check both modules' go.mod and go.sum are tidy (go mod tidy -diff prints what tidying would change).
	$(GO) mod tidy -diff
	cd src/tools && $(GO) mod tidy -diff

.PHONY: test-go
test-go: $(GOTESTSUM) ## Run the Go tests (integration tests use the local PostgreSQL and RabbitMQ).
	$(call gotest,go) -count=1 -p 2 -timeout 20m ./... ./src/tools/bench ./src/tools/seedgen ./src/tools/testsummary

# The browser tests live in the tools module (src/tools/browsertest), so
# chromedp stays out of the services' module; they build the shop from the
# checkout and drive it in headless Chromium (Debian package chromium).
.PHONY: test-browser
test-browser: $(GOTESTSUM) ## Run the browser tests of the storefront in headless Chromium.
	cd src/tools/browsertest && $(call gotest,browser) -count=1 -timeout 10m ./...

FUZZTIME ?= 5s

.PHONY: test-fuzz
test-fuzz: $(GOTESTSUM) ## Fuzz each target for FUZZTIME beyond its committed seed corpus.
	$(call gotest,fuzz-platform) -run='^$$' -fuzz='^FuzzDecodeJSONBytes$$' -fuzztime=$(FUZZTIME) ./src/internal/platform
	$(call gotest,fuzz-order) -run='^$$' -fuzz='^FuzzParseCreateRequest$$' -fuzztime=$(FUZZTIME) ./src/internal/order
	$(call gotest,fuzz-catalog) -run='^$$' -fuzz='^FuzzParseProductInput$$' -fuzztime=$(FUZZTIME) ./src/internal/catalog
	$(call gotest,fuzz-search) -run='^$$' -fuzz='^FuzzSearchText$$' -fuzztime=$(FUZZTIME) ./src/internal/search

.PHONY: fmt
fmt: ## Format the Go code.
	$(GO) fmt ./...

$(GOLANGCI):
	GOBIN=$(dir $@) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

.PHONY: lint
lint: $(GOLANGCI) ## Run go vet and golangci-lint.
	$(GO) vet ./...
	cd src/tools && $(GO) vet ./...
	$(GOLANGCI) run ./...

# The GitHub Actions workflows are checked by actionlint, which also runs
# shellcheck over their run: blocks when shellcheck is installed (.ci/run
# installs it; without it the target says so, and fails under
# SHOP_REQUIRE_INTEGRATION=1 like a missing backend).
ACTIONLINT_VERSION := v1.7.12

ACTIONLINT := $(TOOLS)/actionlint-$(ACTIONLINT_VERSION)/actionlint

$(ACTIONLINT):
	GOBIN=$(dir $@) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: test-workflows
test-workflows: $(ACTIONLINT) ## Lint the GitHub Actions workflows (actionlint, shellcheck).
	@if ! command -v shellcheck >/dev/null; then \
		if [[ "$${SHOP_REQUIRE_INTEGRATION:-}" == 1 ]]; then \
			echo "shellcheck is required (SHOP_REQUIRE_INTEGRATION=1): apt-get install shellcheck" >&2; exit 1; \
		fi; \
		echo "SKIPPED: shellcheck not installed, so the workflows' run: blocks are not checked (apt-get install shellcheck)" >&2; \
	fi
	$(ACTIONLINT) -no-color
	@# actionlint knows the inputs and outputs of popular actions by major
	@# version only (actions/checkout@v4), so the exact pins are checked a
	@# second time as major versions.
	@for f in .github/workflows/*.yml; do \
		sed -E 's/(uses: [^ @]+@v[0-9]+)(\.[0-9]+)+/\1/' "$$f" | $(ACTIONLINT) -no-color -stdin-filename "$$f" - || exit 1; \
	done

# The catalog and storefront scenarios cross-check the in-process load
# driver with wrk (Debian package wrk), installed here when missing; the
# order scenario needs pgbench (postgresql-client), PostgreSQL and RabbitMQ.
BENCH ?=

.PHONY: bench
bench: ## Run every benchmark (or BENCH="catalog-embedded frontend") and print each figure against its reference and target.
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(GO) run ./src/tools/bench $(BENCH)

# istioctl checks the rendered Istio objects (istioctl analyze). Istio tags no
# Go module versions, so it is pinned by the pseudo-version of a commit on its
# master branch (about 7 minutes to build on 2 cores, once per machine).
ISTIOCTL_VERSION := v0.0.0-20260827124520-eed52ebb66ad
ISTIOCTL := $(TOOLS)/istioctl-$(ISTIOCTL_VERSION)/istioctl
export SHOP_ISTIOCTL := $(ISTIOCTL)

$(ISTIOCTL):
	GOBIN=$(dir $@) $(GO) install istio.io/istio/istioctl/cmd/istioctl@$(ISTIOCTL_VERSION)

.PHONY: istioctl
istioctl: $(ISTIOCTL) ## Build istioctl, which the mesh tests use for istioctl analyze.

# Jaeger v2 (all-in-one, in-memory) is the real tracing backend of
# test-tracing. Its go.mod has a replace directive, so `go install` refuses
# it: scripts/jaeger is a wrapper module with the same replace that names
# its command as a tool (about 10 minutes to build on 2 cores, once per
# machine).
JAEGER_VERSION := v1.76.0
JAEGER := $(TOOLS)/jaeger-$(JAEGER_VERSION)/jaeger
export SHOP_JAEGER := $(JAEGER)

$(JAEGER):
	cd scripts/jaeger && GOWORK=off $(GO) build -trimpath -o $@ github.com/jaegertracing/jaeger/cmd/jaeger

.PHONY: jaeger
jaeger: $(JAEGER) ## Build Jaeger v2, the tracing backend test-tracing exports to.

.PHONY: test-tracing
test-tracing: $(JAEGER) $(GOTESTSUM) ## Place an order in the shop (PostgreSQL, RabbitMQ) exporting to a real Jaeger, and check its one trace.
	$(call gotest,tracing) -tags tracingtest -count=1 -timeout 5m -run '^TestOrderIsOneTrace$$' ./src/cmd/shop

# The Helm chart's tests (src/tools/charttest, build tag charttest) need the
# helm 3 and helm 4 CLIs and a kube-apiserver with etcd, all built from Go
# modules at pinned versions into $(TOOLS) (the kube tools' directory is named
# by a hash of what pins them).
HELM3_VERSION := v3.22.0
HELM4_VERSION := v4.3.1
KUBE_TOOLS := scripts/kube-tools
HELM3      := $(TOOLS)/helm-$(HELM3_VERSION)/helm
HELM4      := $(TOOLS)/helm-$(HELM4_VERSION)/helm
KUBE_BIN   := $(TOOLS)/kube-$(shell sha256sum $(KUBE_TOOLS)/go.sum $(KUBE_TOOLS)/etcd/main.go | sha256sum | cut -c1-12)
# The chart tests find the tools through these.
export SHOP_HELM3 := $(HELM3)
export SHOP_HELM4 := $(HELM4)
export SHOP_KUBE_BIN := $(KUBE_BIN)

$(HELM3):
	GOBIN=$(dir $@) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)

$(HELM4):
	GOBIN=$(dir $@) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM4_VERSION)

# The version is stamped in as Kubernetes' own build does, so discovery
# reports v1.34.4 and charts' kubeVersion constraints can be checked.
KUBE_VERSION_LDFLAGS := $(foreach kv,gitVersion=v1.34.4 gitMajor=1 gitMinor=34 gitTreeState=clean,-X k8s.io/component-base/version.$(kv))

$(KUBE_BIN)/kube-apiserver:
	cd $(KUBE_TOOLS) && GOWORK=off $(GO) build -trimpath -ldflags '$(KUBE_VERSION_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(KUBE_BIN)/etcd:
	cd $(KUBE_TOOLS) && GOWORK=off $(GO) build -trimpath -o $@ ./etcd

.PHONY: chart-tools
chart-tools: $(HELM3) $(HELM4) $(KUBE_BIN)/kube-apiserver $(KUBE_BIN)/etcd ## Build the helm CLIs, kube-apiserver and etcd the chart tests use.

# The chart harness is in the tools module, so the services' module does not
# require the Helm SDK, the Kubernetes libraries and controller-runtime.
CHARTTEST := src/tools/charttest

# The dependency charts of charts/shop, as `helm dependency build` leaves them
# in charts/shop/charts/ (git-ignored). Where the chart repositories are out of
# reach, CHART_DEPS names a directory of the same archives (checked against
# its SHA256SUMS); the default is the machine's shared copy when there is one.
# Otherwise the repositories of ct.yaml are added and Chart.lock is built.
CHART_DEPS ?= $(firstword $(wildcard ../shared/chart-deps ../../shared/chart-deps))

.PHONY: chart-deps
chart-deps: $(HELM3) ## Put the pinned dependency charts in charts/shop/charts/ (copied from CHART_DEPS, or helm dependency build).
	@if [ -n "$(CHART_DEPS)" ]; then \
		(cd $(CHART_DEPS) && sha256sum --quiet -c SHA256SUMS) && \
		rm -f charts/shop/charts/*.tgz && \
		cp $(CHART_DEPS)/*.tgz charts/shop/charts/ && \
		echo "chart-deps: copied from $(CHART_DEPS)"; \
	else \
		sed -n 's/^[[:space:]]*-[[:space:]]*\([A-Za-z0-9_-]*\)=\(https\{0,1\}:.*\)$$/\1 \2/p' ct.yaml | \
			while read -r name url; do $(HELM3) repo add "$$name" "$$url" --force-update || exit 1; done && \
		$(HELM3) dependency build charts/shop; \
	fi

.PHONY: test-chart
test-chart: chart-tools chart-deps $(ISTIOCTL) $(GOTESTSUM) ## Test the chart: SDK render and lint, helm 3 and 4 CLIs, kube-apiserver validation, istioctl analyze, hardening, config parity, access matrix.
	cd $(CHARTTEST) && $(call gotest,chart) -tags charttest -count=1 -timeout 20m ./...

.PHONY: chart-lock
chart-lock: ## Rewrite charts/shop/Chart.lock from the exact pins of Chart.yaml (what helm dependency update writes).
	cd $(CHARTTEST) && SHOP_UPDATE_CHART_LOCK=1 $(GO) test -tags charttest -count=1 -run '^TestChartLock$$' .

.PHONY: chart-schemas
chart-schemas: ## Regenerate the service charts' values.schema.json from charts/shop/charts/shop-lib/service-values.schema.json and each values.schema.service.json.
	cd $(CHARTTEST) && SHOP_UPDATE_CHART_SCHEMAS=1 $(GO) test -tags charttest -count=1 -run '^TestServiceSchemasCurrent$$' .

.PHONY: chart-examples
chart-examples: chart-deps ## Rewrite the rendered manifests of each environment profile under charts/shop/examples/.
	cd $(CHARTTEST) && SHOP_UPDATE_CHART_EXAMPLES=1 $(GO) test -tags charttest -count=1 -run '^TestRenderedExamplesCurrent$$' .

# The access matrix with real traffic needs a cluster that enforces
# NetworkPolicies (the minicluster with MC_NETPOL=kube-router on this machine).
.PHONY: test-netpol
test-netpol: $(HELM3) ## Check the NetworkPolicies' access matrix with real traffic in the local cluster (scripts/e2e/phases/netpol-matrix.sh).
	@if [[ ! -f /var/lib/minicluster/env && -z "$${KUBECONFIG:-}" ]]; then \
		if [[ "$${SHOP_REQUIRE_INTEGRATION:-}" == 1 ]]; then \
			echo "no cluster (/var/lib/minicluster/env or KUBECONFIG) for the NetworkPolicy check; SHOP_REQUIRE_INTEGRATION=1 makes this a failure" >&2; exit 1; \
		fi; \
		echo "SKIPPED: no cluster (/var/lib/minicluster/env or KUBECONFIG), so the NetworkPolicies are not checked with real traffic" >&2; exit 0; \
	fi; \
	if [[ -f /var/lib/minicluster/env ]]; then source /var/lib/minicluster/env; fi; \
	HELM=$(HELM3) scripts/e2e/phases/netpol-matrix.sh

.PHONY: chart-docs
chart-docs: ## Regenerate the values tables of charts/shop/README.md from the `# --` comments.
	cd $(CHARTTEST) && SHOP_UPDATE_CHART_DOCS=1 $(GO) test -tags charttest -count=1 -run '^TestValuesTable$$' .

# Images without a container engine: the service binaries and the probe,
# static, packed by src/tools/imagebuild (go-containerregistry, in the tools module)
# into one OCI tarball per service with the Dockerfile's user, entrypoint and
# labels. `ctr images import` and `kind load image-archive` load them.
SERVICES      := catalog search order frontend
# The images: the four services and the load generator (loadgenerator.enabled).
IMAGES        := $(SERVICES) loadgen
IMAGE_REPO    ?= ghcr.io/shop-platform
IMAGE_TAG     ?= dev
IMAGE_ARCH    ?= amd64
IMAGES_DIR    ?= $(BIN)/images
IMAGE_BINS    := $(BIN)/linux-$(IMAGE_ARCH)
IMAGEBUILD_SRC := src/tools/imagebuild
IMAGEBUILD    := $(TOOLS)/imagebuild-$(shell cat src/tools/go.sum $(IMAGEBUILD_SRC)/*.go | sha256sum | cut -c1-12)/imagebuild

$(IMAGEBUILD):
	cd $(IMAGEBUILD_SRC) && $(GO) build -trimpath -o $@ .

.PHONY: images
images: $(IMAGEBUILD) ## Build each service's and the load generator's OCI image tarball into bin/images/ (IMAGE_REPO, IMAGE_TAG), no Docker.
	GOWORK=off CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags="-s -w" -o $(IMAGE_BINS)/ \
		$(foreach s,$(IMAGES) probe,./src/cmd/$(s))
	@mkdir -p $(IMAGES_DIR)
	@for s in $(IMAGES); do \
		$(IMAGEBUILD) -service $$s -bin $(IMAGE_BINS)/$$s -probe $(IMAGE_BINS)/probe -arch $(IMAGE_ARCH) \
			-tag $(IMAGE_REPO)/$$s:$(IMAGE_TAG) -o $(IMAGES_DIR)/$$s.tar || exit 1; \
	done

.PHONY: test-images
test-images: $(GOTESTSUM) ## Test the image recipe against the Dockerfile (src/tools/imagebuild).
	cd $(IMAGEBUILD_SRC) && $(call gotest,images) -count=1 ./...

# The end-to-end test installs the chart for real into the cluster KUBECONFIG
# points at (see docs/e2e.md): images from this checkout, helm test, a
# shopper's order, upgrade, rollback and pod loss under load.
# A tag of its own per run: the commit and the time, since the tree may differ
# from the commit.
E2E_IMAGE_TAG ?= e2e-$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo local)-$(shell date +%s)
E2E_TIMEOUT   ?= 40m

.PHONY: e2e
e2e: $(HELM3) ## Install the chart into the KUBECONFIG cluster and test it end to end (docs/e2e.md).
	HELM=$(HELM3) MAKE='$(MAKE)' IMAGES_DIR=$(IMAGES_DIR) IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG='$(E2E_IMAGE_TAG)' \
		timeout --foreground --kill-after=30s $(E2E_TIMEOUT) scripts/e2e/e2e.sh

# The load generator, the soak and the resilience drill (docs/loadgen.md).
# Soak and drill run the four per-service binaries as processes, so each
# can be measured and signalled on its own.
LOADGEN_ARGS  ?=
SOAK_DURATION ?= 10m
SOAK_ARGS     ?=
DRILL_ARGS    ?=
DRILL_PLOT    ?= $(BIN)/drill.png

.PHONY: service-bins
service-bins:
	$(GO) build -trimpath -o $(BIN)/ ./src/cmd/catalog ./src/cmd/search ./src/cmd/order ./src/cmd/frontend ./src/cmd/loadgen

.PHONY: loadgen
loadgen: service-bins ## Simulated shoppers against a running shop (make run); LOADGEN_ARGS='-users 20 -duration 2m'.
	$(BIN)/loadgen $(LOADGEN_ARGS)

.PHONY: soak
soak: service-bins ## SOAK_DURATION (10m) of shoppers on PostgreSQL and RabbitMQ: error rate < 0.1%, memory levels off.
	$(BIN)/loadgen soak -bin $(BIN) -duration $(SOAK_DURATION) -json $(BIN)/soak.json $(SOAK_ARGS)

.PHONY: drill
drill: service-bins ## Shoppers while the broker, PostgreSQL and each service fail in turn; then the order accounting.
	$(BIN)/loadgen drill -bin $(BIN) -json $(BIN)/drill.json -plot $(DRILL_PLOT) $(DRILL_ARGS)

# Dashboards and alert rules (monitoring/) are generated by
# src/tools/monitoringgen, in the tools module so the services' module does not
# depend on the Grafana SDK. Its tests check the generated files are current,
# and run a real Prometheus (built from the module proxy, about 5 minutes the
# first time) against the running shop.
PROMETHEUS_VERSION := v0.316.0
PROMTOOL   := $(TOOLS)/promtool-$(PROMETHEUS_VERSION)/promtool
PROMETHEUS := $(TOOLS)/prometheus-$(PROMETHEUS_VERSION)/prometheus
export SHOP_PROMETHEUS := $(PROMETHEUS)

$(PROMTOOL):
	GOBIN=$(dir $@) $(GO) install github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)

$(PROMETHEUS):
	GOBIN=$(dir $@) $(GO) install github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION)

.PHONY: monitoring-tools
monitoring-tools: $(PROMTOOL) $(PROMETHEUS) ## Build promtool and Prometheus for the monitoring tests.

.PHONY: monitoring
monitoring: ## Regenerate the dashboards and rules of monitoring/ (and the chart's copies) from src/tools/monitoringgen.
	cd src/tools/monitoringgen && $(GO) run . -root ../../..

.PHONY: test-monitoring
test-monitoring: monitoring-tools $(GOTESTSUM) ## Check the alert rules with promtool (unit tests per alert), the dashboards, and both against a real Prometheus scraping the shop.
	$(PROMTOOL) check rules monitoring/rules/*.yaml
	$(PROMTOOL) test rules monitoring/tests/*.yaml
	cd src/tools/monitoringgen && $(GO) vet ./... && $(call gotest,monitoring) -count=1 -timeout 15m ./...

.PHONY: monitoring-png
monitoring-png: monitoring-tools ## Redraw monitoring/overview.png from a live Prometheus scraping the shop.
	cd src/tools/monitoringgen && SHOP_UPDATE_MONITORING_PNG=1 $(GO) test -count=1 -timeout 15m -run '^TestLivePrometheus$$' ./...
