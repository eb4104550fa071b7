package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

func TestTracingIsOffWithoutAnEndpoint(t *testing.T) {
	p, err := Setup(context.Background(), platform.TraceConfig{Sampler: "always_on"}, "catalog")
	if err != nil || p != nil {
		t.Fatalf("Setup without an endpoint = %v, %v; want nil, nil", p, err)
	}
	tp, stop, err := Start(context.Background(), platform.TraceConfig{}, "catalog", slog.New(slog.DiscardHandler))
	if err != nil || tp != nil {
		t.Fatalf("Start without an endpoint = %v, %v; want a nil provider", tp, err)
	}
	stop()
}

func TestSetupRejectsMalformedResourceAttributes(t *testing.T) {
	_, err := Setup(context.Background(), platform.TraceConfig{Endpoint: "http://127.0.0.1:1", ResourceAttributes: "team"}, "order")
	if err == nil || !strings.Contains(err.Error(), "OTEL_RESOURCE_ATTRIBUTES") {
		t.Fatalf("error = %v, want one naming OTEL_RESOURCE_ATTRIBUTES", err)
	}
}

func TestResourceAttributesAreDecoded(t *testing.T) {
	attrs, err := resourceAttributes("deployment.environment.name=prod, team=shop%20ops,")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range attrs {
		got[string(a.Key)] = a.Value.AsString()
	}
	if got["deployment.environment.name"] != "prod" || got["team"] != "shop ops" || len(got) != 2 {
		t.Fatalf("attributes = %v", got)
	}
}

func TestSamplerFollowsTheConfiguration(t *testing.T) {
	for name, want := range map[string]string{
		"":                         "ParentBased{root:AlwaysOnSampler",
		"always_off":               "AlwaysOffSampler",
		"traceidratio":             "TraceIDRatioBased{0.25}",
		"parentbased_traceidratio": "ParentBased{root:TraceIDRatioBased{0.25}",
	} {
		got := sampler(platform.TraceConfig{Sampler: name, SamplerArg: "0.25"}).Description()
		if !strings.HasPrefix(got, want) {
			t.Errorf("OTEL_TRACES_SAMPLER=%q gives %s, want %s", name, got, want)
		}
	}
}

// An outgoing call is a client span, a child of the caller's span, and
// the callee receives its context as traceparent, with the request id.
func TestTransportPropagatesTheTraceAndTheRequestID(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(platform.WithRequestID(context.Background(), "req-7"), "caller")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/catalog/1", nil)
	resp, err := (&http.Client{Transport: Transport(tp, "catalog", nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	parent.End()
	if got.Get("X-Request-ID") != "req-7" {
		t.Errorf("X-Request-ID = %q, want req-7", got.Get("X-Request-ID"))
	}
	if req.Header.Get("traceparent") != "" {
		t.Error("the caller's request was changed")
	}
	spans := rec.Ended()
	if len(spans) != 2 || spans[0].Name() != "GET catalog" {
		t.Fatalf("spans = %v, want the client span GET catalog and its parent", spans)
	}
	client := spans[0]
	if client.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Error("the client span is not a child of the caller's")
	}
	remote := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(got)))
	if remote.SpanID() != client.SpanContext().SpanID() || remote.TraceID() != client.SpanContext().TraceID() {
		t.Errorf("traceparent %q does not name the client span", got.Get("traceparent"))
	}
}

// Without tracing the transport only forwards the request id.
func TestTransportWithTracingOffSendsNoTraceparent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(platform.WithRequestID(context.Background(), "req-8"), http.MethodGet, srv.URL, nil)
	resp, err := (&http.Client{Transport: Transport(nil, "search", nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got.Get("traceparent") != "" || got.Get("X-Request-ID") != "req-8" {
		t.Errorf("headers = %v, want X-Request-ID and no traceparent", got)
	}
}

// An event written in a span carries its context through JSON as the
// CloudEvents traceparent attribute, and its consumer continues the trace.
func TestEventsCarryTheTraceContext(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "POST /create-order")
	defer span.End()
	e, err := events.New("order", events.OrderCreated, map[string]string{"order_id": "o1"})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(e.WithTrace(ctx))
	if !bytes.Contains(raw, []byte(`"traceparent":"00-`+span.SpanContext().TraceID().String())) {
		t.Fatalf("envelope %s lacks the CloudEvents traceparent attribute", raw)
	}
	var back events.Envelope
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	sc := trace.SpanContextFromContext(back.TraceContext(context.Background()))
	if sc.TraceID() != span.SpanContext().TraceID() || !sc.IsRemote() {
		t.Errorf("restored context %v, want the writer's trace as a remote parent", sc)
	}
	plain, _ := json.Marshal(e.WithTrace(context.Background()))
	if bytes.Contains(plain, []byte("traceparent")) {
		t.Errorf("an event written outside any span carries a trace context: %s", plain)
	}
}
