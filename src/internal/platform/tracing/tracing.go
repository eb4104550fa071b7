// Package tracing sets up OpenTelemetry tracing for a service from the
// standard OTEL_* variables and instruments its outgoing HTTP calls. With no
// OTLP endpoint configured it sets up nothing: callers get a nil provider
// and leave their instrumentation out, so tracing off costs nothing on the
// hot path.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Provider is a service's tracer provider and how to flush it.
type Provider struct {
	*sdktrace.TracerProvider
}

// Setup returns the tracer provider of service, exporting over OTLP/HTTP to
// cfg.Endpoint with cfg's sampler and resource attributes (the SDK reads
// the exporter's other OTEL_EXPORTER_OTLP_* settings, headers and timeout,
// itself). service is the service.name unless cfg.ServiceName is set; the
// one-process shop clears that, so its four services stay apart in a trace.
// It returns nil, and no error, when no endpoint is set: tracing is off.
func Setup(ctx context.Context, cfg platform.TraceConfig, service string) (*Provider, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	exporter, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(strings.TrimRight(cfg.Endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP trace exporter: %w", err)
	}
	if cfg.ServiceName != "" {
		service = cfg.ServiceName
	}
	attrs, err := resourceAttributes(cfg.ResourceAttributes)
	if err != nil {
		return nil, err
	}
	// Later attributes win: the service's name over one in
	// OTEL_RESOURCE_ATTRIBUTES.
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithAttributes(attrs...),
		resource.WithAttributes(semconv.ServiceName(service)),
	)
	if err != nil {
		return nil, fmt.Errorf("building the trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(cfg)),
	)
	return &Provider{tp}, nil
}

// sampler is the sampler cfg names (TraceConfig.Validate has checked it):
// parent-based by default, so a service follows the decision of the caller
// that started the trace and an order's trace is whole or absent.
func sampler(cfg platform.TraceConfig) sdktrace.Sampler {
	ratio := 1.0
	if r, err := strconv.ParseFloat(cfg.SamplerArg, 64); err == nil {
		ratio = r
	}
	switch cfg.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	default:
		return sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
}

// resourceAttributes parses OTEL_RESOURCE_ATTRIBUTES: key=value pairs,
// comma-separated, values percent-encoded.
func resourceAttributes(s string) ([]attribute.KeyValue, error) {
	var attrs []attribute.KeyValue
	for pair := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES entry %q is not key=value", pair)
		}
		value, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES entry %q: %w", pair, err)
		}
		attrs = append(attrs, attribute.String(k, value))
	}
	return attrs, nil
}

// Shutdown flushes the spans still buffered and stops the exporter, within
// at most timeout. A nil provider has nothing to flush.
func (p *Provider) Shutdown(ctx context.Context, timeout time.Duration) error {
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := p.TracerProvider.Shutdown(ctx); err != nil {
		return fmt.Errorf("flushing traces: %w", err)
	}
	return nil
}

// Start is Setup for a service's main: it returns the provider to set as
// platform.Base.Tracer (nil when tracing is off) and a stop function, to
// defer, that flushes the last spans and logs a failure to.
func Start(ctx context.Context, cfg platform.TraceConfig, service string, logger *slog.Logger) (trace.TracerProvider, func(), error) {
	p, err := Setup(ctx, cfg, service)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, func() {}, nil
	}
	logger.InfoContext(ctx, "tracing: exporting spans over OTLP/HTTP", "endpoint", cfg.Endpoint, "service", service)
	return p.TracerProvider, func() {
		if err := p.Shutdown(ctx, 5*time.Second); err != nil {
			logger.WarnContext(ctx, "flushing traces failed", "error", err)
		}
	}, nil
}
