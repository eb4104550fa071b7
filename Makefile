# The developer's entry points. `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := $(CURDIR)/bin
# One set of build flags for all that make builds, tests and runs: static
# and -trimpath, as the images' binaries must be. Go keeps a compiled
# package per set of flags, so with one set the images, the service
# binaries, make run and the tests share each package's compilation
# instead of compiling every dependency twice on a machine with empty
# caches. (The GOFLAGS of `go env` are kept.) Without DWARF, the debugger's
# tables, a cold compile and link take 9 % less CPU and binaries are a third
# smaller (docs/benchmarks.md, "Cold make run"); stack traces and profiles
# keep their files and lines, and `dlv debug` builds with its own flags.
export CGO_ENABLED := 0
BUILD_FLAGS := -trimpath -gcflags=all=-dwarf=false -ldflags=-w
export GOFLAGS := $(strip $(filter-out $(BUILD_FLAGS),$(shell $(GO) env GOFLAGS)) $(BUILD_FLAGS))
# Tools built from Go modules live outside the checkout, one directory per
# tool and version, so every clone, worktree and CI run on a machine shares
# one build of each.
TOOLS     ?= $(HOME)/.cache/shop/tools
GOLANGCI_VERSION := v2.15.0
GOLANGCI  := $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
# make run records the recent traces in memory and serves them on :5006
# (SHOP_TRACES=memory); `make run SHOP_TRACES=` turns that off. The
# services' binaries and the benchmarks never set it, so tracing off stays
# free there. The embedded build tag leaves the Elasticsearch and Stripe
# clients out of make run's binary, a fifth of its cold compile
# (docs/benchmarks.md, "Cold make run"); the service binaries keep them.
SHOP_TRACES ?= memory
run: ## Start the whole shop in one process with embedded backends (recent traces on :5006).
	SHOP_TRACES=$(SHOP_TRACES) $(GO) run -tags embedded ./src/cmd/shop

.PHONY: build
build: ## Build every service binary into bin/.
	$(GO) build -trimpath -o $(BIN)/ ./src/cmd/...

# Every go test run goes through gotestsum, which keeps its test2json
# stream in $(TESTLOG); `make test` ends with a summary of all of them
# (src/tools/testsummary, which reads them with gotestsum's own testjson):
# each skipped test with its reason, each failure, and one count line. The
# tools module's go.mod pins the one gotestsum version both use.
GOTESTSUM_VERSION := $(shell awk '$$1 == "gotest.tools/gotestsum" {print $$2}' src/tools/go.mod)
GOTESTSUM := $(TOOLS)/gotestsum-$(GOTESTSUM_VERSION)/gotestsum
TESTLOG   ?= $(CURDIR)/.test-results
# $(call gotest,NAME) runs go test with the flags after it, saving NAME.json.
gotest = mkdir -p $(TESTLOG) && $(GOTESTSUM) --format pkgname-and-test-fails --hide-summary=output --jsonfile $(TESTLOG)/$(1).json --

$(GOTESTSUM):
	GOBIN=$(dir $@) $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

# The parts run one after another even when one fails, so the summary
# covers them all; make test fails if any part did. Each part's time,
# builds included, is printed last: on a machine with empty caches that is
# where a slow run's minutes went.
TEST_PARTS := test-mod test-go test-tracing test-browser test-fuzz test-chart test-workflows test-scripts test-images test-monitoring

.PHONY: test
test: $(GOTESTSUM) ## Run every test (unit, contract, integration, tracing, fuzz, browser, chart, workflows, image recipe, monitoring), then summarise skips and failures.
	@rm -rf $(TESTLOG); status=0; times=""; \
	for part in $(TEST_PARTS); do \
		start=$$(date +%s); $(MAKE) --no-print-directory $$part || status=1; \
		times="$$times$$(printf '%6ss  %s' $$(( $$(date +%s) - start )) $$part)\n"; \
	done; \
	$(GO) run ./src/tools/testsummary $(TESTLOG) || status=1; \
	printf 'make test, each part with its builds:\n%b' "$$times"; \
	exit $$status

.PHONY: test-summary
test-summary: ## Summarise the last test run again: skipped tests and why, failures, counts.
	@$(GO) run ./src/tools/testsummary $(TESTLOG)

# Both modules tidy, and one version of each dependency across the
# workspace: `go work sync` (which raises each module's requirements to the
# workspace's build list) would change no go.mod. It runs on copies, so the
# checkout is never changed.
.PHONY: test-mod
test-mod: ## Check both modules are tidy (go mod tidy -diff) and go work sync would change nothing.
	$(GO) mod tidy -diff
	cd src/tools && $(GO) mod tidy -diff
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		mkdir -p "$$tmp/src/tools" && cp go.work go.mod go.sum "$$tmp/" && cp src/tools/go.mod src/tools/go.sum "$$tmp/src/tools/" && \
		(cd "$$tmp" && $(GO) work sync) && \
		diff -u go.mod "$$tmp/go.mod" && diff -u src/tools/go.mod "$$tmp/src/tools/go.mod" && \
		echo "go work sync: both modules already require one version of each shared dependency"

# stripe-mock, Stripe's official mock of its API, is the server the Stripe
# adapter of the payment service is tested against (seconds to build).
STRIPE_MOCK_VERSION := v0.203.0
STRIPE_MOCK := $(TOOLS)/stripe-mock-$(STRIPE_MOCK_VERSION)/stripe-mock
export SHOP_STRIPE_MOCK := $(STRIPE_MOCK)

$(STRIPE_MOCK):
	GOBIN=$(dir $@) $(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

.PHONY: stripe-mock
stripe-mock: $(STRIPE_MOCK) ## Build stripe-mock, which the payment service's Stripe adapter is tested against.

.PHONY: test-go
test-go: $(GOTESTSUM) $(STRIPE_MOCK) ## Run the Go tests (integration tests use the local PostgreSQL and RabbitMQ).
	$(call gotest,go) -count=1 -p 2 -timeout 20m ./... ./src/tools/bench ./src/tools/drill ./src/tools/seedgen ./src/tools/testsummary

# The browser tests live in the tools module (src/tools/browsertest), so
# chromedp stays out of the services' module; they build the shop from the
# checkout and drive it in headless Chromium (Debian package chromium).
.PHONY: test-browser
test-browser: $(GOTESTSUM) ## Run the browser tests of the storefront in headless Chromium.
	cd src/tools/browsertest && $(call gotest,browser) -count=1 -timeout 10m ./...

# Mailpit, an SMTP server with an HTTP API, is the server the order
# service's receipts are tested against (src/internal/order/mailpit_test.go):
# built once per machine like the other tools; the tests find it through
# SHOP_MAILPIT (missing: a loud skip, a failure under SHOP_REQUIRE_INTEGRATION=1).
MAILPIT_VERSION := v1.33.1
MAILPIT := $(TOOLS)/mailpit-$(MAILPIT_VERSION)/mailpit
export SHOP_MAILPIT := $(MAILPIT)

$(MAILPIT):
	GOBIN=$(dir $@) $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

.PHONY: mailpit
mailpit: $(MAILPIT) ## Build Mailpit, the SMTP server the order receipts are tested against.

# The Go tests need Mailpit (an extra prerequisite of test-go).
test-go: $(MAILPIT)

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
	@# version only (actions/checkout@v4), so the commit pins are checked a
	@# second time as the major version of their comment
	@# (`uses: actions/checkout@<sha> # v4.2.2` as actions/checkout@v4).
	@for f in .github/workflows/*.yml; do \
		sed -E 's/(uses: [^ @]+@)[0-9a-f]{40} # (v[0-9]+)(\.[0-9]+)*$$/\1\2/' "$$f" | $(ACTIONLINT) -no-color -stdin-filename "$$f" - || exit 1; \
	done
	@# Every remote action is pinned by commit SHA with its version (src/tools/charttest).
	cd $(CHARTTEST) && $(GO) test -tags charttest -count=1 -run '^(TestWorkflowActionsPinnedBySHA|TestUsesViolationCatchesTags)$$' .

# Every shell script that remains (scripts/, .ci/run) is checked by
# shellcheck, as the workflows' run: blocks are (.ci/run installs it;
# without it the target says so, and fails under SHOP_REQUIRE_INTEGRATION=1).
SCRIPTS := .ci/run $(shell find scripts -name '*.sh')

.PHONY: test-scripts
test-scripts: ## Check every shell script (scripts/, .ci/run) with shellcheck.
	@if ! command -v shellcheck >/dev/null; then \
		if [[ "$${SHOP_REQUIRE_INTEGRATION:-}" == 1 ]]; then \
			echo "shellcheck is required (SHOP_REQUIRE_INTEGRATION=1): apt-get install shellcheck" >&2; exit 1; \
		fi; \
		echo "SKIPPED: shellcheck not installed, so scripts/ and .ci/run are not checked (apt-get install shellcheck)" >&2; exit 0; \
	fi; \
	shellcheck $(SCRIPTS) && echo "shellcheck: $(words $(SCRIPTS)) scripts clean"

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
# helm 3 and helm 4 CLIs, built into $(TOOLS), and a kube-apiserver with etcd
# of Kubernetes 1.34: the local minicluster's own binaries when its `up.sh
# build` made them (.ci/run runs it), so they are built once per machine;
# elsewhere (GitHub Actions) those controller-runtime's setup-envtest
# downloads, as the field gets them. The CLIs are tools of the tools module
# (the tool lines of src/tools/go.mod pin their versions): built there, they
# compile against the Helm SDK and Kubernetes libraries the chart and e2e
# harnesses already compile, the same versions, instead of compiling all of
# it twice more (on a cold 2-core machine 316 s of CPU the two `go install`s
# spent beyond the harness, 32 s this way).
tool_version = $(shell sed -n 's|^\t$(1) \(v[^ ]*\).*|\1|p' src/tools/go.mod)
HELM3_VERSION := $(call tool_version,helm.sh/helm/v3)
HELM4_VERSION := $(call tool_version,helm.sh/helm/v4)
HELM3      := $(TOOLS)/helm-$(HELM3_VERSION)-tools-module/helm
HELM4      := $(TOOLS)/helm-$(HELM4_VERSION)-tools-module/helm
MINICLUSTER_KUBE_BIN ?= $(HOME)/.cache/minicluster/bin-1.34.4
SETUP_ENVTEST_VERSION := v0.25.1
SETUP_ENVTEST := $(TOOLS)/setup-envtest-$(SETUP_ENVTEST_VERSION)/setup-envtest
ENVTEST_K8S_VERSION := 1.34.1
ifneq ($(wildcard $(MINICLUSTER_KUBE_BIN)/kube-apiserver),)
KUBE_BIN := $(MINICLUSTER_KUBE_BIN)
else
KUBE_BIN := $(TOOLS)/envtest/k8s/$(ENVTEST_K8S_VERSION)-$(shell $(GO) env GOOS)-$(shell $(GO) env GOARCH)

$(KUBE_BIN)/kube-apiserver: | $(SETUP_ENVTEST)
	$(SETUP_ENVTEST) use $(ENVTEST_K8S_VERSION) --bin-dir $(TOOLS)/envtest

$(KUBE_BIN)/etcd: $(KUBE_BIN)/kube-apiserver
endif
# The chart tests find the tools through these.
export SHOP_HELM3 := $(HELM3)
export SHOP_HELM4 := $(HELM4)
export SHOP_KUBE_BIN := $(KUBE_BIN)

$(HELM3):
	cd src/tools && $(GO) build -o $@ helm.sh/helm/v3/cmd/helm

$(HELM4):
	cd src/tools && $(GO) build -o $@ helm.sh/helm/v4/cmd/helm

$(SETUP_ENVTEST):
	GOBIN=$(dir $@) $(GO) install sigs.k8s.io/controller-runtime/tools/setup-envtest@$(SETUP_ENVTEST_VERSION)

.PHONY: chart-tools
chart-tools: $(HELM3) $(HELM4) $(KUBE_BIN)/kube-apiserver $(KUBE_BIN)/etcd ## Build the helm CLIs; find or download kube-apiserver and etcd for the chart tests.

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
test-netpol: ## Check the NetworkPolicies' access matrix with real traffic in the local cluster (make e2e's NetworkPolicies phase alone).
	@$(MAKE) --no-print-directory e2e E2E_RUN=NetworkPolicies

.PHONY: chart-docs
chart-docs: ## Regenerate the values tables of charts/shop/README.md from the `# --` comments.
	cd $(CHARTTEST) && SHOP_UPDATE_CHART_DOCS=1 $(GO) test -tags charttest -count=1 -run '^TestValuesTable$$' .

# Images without a container engine: the service binaries and the probe,
# static, packed by src/tools/imagebuild (go-containerregistry, in the tools module)
# into one OCI tarball per service with the Dockerfile's user, entrypoint and
# labels. `ctr images import` and `kind load image-archive` load them.
SERVICES      := catalog search order payment frontend
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

# The end-to-end test (src/tools/e2e, Go tests with the build tag e2e)
# installs the chart for real into the cluster KUBECONFIG points at, the
# local minicluster's when KUBECONFIG is unset (docs/e2e.md): images from
# this checkout, helm test, a shopper's order, upgrade, rollback and pod loss
# under load, the load generator drill, the NetworkPolicies with real
# traffic. E2E_RUN=Upgrade runs one phase (the suite installs what it needs).
# A tag of its own per run: the commit and the time, since the tree may
# differ from the commit.
E2E_IMAGE_TAG ?= e2e-$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo local)-$(shell date +%s)
E2E_TIMEOUT   ?= 40m
E2E_RUN       ?=
MINICLUSTER_ENV := /var/lib/minicluster/env

# The Monitoring phase installs kube-prometheus-stack from CHART_DEPS; in the
# local minicluster its images are built and imported first (elsewhere the
# cluster pulls them).
.PHONY: e2e
e2e: $(GOTESTSUM) $(HELM3) ## Install the chart into the KUBECONFIG cluster and test it end to end, monitoring stack included (docs/e2e.md; E2E_RUN=<Phase> runs one).
	@if [[ -f $(MINICLUSTER_ENV) && ( -z "$(E2E_RUN)" || "$(E2E_RUN)" == Monitoring ) ]]; then \
		$(MAKE) --no-print-directory monitoring-images; fi
	@if [[ -z "$${KUBECONFIG:-}" && -f $(MINICLUSTER_ENV) ]]; then source $(MINICLUSTER_ENV); fi; \
	mkdir -p $(TESTLOG) && cd src/tools/e2e && \
	$(if $(CHART_DEPS),export $(MONSTACK_ENV) &&) \
	MAKE='$(MAKE)' IMAGES_DIR=$(IMAGES_DIR) IMAGE_REPO=$(IMAGE_REPO) E2E_IMAGE_TAG='$(E2E_IMAGE_TAG)' E2E_TIMEOUT=$(E2E_TIMEOUT) \
		$(GOTESTSUM) --format standard-verbose --jsonfile $(TESTLOG)/e2e.json -- \
		-tags e2e -count=1 -timeout 2h -run 'E2E/$(E2E_RUN)' .

# The load generator (src/cmd/loadgen), and the soak and the resilience
# drill (src/tools/drill, tooling that does not ship), all shopping through
# src/internal/shopper (docs/loadgen.md). Soak and drill run the five
# per-service binaries as processes, so each can be measured and signalled
# on its own.
LOADGEN_ARGS  ?=
SOAK_DURATION ?= 10m
SOAK_ARGS     ?=
DRILL_ARGS    ?=
DRILL_PLOT    ?= $(BIN)/drill.png

.PHONY: service-bins
service-bins:
	$(GO) build -trimpath -o $(BIN)/ ./src/cmd/catalog ./src/cmd/search ./src/cmd/order ./src/cmd/payment ./src/cmd/frontend ./src/cmd/loadgen
	cd src/tools && $(GO) build -trimpath -o $(BIN)/ ./drill

.PHONY: loadgen
loadgen: service-bins ## Simulated shoppers against a running shop (make run); LOADGEN_ARGS='-users 20 -duration 2m'.
	$(BIN)/loadgen $(LOADGEN_ARGS)

.PHONY: soak
soak: service-bins ## SOAK_DURATION (10m) of shoppers on PostgreSQL and RabbitMQ: error rate < 0.1%, memory levels off.
	$(BIN)/drill soak -bin $(BIN) -duration $(SOAK_DURATION) -json $(BIN)/soak.json $(SOAK_ARGS)

.PHONY: drill
drill: service-bins ## Shoppers while the broker, PostgreSQL and each service fail in turn; then the order accounting (DRILL_ARGS=-gap=5s: shorter).
	$(BIN)/drill -bin $(BIN) -json $(BIN)/drill.json -plot $(DRILL_PLOT) $(DRILL_ARGS)

# Dashboards and alert rules (monitoring/) are generated by
# src/tools/monitoringgen, in the tools module so the services' module does not
# depend on the Grafana SDK. Its tests check the generated files are current,
# and run a real Prometheus (built from the module proxy, about 5 minutes the
# first time) against the running shop.
PROMETHEUS_VERSION := v0.316.0
PROMTOOL   := $(TOOLS)/promtool-$(PROMETHEUS_VERSION)/promtool
PROMETHEUS := $(TOOLS)/prometheus-$(PROMETHEUS_VERSION)-static/prometheus
export SHOP_PROMETHEUS := $(PROMETHEUS)

$(PROMTOOL):
	GOBIN=$(dir $@) $(GO) install github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)

$(PROMETHEUS):
	CGO_ENABLED=0 GOBIN=$(dir $@) $(GO) install github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION)

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

# The real Prometheus Operator stack in the local cluster
# (docs/monitoring-stack.md): kube-prometheus-stack from CHART_DEPS, its
# images built from the module proxy, static, cached in $(TOOLS) like the
# other tools and imported into the node's containerd under the names the
# chart gives them. Prometheus is the binary above (test-monitoring runs the
# same one), so its tag is overridden in the stack's values: v3.16.0, not the
# chart's v3.14.0.
PROMETHEUS_IMAGE_TAG        := v3.16.0
PROMETHEUS_OPERATOR_VERSION := v0.93.1
ALERTMANAGER_VERSION        := v0.34.0
KUBE_STATE_METRICS_VERSION  := v2.20.0
PROMETHEUS_OPERATOR := $(TOOLS)/prometheus-operator-$(PROMETHEUS_OPERATOR_VERSION)/operator
CONFIG_RELOADER     := $(TOOLS)/prometheus-operator-$(PROMETHEUS_OPERATOR_VERSION)/prometheus-config-reloader
ALERTMANAGER        := $(TOOLS)/alertmanager-$(ALERTMANAGER_VERSION)/alertmanager
KUBE_STATE_METRICS  := $(TOOLS)/kube-state-metrics-$(KUBE_STATE_METRICS_VERSION)/kube-state-metrics
# Version stamps as the projects' own builds set them (the operator names its
# default reloader image after its own version).
version_ldflags = -ldflags '-X github.com/prometheus/common/version.Version=$(1)'

# The operator's go.mod has replace directives, so `go install` refuses it:
# scripts/prometheus-operator is a wrapper module naming both commands.
$(PROMETHEUS_OPERATOR) $(CONFIG_RELOADER) &:
	cd scripts/prometheus-operator && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath $(call version_ldflags,$(PROMETHEUS_OPERATOR_VERSION:v%=%)) \
		-o $(dir $@) github.com/prometheus-operator/prometheus-operator/cmd/operator github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader

# Alertmanager's module lacks its web UI build (ui/app/dist, made by npm
# upstream), which it embeds: `go install` fails on the //go:embed. It is
# built in a copy of the module with a one-line page in its place; the API
# is complete, only the UI is absent (as in the headless Prometheus).
$(ALERTMANAGER):
	@set -e; src=$$(mktemp -d); trap 'chmod -R u+w '"$$src"'; rm -rf '"$$src" EXIT; \
	dir=$$(cd "$$src" && GOWORK=off $(GO) mod download -json github.com/prometheus/alertmanager@$(ALERTMANAGER_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	cp -R "$$dir/." "$$src/" && chmod -R u+w "$$src" && mkdir -p "$$src/ui/app/dist"; \
	echo '<!doctype html><title>Alertmanager</title><p>Built without its web UI: use the API (/api/v2).' >"$$src/ui/app/dist/index.html"; \
	cd "$$src" && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath $(call version_ldflags,$(ALERTMANAGER_VERSION:v%=%)) -o $@ ./cmd/alertmanager

$(KUBE_STATE_METRICS):
	CGO_ENABLED=0 GOBIN=$(dir $@) $(GO) install -trimpath $(call version_ldflags,$(KUBE_STATE_METRICS_VERSION)) k8s.io/kube-state-metrics/v2@$(KUBE_STATE_METRICS_VERSION)

# The stack's binaries but Prometheus, which make test builds too: .ci/run
# builds these beside make test, so no binary is built twice at once.
.PHONY: monitoring-operator-tools
monitoring-operator-tools: $(PROMETHEUS_OPERATOR) $(CONFIG_RELOADER) $(ALERTMANAGER) $(KUBE_STATE_METRICS)

.PHONY: monitoring-stack-tools
monitoring-stack-tools: $(PROMETHEUS) monitoring-operator-tools ## Build the monitoring stack's binaries (operator, reloader, Prometheus, Alertmanager, kube-state-metrics).

# Each image as reference,binary,entrypoint, the entrypoints of the
# projects' own images. `up.sh image` packs a static binary into a scratch
# image; an image already in the node is not imported again.
MINICLUSTER ?= $(firstword $(wildcard ../shared/minicluster ../../shared/minicluster))
MONITORING_IMAGES := \
	quay.io/prometheus-operator/prometheus-operator:$(PROMETHEUS_OPERATOR_VERSION),$(PROMETHEUS_OPERATOR),/bin/operator \
	quay.io/prometheus-operator/prometheus-config-reloader:$(PROMETHEUS_OPERATOR_VERSION),$(CONFIG_RELOADER),/bin/prometheus-config-reloader \
	quay.io/prometheus/prometheus:$(PROMETHEUS_IMAGE_TAG),$(PROMETHEUS),/bin/prometheus \
	quay.io/prometheus/alertmanager:$(ALERTMANAGER_VERSION),$(ALERTMANAGER),/bin/alertmanager \
	registry.k8s.io/kube-state-metrics/kube-state-metrics:$(KUBE_STATE_METRICS_VERSION),$(KUBE_STATE_METRICS),/kube-state-metrics
MINICLUSTER_ENV := /var/lib/minicluster/env

.PHONY: monitoring-images
monitoring-images: monitoring-stack-tools ## Import the monitoring stack's images into the local cluster (../shared/minicluster), under the chart's names.
	@[[ -f $(MINICLUSTER_ENV) && -x "$(MINICLUSTER)/up.sh" ]] || { echo "no local cluster ($(MINICLUSTER_ENV), MINICLUSTER=$(MINICLUSTER)) to import the images into" >&2; exit 1; }
	@source $(MINICLUSTER_ENV) && for image in $(MONITORING_IMAGES); do \
		IFS=, read -r ref bin entrypoint <<<"$$image"; \
		if [[ -n $$(ctr -n k8s.io images ls -q "name==$$ref") ]]; then echo "$$ref: already imported"; continue; fi; \
		"$(MINICLUSTER)/up.sh" image "$$ref" "$$bin" "$$entrypoint" || exit 1; \
	done

# kube-prometheus-stack from the pinned archives (CHART_DEPS, checked against
# their SHA256SUMS), installed by src/tools/monstack with its values.
KPS_VERSION := 88.5.3
MONSTACK_ENV = SHOP_KPS_CHART=$(abspath $(CHART_DEPS))/kube-prometheus-stack-$(KPS_VERSION).tgz
check-chart-deps = @[[ -n "$(CHART_DEPS)" ]] && (cd $(CHART_DEPS) && sha256sum --quiet -c SHA256SUMS) || \
	{ echo "CHART_DEPS names no directory of the pinned dependency charts (../shared/chart-deps)" >&2; exit 1; }

.PHONY: monitoring-stack
monitoring-stack: monitoring-images $(HELM3) ## Build, import and install kube-prometheus-stack in the local cluster (namespace monitoring; docs/monitoring-stack.md).
	$(check-chart-deps)
	source $(MINICLUSTER_ENV) && cd src/tools && export $(MONSTACK_ENV) && $(GO) run ./monstack/cmd/monstack install

.PHONY: monitoring-stack-uninstall
monitoring-stack-uninstall: $(HELM3) ## Uninstall kube-prometheus-stack and its namespace from the local cluster (its CRDs stay).
	$(check-chart-deps)
	source $(MINICLUSTER_ENV) && cd src/tools && export $(MONSTACK_ENV) && $(GO) run ./monstack/cmd/monstack uninstall

.PHONY: test-monstack
test-monstack: ## Check the shop under the real Prometheus Operator stack in the local cluster (make e2e's Monitoring phase alone).
	$(MAKE) --no-print-directory e2e E2E_RUN=Monitoring
