package platform

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// noReadBudget is a ReadSampler whose budget of reads is spent.
type noReadBudget struct{ *sdktrace.TracerProvider }

func (noReadBudget) SampleRead() bool { return false }

// With a ReadSampler whose budget is spent, a read that starts a trace
// and a request whose caller's trace is not sampled start no span, and
// the spans their handlers start are dropped with them; a write and a
// request in a sampled trace are still traced.
func TestReadsPastTheBudgetStartNoSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := noReadBudget{sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))}
	app := tracedApp(t, tp)
	var inHandler trace.SpanContext
	handler := func(c *fiber.Ctx) error {
		inHandler = trace.SpanContextFromContext(c.UserContext())
		_, child := tp.Tracer("test").Start(c.UserContext(), "query")
		child.End()
		return c.SendString("ok")
	}
	app.Get("/orders/:id", handler)
	app.Post("/orders", handler)
	send := func(method, path, traceparent string) {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		if traceparent != "" {
			req.Header.Set("traceparent", traceparent)
		}
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
	}

	send("GET", "/orders/1", "")
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("a read past the budget recorded %d spans, want none", n)
	}
	if !inHandler.IsValid() || inHandler.IsSampled() {
		t.Errorf("a read past the budget: handler's span context %v, want a valid unsampled one for its log lines and children", inHandler)
	}
	first := inHandler.TraceID()
	send("GET", "/orders/2", "")
	if inHandler.TraceID() == first {
		t.Errorf("two reads past the budget share trace id %s", first)
	}

	send("GET", "/orders/3", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("a request in an unsampled trace recorded %d spans, want none", n)
	}
	if inHandler.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("a request in an unsampled trace: handler's trace %s, want the caller's", inHandler.TraceID())
	}

	send("POST", "/orders", "")
	send("GET", "/orders/4", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	want := []string{"query", "POST /orders", "query", "GET /orders/:id"}
	if len(names) != len(want) {
		t.Fatalf("spans %q, want %q: a write and a request in a sampled trace are traced", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("spans %q, want %q", names, want)
		}
	}
}

// tracedApp is the app factory's app with tracing through tp (nil: off).
func tracedApp(t testing.TB, tp trace.TracerProvider) *fiber.App {
	t.Helper()
	base, err := LoadConfig[Base](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	base.Tracer = tp
	return NewApp("test", base, slog.New(slog.DiscardHandler), NewRegistry(), Checks{})
}
