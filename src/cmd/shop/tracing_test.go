//go:build tracingtest

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// The tracing test runs against a real Jaeger v2 (make test-tracing builds
// it and sets SHOP_JAEGER): a shopper's order placed through the storefront
// must come out as one trace across the four services, PostgreSQL, both
// relays and both consumers. It reads the backend's query API, not the
// exporter: a failed export only logs in the SDK.

// jaegerConfig is the all-in-one configuration of Jaeger v2, in memory,
// with every listener on a port of the test's own.
const jaegerConfig = `
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// startJaeger runs Jaeger until the test ends and returns its OTLP/HTTP
// endpoint and query API base URL.
func startJaeger(t *testing.T) (otlp, query string) {
	t.Helper()
	bin := os.Getenv("SHOP_JAEGER")
	if bin == "" {
		testenv.Unavailable(t, "Jaeger (SHOP_JAEGER, built by make jaeger)", fmt.Errorf("SHOP_JAEGER is not set"))
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Unavailable(t, "Jaeger (make jaeger)", err)
	}
	queryPort, grpcPort, otlpPort := testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)
	cfg := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, queryPort, grpcPort, otlpPort), 0o600); err != nil {
		t.Fatal(err)
	}
	var out testenv.Output
	cmd := exec.Command(bin, "--config", "file:"+cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Jaeger: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	query = fmt.Sprintf("http://127.0.0.1:%d", queryPort)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(query + "/api/services"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return fmt.Sprintf("http://127.0.0.1:%d", otlpPort), query
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger did not answer on %s:\n%s", query, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jaegerTrace is a trace as Jaeger's query API returns it.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		ProcessID     string `json:"processID"`
		StartTime     int64  `json:"startTime"` // µs since the epoch
		Duration      int64  `json:"duration"`  // µs
		References    []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		Tags []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"tags"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

// span is one span of a trace, flattened for the assertions.
type span struct {
	id, parent, service, name string
	start, duration           time.Duration // start since the epoch
	tags                      map[string]any
}

func (tr jaegerTrace) flatten() []span {
	out := make([]span, 0, len(tr.Spans))
	for _, s := range tr.Spans {
		sp := span{
			id: s.SpanID, service: tr.Processes[s.ProcessID].ServiceName, name: s.OperationName, tags: map[string]any{},
			start: time.Duration(s.StartTime) * time.Microsecond, duration: time.Duration(s.Duration) * time.Microsecond,
		}
		for _, r := range s.References {
			if r.RefType == "CHILD_OF" {
				sp.parent = r.SpanID
			}
		}
		for _, tag := range s.Tags {
			sp.tags[tag.Key] = tag.Value
		}
		out = append(out, sp)
	}
	return out
}

func TestOrderIsOneTrace(t *testing.T) {
	otlp, query := startJaeger(t)
	// Spans leave each service a fifth of a second after they end, not
	// five seconds (the SDK reads the batch delay from the environment).
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
	s := startRealShopWith(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": otlp,
		"OTEL_TRACES_SAMPLER":         "parentbased_always_on",
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment.name=tracing-test",
	})
	orderID := placeOrder(t, s)
	eventuallyFound(t, "the order is confirmed", func() bool {
		return getJSON[struct {
			Status string `json:"status"`
		}](t, s.order+"/orders/"+orderID).Status == "confirmed"
	})

	var spans []span
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans, last = checkoutTrace(t, query)
		if last == "" {
			last = orderTraceProblem(spans)
		}
		if last == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order's trace is not whole: %s\nspans:\n%s", last, describe(spans))
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("the order's trace has %d spans:\n%s", len(spans), describe(spans))
}

// checkoutTrace fetches the one trace of the storefront's POST /checkout.
func checkoutTrace(t *testing.T, query string) ([]span, string) {
	t.Helper()
	q := url.Values{"service": {"frontend"}, "operation": {"POST /checkout"}, "lookback": {"1h"}, "limit": {"20"}}
	resp, err := http.Get(query + "/api/traces?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Data []jaegerTrace `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding Jaeger's answer: %v", err)
	}
	if len(body.Data) != 1 {
		return nil, fmt.Sprintf("Jaeger holds %d traces of POST /checkout, want 1", len(body.Data))
	}
	return body.Data[0].flatten(), ""
}

// orderTraceProblem says what the order's trace lacks, or "" when it holds
// every step with the right parent: the storefront's checkout calls the
// order service, which prices the lines at the catalog and writes the
// order in PostgreSQL; its relay publishes order.created as a child of
// that request, the catalog's reservation handles it as a child of the
// publish, the catalog's relay publishes the outcome and the stock change
// as children of the reservation, and the order service settles, and
// search updates its index, as children of those publishes.
func orderTraceProblem(spans []span) string {
	byID := map[string]span{}
	for _, s := range spans {
		byID[s.id] = s
	}
	find := func(service, name string, parent *span) (span, string) {
		for _, s := range spans {
			if (service == "" || s.service == service) && s.name == name && (parent == nil || s.parent == parent.id) {
				return s, ""
			}
		}
		under := ""
		if parent != nil {
			under = fmt.Sprintf(" under %s %q", parent.service, parent.name)
		}
		if service == "" {
			service = "any service's"
		}
		return span{}, fmt.Sprintf("no %s span %q%s", service, name, under)
	}
	checkout, p := find("frontend", "POST /checkout", nil)
	if p != "" {
		return p
	}
	if checkout.parent != "" {
		return "the checkout span is not the trace's root"
	}
	call, p := find("frontend", "POST order", &checkout)
	if p != "" {
		return p
	}
	create, p := find("order", "POST /create-order", &call)
	if p != "" {
		return p
	}
	price, p := find("order", "GET catalog", &create)
	if p != "" {
		return p
	}
	if _, p := find("catalog", "GET /catalog/:id", &price); p != "" {
		return p
	}
	if !slices.ContainsFunc(spans, func(s span) bool {
		return s.service == "order" && s.tags["db.system.name"] == "postgresql" && byID[s.parent].id == create.id
	}) {
		return "no PostgreSQL span of the order service under POST /create-order"
	}
	// The runner keeps catalog and orders in one database, so one outbox
	// table: either service's relay may publish an event.
	published, p := find("", "publish shop.order.created.v1", &create)
	if p != "" {
		return p
	}
	reserve, p := find("catalog", "process shop.order.created.v1", &published)
	if p != "" {
		return p
	}
	if !slices.ContainsFunc(spans, func(s span) bool {
		return s.service == "catalog" && s.tags["db.system.name"] == "postgresql" && s.parent == reserve.id
	}) {
		return "no PostgreSQL span of the catalog's reservation"
	}
	outcome, p := find("", "publish shop.stock.reserved.v1", &reserve)
	if p != "" {
		return p
	}
	// The payment leg: payment charges the reserved order, and order
	// confirms it on the capture.
	charge, p := find("payment", "process shop.stock.reserved.v1", &outcome)
	if p != "" {
		return p
	}
	captured, p := find("", "publish shop.payment.captured.v1", &charge)
	if p != "" {
		return p
	}
	if _, p := find("order", "process shop.payment.captured.v1", &captured); p != "" {
		return p
	}
	// The reservation changed the product's stock: search's index update
	// is in the trace too.
	change, p := find("", "publish shop.product.upserted.v1", &reserve)
	if p != "" {
		return p
	}
	if _, p := find("search", "process shop.product.upserted.v1", &change); p != "" {
		return p
	}
	return ""
}

// describe draws the trace as a waterfall: each span's start after the
// root's, its duration, and its children indented under it.
func describe(spans []span) string {
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.id] = true
	}
	children := map[string][]span{}
	var roots []span
	for _, s := range spans {
		if ids[s.parent] {
			children[s.parent] = append(children[s.parent], s)
		} else {
			roots = append(roots, s)
		}
	}
	var b strings.Builder
	var draw func(s span, depth int, t0 time.Duration)
	draw = func(s span, depth int, t0 time.Duration) {
		fmt.Fprintf(&b, "%9.1f ms %8.1f ms  %s%-9s %s\n", float64(s.start-t0)/1e6, float64(s.duration)/1e6,
			strings.Repeat("  ", depth), s.service, s.name)
		kids := children[s.id]
		slices.SortFunc(kids, func(x, y span) int { return int(x.start - y.start) })
		for _, k := range kids {
			draw(k, depth+1, t0)
		}
	}
	for _, r := range roots {
		draw(r, 0, r.start)
	}
	return b.String()
}
