package platform

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// ParseLevel turns a LOG_LEVEL value into a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return level, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", s)
	}
	return level, nil
}

// NewLogger returns a JSON logger to stdout, and also to
// <LogDir>/<service>.log when LogDir is set; callers add their service
// attribute with With. The returned close function flushes and closes that file.
func NewLogger(service string, base Base) (*slog.Logger, func() error, error) {
	level, err := ParseLevel(base.LogLevel)
	if err != nil {
		return nil, nil, err
	}
	var out io.Writer = os.Stdout
	closeFile := func() error { return nil }
	if base.LogDir != "" {
		if err := os.MkdirAll(base.LogDir, 0o750); err != nil {
			return nil, nil, fmt.Errorf("creating log directory: %w", err)
		}
		// LOG_DIR is the operator's setting, not a request's.
		f, err := os.OpenFile(filepath.Join(base.LogDir, service+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640) //nolint:gosec
		if err != nil {
			return nil, nil, fmt.Errorf("opening log file: %w", err)
		}
		out = io.MultiWriter(os.Stdout, f)
		closeFile = f.Close
	}
	handler := slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})
	return slog.New(requestIDHandler{handler}), closeFile, nil
}

type requestIDKey struct{}

// WithRequestID stores the request id in ctx so every log line written with
// that context carries it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestIDHandler adds the request id of the record's context to each
// record, and the trace and span id of the span in it, so a log line leads
// to its trace and back.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
