package tracing

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Transport wraps base so each request carries the caller's request id
// (X-Request-ID) and, with tracing on (tp not nil), is a client span whose
// context goes out as traceparent. service names the callee, for the
// span's name.
func Transport(tp trace.TracerProvider, service string, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &transport{base: base, service: service}
	if tp != nil {
		t.tracer = tp.Tracer(instrumentation)
	}
	return t
}

// instrumentation names this package's tracers.
const instrumentation = "github.com/shop-platform/shop/src/internal/platform/tracing"

type transport struct {
	base    http.RoundTripper
	tracer  trace.Tracer
	service string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	id := platform.RequestID(ctx)
	if t.tracer == nil && id == "" {
		return t.base.RoundTrip(req)
	}
	// A RoundTripper must not change the caller's request.
	req = req.Clone(ctx)
	if id != "" && req.Header.Get("X-Request-ID") == "" {
		req.Header.Set("X-Request-ID", id)
	}
	if t.tracer == nil {
		return t.base.RoundTrip(req)
	}
	ctx, span := t.tracer.Start(ctx, req.Method+" "+t.service, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			semconv.HTTPRequestMethodKey.String(req.Method),
			semconv.URLFull(req.URL.Redacted()),
			semconv.ServerAddress(req.URL.Hostname()),
			attribute.String("peer.service", t.service),
		))
	defer span.End()
	// W3C trace context, which Istio's Envoys propagate too.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp, nil
}
