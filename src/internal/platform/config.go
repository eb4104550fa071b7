// Package platform holds what every service shares: configuration, logging,
// the Fiber app with its middleware and error mapping, health checks, metrics
// and graceful shutdown. It imports no service package.
package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.opentelemetry.io/otel/trace"
)

// Secret is a configuration value that must never be printed: it formats and
// logs as a mask so a config struct can be logged whole at start.
type Secret string

// Value returns the secret in clear, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

// String masks the secret in fmt output.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "********"
}

// MarshalJSON masks the secret when a config struct is encoded, as slog's
// JSON handler does with struct attributes.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue masks the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Base is the configuration every service shares; each service embeds it in
// its own config struct and sets its own default port with the PORT variable.
type Base struct {
	// Host is the interface the HTTP server binds to.
	Host string `env:"HOST" envDefault:"0.0.0.0"`
	// LogLevel is one of debug, info, warn, error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogDir, when set, also writes the JSON log to <LogDir>/<service>.log,
	// as the original system did under logs_and_metrics/.
	LogDir string `env:"LOG_DIR"`
	// RequestTimeout is the deadline of each request's context.
	RequestTimeout time.Duration `env:"REQUEST_TIMEOUT" envDefault:"5s"`
	// ReadTimeout and WriteTimeout bound slow clients.
	ReadTimeout  time.Duration `env:"READ_TIMEOUT" envDefault:"10s"`
	WriteTimeout time.Duration `env:"WRITE_TIMEOUT" envDefault:"10s"`
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration `env:"IDLE_TIMEOUT" envDefault:"60s"`
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int `env:"BODY_LIMIT" envDefault:"1048576"`
	// ShutdownTimeout is how long in-flight requests may take to drain.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// ShutdownDelay is how long a service keeps serving after SIGTERM with
	// /ready failing, before it stops accepting: the time Kubernetes needs to
	// take the pod out of its Services. Zero (the default, for a process
	// outside Kubernetes) stops accepting at once; the chart sets it.
	ShutdownDelay time.Duration `env:"SHUTDOWN_DELAY" envDefault:"0s"`
	// ReadyTimeout bounds each readiness check.
	ReadyTimeout time.Duration `env:"READY_TIMEOUT" envDefault:"2s"`
	// TrustedProxies are the networks (CIDRs, comma-separated) of the
	// proxies in front of the service (Ingress controller, Istio gateway):
	// X-Forwarded-For is believed only from them, so ClientIP names the
	// shopper rather than the proxy. Empty trusts no one.
	TrustedProxies []netip.Prefix `env:"TRUSTED_PROXIES" envSeparator:","`
	// Trace is the OpenTelemetry tracing configuration.
	Trace TraceConfig
	// Tracer is the service's tracer provider (package tracing sets it up
	// from the OTEL_* variables); nil, tracing off, leaves every span and
	// its cost out.
	Tracer trace.TracerProvider `env:"-" json:"-"`
}

// TraceConfig holds the standard OpenTelemetry variables a service reads
// (package tracing hands them on to the SDK, which reads the rest of
// OTEL_EXPORTER_OTLP_* itself). Tracing is off while no endpoint is set.
type TraceConfig struct {
	// Endpoint is the OTLP/HTTP base URL spans are exported to
	// (http://collector:4318); empty turns tracing off.
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// ServiceName overrides the service's own name in its spans.
	ServiceName string `env:"OTEL_SERVICE_NAME"`
	// Sampler is one of always_on, always_off, traceidratio,
	// parentbased_always_on (the default), parentbased_always_off,
	// parentbased_traceidratio.
	Sampler string `env:"OTEL_TRACES_SAMPLER"`
	// SamplerArg is the ratio of the traceidratio samplers, 0 to 1.
	SamplerArg string `env:"OTEL_TRACES_SAMPLER_ARG"`
	// ResourceAttributes are key=value pairs, comma-separated, added to
	// every span's resource (deployment.environment.name=prod).
	ResourceAttributes string `env:"OTEL_RESOURCE_ATTRIBUTES"`
}

// Validate checks the sampler settings, which the SDK would otherwise
// replace by its default with no more than a log line.
func (t TraceConfig) Validate() error {
	ratio := false
	switch t.Sampler {
	case "", "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
	case "traceidratio", "parentbased_traceidratio":
		ratio = true
	default:
		return fmt.Errorf("OTEL_TRACES_SAMPLER %q is not one of always_on, always_off, traceidratio, "+
			"parentbased_always_on, parentbased_always_off, parentbased_traceidratio", t.Sampler)
	}
	if ratio && t.SamplerArg != "" {
		if r, err := strconv.ParseFloat(t.SamplerArg, 64); err != nil || r < 0 || r > 1 {
			return fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q is not a ratio between 0 and 1", t.SamplerArg)
		}
	}
	if t.Endpoint != "" {
		if err := ValidateURL("OTEL_EXPORTER_OTLP_ENDPOINT", t.Endpoint); err != nil {
			return err
		}
	}
	return nil
}

// Validate reports the first setting that cannot work.
func (b Base) Validate() error {
	var errs []error
	if err := b.Trace.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseLevel(b.LogLevel); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]time.Duration{
		"REQUEST_TIMEOUT": b.RequestTimeout, "READ_TIMEOUT": b.ReadTimeout,
		"WRITE_TIMEOUT": b.WriteTimeout, "SHUTDOWN_TIMEOUT": b.ShutdownTimeout,
		"READY_TIMEOUT": b.ReadyTimeout, "IDLE_TIMEOUT": b.IdleTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	if b.ShutdownDelay < 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_DELAY must not be negative, got %s", b.ShutdownDelay))
	}
	if b.BodyLimit < 1024 {
		errs = append(errs, fmt.Errorf("BODY_LIMIT must be at least 1024 bytes, got %d", b.BodyLimit))
	}
	return errors.Join(errs...)
}

// Validator is implemented by config structs that check their own values.
type Validator interface{ Validate() error }

// LoadConfig fills a service config struct from environment variables
// (defaults in envDefault tags) and validates it. environ is
// env.ToMap(os.Environ()) in production; tests pass their own map so they never
// touch the process environment.
func LoadConfig[T Validator](environ map[string]string) (T, error) {
	var cfg T
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, fmt.Errorf("reading configuration: %w", nameVariables[T](err))
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// nameVariables rewrites env's parse errors, which name Go struct fields, to
// name the environment variables an operator sets.
func nameVariables[T any](err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	keys := map[string][]string{}
	collectKeys(reflect.TypeFor[T](), keys)
	out := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && len(keys[pe.Name]) > 0 {
			e = fmt.Errorf("%s: %w", strings.Join(keys[pe.Name], " or "), pe.Err)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// collectKeys maps struct field names to their env tags, nested structs included.
func collectKeys(t reflect.Type, keys map[string][]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
			keys[f.Name] = append(keys[f.Name], name)
		} else if f.Type.Kind() == reflect.Struct {
			collectKeys(f.Type, keys)
		}
	}
}

// EnvNames lists every environment variable a config struct reads; the chart
// tests use it to prove the chart sets only variables a service understands.
func EnvNames[T any]() []string {
	var cfg T
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(params))
	for _, p := range params {
		names = append(names, p.Key)
	}
	return names
}

// RequiredEnvNames lists the variables a config struct cannot start without.
func RequiredEnvNames[T any]() []string {
	var cfg T
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range params {
		if p.Required {
			names = append(names, p.Key)
		}
	}
	return names
}

// ValidateURL checks that an http(s) URL setting has a scheme and a host.
func ValidateURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an http:// or https:// URL with a host, got %q", name, raw)
	}
	return nil
}

// ValidatePort checks that a port setting is 1-65535.
func ValidatePort(name string, port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%s must be 1-65535, got %d", name, port)
	}
	return nil
}
