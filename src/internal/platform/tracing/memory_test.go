package tracing

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
)

// TestRecorderKeepsTheMostRecentTraces checks the ring's bounds: the oldest
// trace goes first and a trace keeps at most maxSpans spans, and a trace's
// waterfall nests children under their parents.
func TestRecorderKeepsTheMostRecentTraces(t *testing.T) {
	ctx := context.Background()
	rec := NewRecorder(2, 4)
	p, err := rec.Provider(ctx, platform.TraceConfig{}, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	tracer := p.Tracer("test")
	start := func(name string, children int) {
		_, root := tracer.Start(ctx, name)
		for range children {
			_, child := tracer.Start(trace.ContextWithSpan(ctx, root), "child")
			child.End()
		}
		root.End()
	}
	start("first", 3)
	start("second", 3)
	start("third", 3)
	traces := rec.Traces()
	if len(traces) != 2 || traces[0].Root != "third" || traces[1].Root != "second" {
		t.Fatalf("traces: %+v, want third and second, newest first", traces)
	}
	if traces[0].Spans != 4 || traces[0].Service != "catalog" {
		t.Errorf("trace %+v: want 4 spans of catalog", traces[0])
	}
	start("fourth", 5)
	if got := rec.Traces()[0]; got.Spans != 4 {
		t.Errorf("a trace of 6 spans kept %d, want the bound of 4", got.Spans)
	}

	rec = NewRecorder(10, 10)
	p, _ = rec.Provider(ctx, platform.TraceConfig{}, "order")
	rootCtx, root := p.Tracer("test").Start(ctx, "POST /create-order")
	_, child := p.Tracer("test").Start(rootCtx, "INSERT")
	child.End()
	root.End()
	list := rec.Traces()
	if len(list) != 1 || list[0].Root != "POST /create-order" {
		t.Fatalf("traces: %+v", list)
	}
	id := root.SpanContext().TraceID()
	rows, ok := rec.Waterfall(id)
	if !ok || len(rows) != 2 || rows[0].Name != "POST /create-order" || rows[0].Depth != 0 || rows[1].Name != "INSERT" || rows[1].Depth != 1 {
		t.Fatalf("waterfall: %+v", rows)
	}
}
