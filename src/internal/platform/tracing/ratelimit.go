package tracing

import (
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// memoryTracesPerSecond is how many new traces a second the in-memory
// recorder starts, at most (SHOP_TRACES=memory with no OTEL_TRACES_SAMPLER).
const memoryTracesPerSecond = 10

// rateLimited samples every request that may write and at most perSecond
// other root spans a second, in bursts of up to perSecond (a token
// bucket), and drops the rest. A shopper clicking
// around `make run` makes a few requests a second, so each one is traced;
// a load test makes thousands, and recording every one cost more than a
// tenth of the throughput (docs/benchmarks.md): past the first few a
// second, a request pays only for a dropped span. Wrapped in ParentBased,
// a trace is whole or absent. now is the clock (time.Now outside tests).
type rateLimited struct {
	perSecond float64
	now       func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRateLimited(perSecond int, now func() time.Time) *rateLimited {
	return &rateLimited{perSecond: float64(perSecond), now: now, tokens: float64(perSecond), last: now()}
}

// ShouldSample keeps every request that may write (any method but GET and
// HEAD: placing an order is always traced) and reads while the budget lasts.
// A server span that starts a trace has been through the budget already:
// the server middleware asks SampleRead before it starts one (see
// readBudgetProvider), and starts none for a read past the budget.
func (r *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	decision := sdktrace.Drop
	if p.Kind == trace.SpanKindServer || writes(p.Attributes) || r.take() {
		decision = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: decision, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
}

// writes reports whether a span's start attributes name an HTTP method
// other than GET and HEAD.
func writes(attrs []attribute.KeyValue) bool {
	for _, a := range attrs {
		if a.Key == semconv.HTTPRequestMethodKey {
			m := a.Value.AsString()
			return m != "GET" && m != "HEAD"
		}
	}
	return false
}

func (r *rateLimited) take() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.tokens = min(r.perSecond, r.tokens+now.Sub(r.last).Seconds()*r.perSecond)
	r.last = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

func (r *rateLimited) Description() string {
	return "RateLimited{" + strconv.FormatFloat(r.perSecond, 'g', -1, 64) + "/s}"
}

// readBudgetProvider is make run's default tracer provider: parent-based
// over rateLimited, and a platform.ReadSampler, so that the server
// middleware takes a read's trace from the same budget before it starts a
// span, and starts none past it.
type readBudgetProvider struct {
	*sdktrace.TracerProvider
	budget *rateLimited
}

// SampleRead takes a trace for a read from the second's budget.
func (p readBudgetProvider) SampleRead() bool { return p.budget.take() }
