package tracing

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/shop-platform/shop/src/internal/platform"
)

// The in-memory recorder's sampler keeps the first requests of each
// second (all of a shopper's clicks) and drops the rest of a burst.
func TestRateLimitedSamplerKeepsAFewTracesASecond(t *testing.T) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := newRateLimited(10, func() time.Time { return clock })
	sampled := func(n int) int {
		kept := 0
		for range n {
			if s.ShouldSample(sdktrace.SamplingParameters{}).Decision == sdktrace.RecordAndSample {
				kept++
			}
		}
		return kept
	}
	if got := sampled(1000); got != 10 {
		t.Fatalf("a burst of 1000 requests kept %d traces, want 10", got)
	}
	clock = clock.Add(300 * time.Millisecond)
	if got := sampled(1000); got != 3 {
		t.Fatalf("300 ms later kept %d, want 3", got)
	}
	clock = clock.Add(time.Hour)
	if got := sampled(1000); got != 10 {
		t.Fatalf("after an idle hour kept %d, want 10 (no more than a second's worth)", got)
	}
}

// A request that may write (placing an order) is traced even when the
// reads have used up the second's budget.
func TestRateLimitedSamplerKeepsEveryWrite(t *testing.T) {
	s := newRateLimited(1, time.Now)
	read := sdktrace.SamplingParameters{Attributes: []attribute.KeyValue{semconv.HTTPRequestMethodKey.String("GET")}}
	write := sdktrace.SamplingParameters{Attributes: []attribute.KeyValue{semconv.HTTPRequestMethodKey.String("POST")}}
	for range 100 {
		s.ShouldSample(read)
	}
	for i := range 100 {
		if s.ShouldSample(write).Decision != sdktrace.RecordAndSample {
			t.Fatalf("write %d dropped", i)
		}
	}
}

// make run's default provider, under the app's middleware, traces the
// first reads of a burst and every write, and a read past the budget
// leaves nothing in the recorder.
func TestMakeRunTracesAFewReadsASecondAndEveryWrite(t *testing.T) {
	rec := NewRecorder(1000, 10)
	tp, err := rec.Provider(context.Background(), platform.TraceConfig{}, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	base, err := platform.LoadConfig[platform.Base](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	base.Tracer = tp
	app := platform.NewApp("catalog", base, slog.New(slog.DiscardHandler), platform.NewRegistry(), platform.Checks{})
	app.Get("/catalog", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Post("/catalog", func(c *fiber.Ctx) error { return c.SendString("ok") })
	send := func(method string, n int) {
		for range n {
			if _, err := app.Test(httptest.NewRequest(method, "/catalog", nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	send("GET", 200)
	// The bucket refills at memoryTracesPerSecond while the burst runs.
	most := memoryTracesPerSecond + int(time.Since(start).Seconds()*memoryTracesPerSecond) + 1
	if n := len(rec.Traces()); n < memoryTracesPerSecond || n > most {
		t.Fatalf("a burst of 200 reads recorded %d traces, want %d to %d", n, memoryTracesPerSecond, most)
	}
	reads := len(rec.Traces())
	send("POST", 50)
	if n := len(rec.Traces()) - reads; n != 50 {
		t.Errorf("50 writes recorded %d traces, want every one", n)
	}
}
