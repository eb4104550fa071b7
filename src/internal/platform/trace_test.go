package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// Log lines written in a span carry its trace and span id.
func TestLogsCarryTheTraceAndSpanID(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(requestIDHandler{slog.NewJSONHandler(&out, nil)})
	ctx, span := sdktrace.NewTracerProvider().Tracer("test").Start(context.Background(), "work")
	defer span.End()
	logger.InfoContext(ctx, "hello")
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["trace_id"] != span.SpanContext().TraceID().String() || line["span_id"] != span.SpanContext().SpanID().String() {
		t.Errorf("log line %s lacks the span's ids", out.String())
	}
	out.Reset()
	logger.InfoContext(context.Background(), "outside")
	if bytes.Contains(out.Bytes(), []byte("trace_id")) {
		t.Errorf("a line outside any span has a trace id: %s", out.String())
	}
}

// A request with a traceparent is a server span named by its route, a
// child of the caller's span; the handler's context holds it. The probes
// make no spans.
func TestAppMakesServerSpansThatContinueTheCaller(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	app := tracedApp(t, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	var inHandler trace.SpanContext
	app.Get("/orders/:id", func(c *fiber.Ctx) error {
		inHandler = trace.SpanContextFromContext(c.UserContext())
		return c.SendString("ok")
	})
	req := httptest.NewRequest("GET", "/orders/42", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Test(httptest.NewRequest("GET", HealthPath, nil)); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 (none for %s)", len(spans), HealthPath)
	}
	s := spans[0]
	if s.Name() != "GET /orders/:id" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want the server span GET /orders/:id", s.Name(), s.SpanKind())
	}
	if s.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("parent %v, want the caller's traceparent", s.Parent())
	}
	if inHandler.SpanID() != s.SpanContext().SpanID() {
		t.Error("the handler's context does not hold the server span")
	}
}

// A sampler setting the SDK would silently replace is refused at start.
// The HTTP latency histogram carries the request's trace id as an exemplar
// (the metrics middleware reads it from the server span in the request context),
// in the OpenMetrics format Prometheus scrapes exemplars from.
func TestLatencyHistogramCarriesTheTraceID(t *testing.T) {
	app := tracedApp(t, sdktrace.NewTracerProvider())
	app.Get("/orders/:id", func(c *fiber.Ctx) error { return c.SendString("ok") })
	req := httptest.NewRequest("GET", "/orders/42", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	scrape := httptest.NewRequest("GET", MetricsPath, nil)
	scrape.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := app.Test(scrape)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	found := false
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, MetricHTTPRequestDuration+"_bucket{") && strings.Contains(line, `path="/orders/:id"`) &&
			strings.Contains(line, `# {traceID="0af7651916cd43dd8448eb211c80319c"}`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no %s bucket carries the trace id as an exemplar:\n%s", MetricHTTPRequestDuration, body)
	}
}

// Observe gives a histogram observation the trace id of a sampled span as
// its exemplar, and none outside a span or in one the sampler dropped (it
// would lead to a trace no backend holds).
func TestObserveAddsTheSampledTraceAsExemplar(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sampler sdktrace.Sampler
		want    bool
	}{{"sampled", sdktrace.AlwaysSample(), true}, {"dropped", sdktrace.NeverSample(), false}} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "test_seconds", Help: "test"})
			reg.MustRegister(h)
			ctx, span := sdktrace.NewTracerProvider(sdktrace.WithSampler(tc.sampler)).Tracer("test").Start(context.Background(), "work")
			Observe(ctx, h, 0.003)
			span.End()
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range families[0].GetMetric()[0].GetHistogram().GetBucket() {
				for _, l := range b.GetExemplar().GetLabel() {
					got = append(got, l.GetName()+"="+l.GetValue())
				}
			}
			want := "traceID=" + span.SpanContext().TraceID().String()
			if tc.want && (len(got) != 1 || got[0] != want) {
				t.Errorf("exemplars %v, want one %s", got, want)
			}
			if !tc.want && len(got) != 0 {
				t.Errorf("exemplars %v of a dropped trace, want none", got)
			}
		})
	}
}

func TestTraceSettingsAreValidated(t *testing.T) {
	for env, want := range map[string]string{
		"OTEL_TRACES_SAMPLER":         "OTEL_TRACES_SAMPLER \"sometimes\" is not one of",
		"OTEL_TRACES_SAMPLER_ARG":     "OTEL_TRACES_SAMPLER_ARG \"1.5\" is not a ratio",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL",
	} {
		vars := map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio"}
		switch env {
		case "OTEL_TRACES_SAMPLER":
			vars[env] = "sometimes"
		case "OTEL_TRACES_SAMPLER_ARG":
			vars[env] = "1.5"
		default:
			vars[env] = "collector:4318"
		}
		_, err := LoadConfig[Base](vars)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: error %v, want %q", env, vars[env], err, want)
		}
	}
	if _, err := LoadConfig[Base](map[string]string{"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}); err != nil {
		t.Errorf("good settings refused: %v", err)
	}
}

// BenchmarkRequestTracing measures what tracing adds to one request through
// the app factory's middleware: off (no provider: nothing installed), on
// with every trace dropped by the sampler, a read past a ReadSampler's
// budget (what a read past make run's budget pays: no span), and 10% and
// 100% sampling, exporting to a processor that drops spans (the export
// itself runs off the request path, in the batcher).
func BenchmarkRequestTracing(b *testing.B) {
	for _, bc := range []struct {
		name    string
		sampler sdktrace.Sampler
		budget  bool
	}{{"off", nil, false}, {"on-dropped", sdktrace.NeverSample(), false}, {"on-past-read-budget", sdktrace.AlwaysSample(), true},
		{"on-10pct", sdktrace.TraceIDRatioBased(0.1), false}, {"on-100pct", sdktrace.AlwaysSample(), false}} {
		b.Run(bc.name, func(b *testing.B) {
			var tp trace.TracerProvider // nil: tracing off
			if bc.sampler != nil {
				sdk := sdktrace.NewTracerProvider(sdktrace.WithSampler(bc.sampler),
					sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(discardExporter{})))
				tp = sdk
				if bc.budget {
					tp = noReadBudget{sdk}
				}
			}
			app := tracedApp(b, tp)
			app.Get("/catalog/:id", func(c *fiber.Ctx) error { return c.SendString("ok") })
			h := app.Handler()
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.ResetUserValues()
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod("GET")
				ctx.Request.SetRequestURI("/catalog/p-1")
				h(&ctx)
			}
		})
	}
}

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
