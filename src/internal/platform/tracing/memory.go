package tracing

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Recorder keeps the spans of the most recent traces in memory, so `make
// run` can show an order's trace without any tracing backend. It is a span
// processor: spans are recorded as they end, synchronously, which costs a
// map insert under a lock; it is meant for a developer's shop, not for
// production traffic.
type Recorder struct {
	maxTraces, maxSpans int

	mu     sync.Mutex
	traces map[trace.TraceID]*recordedTrace
	// order holds the trace ids oldest first; the oldest is dropped when a
	// new trace would exceed maxTraces.
	order []trace.TraceID
}

// recordedTrace is one trace's spans, in the order they ended.
type recordedTrace struct {
	spans []RecordedSpan
}

// RecordedSpan is what the page shows of one span.
type RecordedSpan struct {
	SpanID, ParentID trace.SpanID
	Service, Name    string
	Kind             trace.SpanKind
	Start, End       time.Time
	Error            bool
}

// NewRecorder keeps at most maxTraces traces of at most maxSpans spans
// each: the oldest trace goes first, and spans past maxSpans are dropped,
// so a long-running shop stays bounded.
func NewRecorder(maxTraces, maxSpans int) *Recorder {
	return &Recorder{maxTraces: maxTraces, maxSpans: maxSpans, traces: map[trace.TraceID]*recordedTrace{}}
}

// OnStart records nothing: a span is shown once it has ended.
func (r *Recorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd records the span under its trace.
func (r *Recorder) OnEnd(s sdktrace.ReadOnlySpan) {
	service := ""
	if v, ok := s.Resource().Set().Value(semconv.ServiceNameKey); ok {
		service = v.AsString()
	}
	rs := RecordedSpan{
		SpanID: s.SpanContext().SpanID(), ParentID: s.Parent().SpanID(),
		Service: service, Name: s.Name(), Kind: s.SpanKind(),
		Start: s.StartTime(), End: s.EndTime(), Error: s.Status().Code == codes.Error,
	}
	id := s.SpanContext().TraceID()
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.traces[id]
	if !ok {
		if len(r.order) >= r.maxTraces {
			delete(r.traces, r.order[0])
			r.order = r.order[1:]
		}
		t = &recordedTrace{}
		r.traces[id] = t
		r.order = append(r.order, id)
	}
	if len(t.spans) < r.maxSpans {
		t.spans = append(t.spans, rs)
	}
}

// Shutdown has nothing to flush.
func (r *Recorder) Shutdown(context.Context) error { return nil }

// ForceFlush has nothing to flush.
func (r *Recorder) ForceFlush(context.Context) error { return nil }

// Provider returns the tracer provider of service recording into r, with
// cfg's sampler; by default parent-based with at most
// memoryTracesPerSecond new traces a second (rateLimited), so every
// request of a shopper clicking around `make run` is kept and a load test
// does not pay for recording each of its requests. The default provider is
// a platform.ReadSampler: a read past the budget starts no span at all.
func (r *Recorder) Provider(ctx context.Context, cfg platform.TraceConfig, service string) (trace.TracerProvider, error) {
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(service)))
	if err != nil {
		return nil, err
	}
	provider := func(s sdktrace.Sampler) *sdktrace.TracerProvider {
		return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r), sdktrace.WithResource(res), sdktrace.WithSampler(s))
	}
	if cfg.Sampler != "" {
		return provider(sampler(cfg)), nil
	}
	budget := newRateLimited(memoryTracesPerSecond, time.Now)
	return readBudgetProvider{provider(sdktrace.ParentBased(budget)), budget}, nil
}

// TraceSummary is one line of the list of recent traces.
type TraceSummary struct {
	ID       string
	Root     string
	Service  string
	Start    time.Time
	Duration time.Duration
	Spans    int
	Services []string
}

// WaterfallRow is one span of a trace's waterfall: its offset from the
// trace's start, its depth under the root, and its bar in percent of the
// trace's length.
type WaterfallRow struct {
	RecordedSpan
	Depth            int
	Offset, Duration time.Duration
	BarLeft, BarSize float64
}

// Traces summarises the recorded traces, newest first.
func (r *Recorder) Traces() []TraceSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]TraceSummary, 0, len(r.order))
	for _, id := range slices.Backward(r.order) {
		spans := r.traces[id].spans
		start, end := bounds(spans)
		root := rootOf(spans)
		var services []string
		for _, s := range spans {
			if !slices.Contains(services, s.Service) {
				services = append(services, s.Service)
			}
		}
		slices.Sort(services)
		out = append(out, TraceSummary{
			ID: id.String(), Root: root.Name, Service: root.Service,
			Start: start, Duration: end.Sub(start), Spans: len(spans), Services: services,
		})
	}
	return out
}

// Waterfall returns the spans of trace id as a waterfall: depth-first from
// the roots, children in the order they started. ok is false when the
// trace is not (or no longer) recorded.
func (r *Recorder) Waterfall(id trace.TraceID) (rows []WaterfallRow, ok bool) {
	r.mu.Lock()
	t, ok := r.traces[id]
	var spans []RecordedSpan
	if ok {
		spans = slices.Clone(t.spans)
	}
	r.mu.Unlock()
	if !ok {
		return nil, false
	}
	slices.SortStableFunc(spans, func(a, b RecordedSpan) int { return a.Start.Compare(b.Start) })
	known := map[trace.SpanID]bool{}
	children := map[trace.SpanID][]RecordedSpan{}
	for _, s := range spans {
		known[s.SpanID] = true
	}
	var roots []RecordedSpan
	for _, s := range spans {
		if s.ParentID.IsValid() && known[s.ParentID] {
			children[s.ParentID] = append(children[s.ParentID], s)
		} else {
			// A root, or a span whose parent is still open or was dropped:
			// shown at the top level rather than lost.
			roots = append(roots, s)
		}
	}
	start, end := bounds(spans)
	total := float64(end.Sub(start))
	if total <= 0 {
		total = 1
	}
	var walk func(s RecordedSpan, depth int)
	walk = func(s RecordedSpan, depth int) {
		rows = append(rows, WaterfallRow{
			RecordedSpan: s, Depth: depth,
			Offset: s.Start.Sub(start), Duration: s.End.Sub(s.Start),
			BarLeft: 100 * float64(s.Start.Sub(start)) / total,
			BarSize: max(0.3, 100*float64(s.End.Sub(s.Start))/total),
		})
		for _, c := range children[s.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, s := range roots {
		walk(s, 0)
	}
	return rows, true
}

// bounds is the earliest start and the latest end of spans.
func bounds(spans []RecordedSpan) (start, end time.Time) {
	for i, s := range spans {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	return start, end
}

// rootOf is the span without a parent, or the earliest span while the root
// is still open.
func rootOf(spans []RecordedSpan) RecordedSpan {
	var first RecordedSpan
	for i, s := range spans {
		if !s.ParentID.IsValid() {
			return s
		}
		if i == 0 || s.Start.Before(first.Start) {
			first = s
		}
	}
	return first
}

// Handler serves the recorded traces as HTML, with no script: GET / lists
// the recent traces, GET /traces/{id} draws one as an indented waterfall.
func (r *Recorder) Handler() http.Handler {
	pages := newPages()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pages.ExecuteTemplate(w, "list", r.Traces())
	})
	mux.HandleFunc("GET /traces/{id}", func(w http.ResponseWriter, req *http.Request) {
		id, err := trace.TraceIDFromHex(req.PathValue("id"))
		if err != nil {
			http.Error(w, "trace id must be 32 hex digits", http.StatusBadRequest)
			return
		}
		rows, ok := r.Waterfall(id)
		if !ok {
			http.Error(w, "trace "+id.String()+" is not recorded (only the most recent traces are kept)", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pages.ExecuteTemplate(w, "trace", struct {
			ID   string
			Rows []WaterfallRow
		}{id.String(), rows})
	})
	return mux
}

// ms formats a duration in milliseconds, as the waterfall's columns do.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// newPages parses the two pages of Handler.
func newPages() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"ms":     ms,
		"indent": func(depth int) int { return depth * 18 },
		"kind":   func(k trace.SpanKind) string { return k.String() },
	}).Parse(`
{{define "style"}}<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222 }
table { border-collapse: collapse; width: 100% }
td, th { padding: 3px 8px; text-align: left; white-space: nowrap; border-bottom: 1px solid #eee }
td.num { text-align: right; font-variant-numeric: tabular-nums }
.bar { position: relative; height: 12px; background: #f4f4f4; min-width: 420px }
.bar span { position: absolute; top: 0; height: 12px; border-radius: 2px }
.svc-frontend { background: #4e79a7 } .svc-order { background: #f28e2b }
.svc-catalog { background: #59a14f } .svc-search { background: #b07aa1 }
tr.error td.name { color: #c00 }
small { color: #777 }
</style>{{end}}
{{define "list"}}<!doctype html><html><head><meta charset="utf-8"><title>Recent traces</title>{{template "style"}}</head><body>
<h1>Recent traces</h1>
<p><small>Recorded in memory by this shop (SHOP_TRACES=memory), newest first; only the most recent are kept.</small></p>
<table><tr><th>started</th><th>root span</th><th>duration</th><th>spans</th><th>services</th></tr>
{{range .}}<tr class="trace"><td>{{.Start.Format "15:04:05.000"}}</td><td><a href="/traces/{{.ID}}">{{.Service}} {{.Root}}</a></td><td class="num">{{ms .Duration}}</td><td class="num">{{.Spans}}</td><td>{{range $i, $s := .Services}}{{if $i}}, {{end}}{{$s}}{{end}}</td></tr>
{{else}}<tr><td colspan="5">No trace yet: place an order in the storefront.</td></tr>{{end}}
</table></body></html>{{end}}
{{define "trace"}}<!doctype html><html><head><meta charset="utf-8"><title>Trace {{.ID}}</title>{{template "style"}}</head><body>
<p><a href="/">&larr; recent traces</a></p>
<h1>Trace <small>{{.ID}}</small></h1>
<table><tr><th>start</th><th>duration</th><th>service</th><th>span</th><th>kind</th><th></th></tr>
{{range .Rows}}<tr class="span{{if .Error}} error{{end}}" data-service="{{.Service}}" data-name="{{.Name}}" data-depth="{{.Depth}}"><td class="num">{{ms .Offset}}</td><td class="num">{{ms .Duration}}</td><td>{{.Service}}</td><td class="name" style="padding-left: {{indent .Depth}}px">{{.Name}}</td><td><small>{{kind .Kind}}</small></td><td><div class="bar"><span class="svc-{{.Service}}" style="left: {{printf "%.2f" .BarLeft}}%; width: {{printf "%.2f" .BarSize}}%"></span></div></td></tr>
{{end}}</table></body></html>{{end}}
`))
}
