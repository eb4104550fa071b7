package tracing

import (
	"strconv"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// memoryTracesPerSecond is how many new traces a second the in-memory
// recorder starts, at most (SHOP_TRACES=memory with no OTEL_TRACES_SAMPLER).
const memoryTracesPerSecond = 10

// rateLimited samples at most perSecond root spans a second, in bursts of
// up to perSecond (a token bucket), and drops the rest. A shopper clicking
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

func (r *rateLimited) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	decision := sdktrace.Drop
	if r.take() {
		decision = sdktrace.RecordAndSample
	}
	return sdktrace.SamplingResult{Decision: decision, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
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
