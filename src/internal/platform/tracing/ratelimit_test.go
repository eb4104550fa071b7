package tracing

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
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
