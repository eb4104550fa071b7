package platform

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// scrapeAfter sends each request (with its traceparent, if any) to a
// traced app with one route, /orders/:id, and returns its /metrics.
func scrapeAfter(t *testing.T, requests map[string]string) string {
	t.Helper()
	base, err := LoadConfig[Base](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	base.Tracer = sdktrace.NewTracerProvider()
	app := NewApp("test", base, slog.New(slog.DiscardHandler), NewRegistry(), Checks{})
	app.Get("/orders/:id", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for path, traceparent := range requests {
		req := httptest.NewRequest("GET", path, nil)
		if traceparent != "" {
			req.Header.Set("traceparent", traceparent)
		}
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
	}
	scrape := httptest.NewRequest("GET", MetricsPath, nil)
	scrape.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := app.Test(scrape)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// Requests are counted by route, method, status and service; the probes,
// the scrape and paths no route serves are not.
func TestHTTPMetricsCountRequestsByRoute(t *testing.T) {
	body := scrapeAfter(t, map[string]string{"/orders/42": "", "/orders/43": "", "/health": "", "/nowhere": ""})
	if want := `http_requests_total{method="GET",path="/orders/:id",service="test",status_code="200"} 2`; !strings.Contains(body, want) {
		t.Errorf("no %s in:\n%s", want, body)
	}
	for _, unwanted := range []string{`path="/health"`, `path="/nowhere"`, `path="/metrics"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("%s recorded:\n%s", unwanted, body)
		}
	}
}

// A trace the sampler dropped exists nowhere: the latency histogram
// carries no exemplar pointing at it.
func TestHTTPMetricsGiveNoExemplarToADroppedTrace(t *testing.T) {
	body := scrapeAfter(t, map[string]string{"/orders/42": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"})
	if strings.Contains(body, "traceID=") {
		t.Errorf("an exemplar of a dropped trace:\n%s", body)
	}
	if !strings.Contains(body, MetricHTTPRequestDuration+"_count{") {
		t.Errorf("the request was not observed:\n%s", body)
	}
}
