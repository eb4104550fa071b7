package platform

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
)

// Metric names every service exposes, referred to by the dashboards and
// alert rules in monitoring/: the HTTP metrics the app factory records (httpMetrics, with
// a service label) and the Go runtime and process collectors' metrics.
const (
	MetricHTTPRequests        = "http_requests_total"
	MetricHTTPRequestDuration = "http_request_duration_seconds"
	MetricHTTPInFlight        = "http_requests_in_progress_total"

	MetricGoroutines       = "go_goroutines"
	MetricHeapInUse        = "go_memstats_heap_inuse_bytes"
	MetricGCDuration       = "go_gc_duration_seconds"
	MetricAllocated        = "go_memstats_alloc_bytes_total"
	MetricResidentMemory   = "process_resident_memory_bytes"
	MetricCPUSeconds       = "process_cpu_seconds_total"
	MetricProcessStartTime = "process_start_time_seconds"
	MetricOpenFDs          = "process_open_fds"
)

// NewRegistry returns the one registry a service registers all its metrics
// on, with the Go runtime and process collectors already in it.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Observe records v on a latency histogram with the trace id of ctx's
// span as its exemplar when that span is sampled, so a slow bucket in a
// dashboard leads to a trace that exists; otherwise (tracing off, or a
// trace the sampler dropped) it is a plain Observe. The label is traceID,
// as on the HTTP histogram the app factory records.
func Observe(ctx context.Context, o prometheus.Observer, v float64) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		if e, ok := o.(prometheus.ExemplarObserver); ok {
			e.ObserveWithExemplar(v, prometheus.Labels{"traceID": sc.TraceID().String()})
			return
		}
	}
	o.Observe(v)
}
