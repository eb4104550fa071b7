package platform

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"
)

// OnReadError makes answer the server's reply to a request it could not
// read, but for a connection that sent nothing at all before READ_TIMEOUT:
// that one is closed without a word, as net/http does. fasthttp answers it
// 408, and a client that opened the connection and kept it unused in its
// pool (Go's http.Transport does, when another connection freed up first)
// can write its request just as that 408 arrives, and takes it for the
// answer: one such 408 failed a request in the pod-loss drill. A close
// without an answer looks like any idle keep-alive connection closing,
// which clients retry.
func OnReadError(app *fiber.App, answer func(*fasthttp.RequestCtx, error)) {
	app.Server().ErrorHandler = func(fctx *fasthttp.RequestCtx, err error) {
		if sentNothing(err) {
			_ = fctx.Conn().Close()
			return
		}
		answer(fctx, err)
	}
}

// sentNothing reports whether err is fasthttp's read error for a new
// connection that timed out before its first byte: the connection's own
// error, unwrapped. A request cut off part way is wrapped ("error when
// reading request headers: ...") and still gets its 408.
func sentNothing(err error) bool {
	netErr, ok := err.(net.Error) //nolint:errorlint // only the unwrapped error means nothing was read
	return ok && netErr.Timeout()
}

// Paths every service serves.
const (
	HealthPath  = "/health"
	ReadyPath   = "/ready"
	MetricsPath = "/metrics"
)

// responseBufferSize is each connection's write buffer (see NewApp).
const responseBufferSize = 16 << 10

// NewApp builds the Fiber app every service starts from: request id, panic
// recovery, HTTP metrics on reg, a deadline on every request context, JSON
// errors, and the /health, /ready and /metrics routes. ready holds the
// dependency checks behind /ready.
func NewApp(service string, base Base, logger *slog.Logger, reg *prometheus.Registry, ready Checks) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:      service,
		BodyLimit:    base.BodyLimit,
		ReadTimeout:  base.ReadTimeout,
		WriteTimeout: base.WriteTimeout,
		IdleTimeout:  base.IdleTimeout,
		// A response is written to the connection when this buffer fills
		// and once at its end: with fasthttp's 4 KB, the storefront's pages
		// (4-12 KB with their security headers) and a catalog page (9 KB)
		// took two write system calls each, half the CPU of a product page
		// under load (docs/benchmarks.md). 16 KB sends them in one; each
		// open connection holds its buffer.
		WriteBufferSize:       responseBufferSize,
		DisableStartupMessage: true,
		// One path per resource: /metrics is /metrics, never /METRICS or
		// /metrics/, so a policy that names a path (an Istio
		// AuthorizationPolicy, an Ingress) means exactly what it says.
		StrictRouting: true,
		CaseSensitive: true,
		// Path parameters arrive decoded, so "%20" is a space to handlers.
		UnescapePath: true,
		// Fiber reuses request buffers: without this, a string from
		// c.Query, c.Params or c.Get that outlives the handler (a cache
		// key, a stored id) changes under the next request on the
		// connection, and caches served other queries' answers. Copying
		// costs about 11 small allocations per listing request (some
		// 300 ns, next to tens of microseconds per request), and fixes
		// every handler at once instead of each one remembering to copy.
		Immutable:    true,
		ErrorHandler: func(c *fiber.Ctx, err error) error { return writeError(c, logger, err) },
	})
	// Requests the server cannot read (malformed HTTP, a body over the
	// limit, headers beyond the read buffer, a client too slow) and
	// methods Fiber does not know get the JSON error shape too, with a
	// fixed message: fasthttp's own messages carry the raw request,
	// Authorization header included.
	OnReadError(app, func(fctx *fasthttp.RequestCtx, err error) {
		c := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(c)
		_ = writeError(c, logger, base.ReadError(err))
	})
	refuseUnknownMethods(app)

	metrics := newHTTPMetrics(reg, service, HealthPath, ReadyPath, MetricsPath)

	app.Use(requestContext(base.RequestTimeout))
	// Answers are compressed (brotli or gzip) when the client accepts it:
	// product listings and pages shrink several-fold. The fastest level,
	// since every answer is compressed afresh.
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	if base.Tracer != nil {
		app.Use(serverSpans(base.Tracer, service))
	}
	app.Use(metrics.handler)
	// Errors are turned into responses here, inside the metrics middleware,
	// so the recorded status is the one the client got.
	app.Use(func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			return writeError(c, logger, err)
		}
		return nil
	})
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		logger.ErrorContext(c.UserContext(), "panic in handler", "panic", fmt.Sprint(e), "path", c.Path())
	}}))

	app.Get(HealthPath, func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get(ReadyPath, ready.handler(base.ReadyTimeout))
	app.Get(MetricsPath, metricsHandler(reg))
	return app
}

// requestContext gives each request an id and a context with that id and a
// deadline: Fiber v2 never cancels its request contexts by itself. The id
// is the caller's X-Request-Id when it is a safe one (see
// ValidRequestID), so one request is followed across the services and the
// mesh; otherwise a fresh one. It is echoed in the response either way.
func requestContext(timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(fiber.HeaderXRequestID)
		if !ValidRequestID(id) {
			id = utils.UUID()
		}
		c.Set(fiber.HeaderXRequestID, id)
		ctx := newRequestCtx(context.Background(), id, timeout)
		defer ctx.end()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// MaxRequestIDLen is the longest X-Request-Id a service takes from a caller.
const MaxRequestIDLen = 128

// ValidRequestID reports whether a caller's X-Request-Id is kept: 1 to
// MaxRequestIDLen characters of A-Z, a-z, 0-9 and ".", "_", ":", "-", which
// covers UUIDs, Envoy's ids and trace ids. Anything else (markup, control
// characters, a 2,000-character value) would be echoed into responses and
// written into every log line of the request, so it is replaced.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}

// refuseUnknownMethods answers a request whose method Fiber does not route
// (FOO, a lower-case get, the PRI of an HTTP/2 preface) through the
// server's error handler, so it gets the service's error shape; Fiber
// itself would answer a plain-text 400 before any middleware runs. It sits
// at the fasthttp level, in front of Fiber's router, and looks the error
// handler up per request, so a service may replace it after NewApp.
func refuseUnknownMethods(app *fiber.App) {
	srv := app.Server()
	next := srv.Handler
	methods := app.Config().RequestMethods
	srv.Handler = func(fctx *fasthttp.RequestCtx) {
		method := fctx.Method()
		for _, m := range methods {
			if string(method) == m {
				next(fctx)
				return
			}
		}
		err := ErrUnknownMethod
		if string(method) == "PRI" && string(fctx.Request.Header.Protocol()) == "HTTP/2.0" {
			err = ErrHTTP2Preface
		}
		srv.ErrorHandler(fctx, err)
	}
}

// serverSpans makes each request a server span, a child of the caller's
// span when it sent a W3C traceparent (another service, or Istio's Envoy).
// The probes and the scrape are left out: they would drown the traces.
func serverSpans(tp trace.TracerProvider, service string) fiber.Handler {
	tracer := tp.Tracer(service)
	reads, _ := tp.(ReadSampler)
	return func(c *fiber.Ctx) error {
		switch c.Path() {
		case HealthPath, ReadyPath, MetricsPath:
			return c.Next()
		}
		ctx := propagation.TraceContext{}.Extract(c.UserContext(), fasthttpCarrier{&c.Request().Header})
		if reads != nil {
			if dropped, ok := skipSpan(ctx, c.Method(), reads); ok {
				c.SetUserContext(dropped)
				return c.Next()
			}
		}
		// The method is known at the start, for the sampler: make run's
		// traces every write (tracing.rateLimited).
		ctx, span := tracer.Start(ctx, "HTTP", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(c.Method())))
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next()
		// A span the sampler dropped costs no more than this: its name
		// and attributes are never built.
		if !span.IsRecording() {
			return err
		}
		// The route is known once routing is done: "GET /orders/:id".
		method, route, status := c.Method(), c.Route().Path, c.Response().StatusCode()
		span.SetName(method + " " + route)
		span.SetAttributes(
			semconv.URLPath(c.Path()),
			semconv.HTTPRoute(route),
			semconv.HTTPResponseStatusCode(status),
			attribute.String("http.request_id", RequestID(ctx)),
		)
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		return err
	}
}

// ReadSampler is a tracer provider whose sampler follows the caller's
// decision and keeps a budget of reads: make run's in-memory traces
// (tracing.Recorder). The server middleware asks it before it starts a
// span, so that a request whose trace would be dropped starts none: the
// SDK's dropped span cost seven allocations and about a tenth of a
// catalog page (docs/benchmarks.md).
type ReadSampler interface {
	trace.TracerProvider
	// SampleRead reports whether a GET or HEAD that starts a trace (no
	// caller's traceparent) is traced, taking it from the budget.
	SampleRead() bool
}

// skipSpan returns the context of a request that starts no span, and
// true, when its trace is dropped anyway: the caller's trace is not
// sampled, or it is a read past the budget. The second gets an unsampled
// span context of its own, so that its child spans (the storefront's calls
// to the catalog) are dropped with it and its log lines keep a trace id
// of their own, as they would under a dropped span.
func skipSpan(ctx context.Context, method string, reads ReadSampler) (context.Context, bool) {
	parent := trace.SpanContextFromContext(ctx)
	switch {
	case parent.IsValid():
		return ctx, !parent.IsSampled()
	case method != fiber.MethodGet && method != fiber.MethodHead, reads.SampleRead():
		return nil, false
	}
	var traceID trace.TraceID
	var spanID trace.SpanID
	high, low, span := rand.Uint64(), rand.Uint64(), rand.Uint64() //nolint:gosec // ids of a dropped trace: unique, not secret
	binary.LittleEndian.PutUint64(traceID[:8], high)
	binary.LittleEndian.PutUint64(traceID[8:], low)
	binary.LittleEndian.PutUint64(spanID[:], span)
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID})), true
}

// fasthttpCarrier reads and writes trace context headers of a Fiber request.
type fasthttpCarrier struct{ h *fasthttp.RequestHeader }

func (f fasthttpCarrier) Get(key string) string { return string(f.h.Peek(key)) }

func (f fasthttpCarrier) Set(key, value string) { f.h.Set(key, value) }

func (f fasthttpCarrier) Keys() []string {
	keys := make([]string, 0, f.h.Len())
	for k := range f.h.All() {
		keys = append(keys, string(k))
	}
	return keys
}

// RequireBearer guards admin routes with a static bearer token: 401 without a
// token, 403 with a wrong one, 403 for everyone when no token is configured.
func RequireBearer(token Secret) fiber.Handler {
	return func(c *fiber.Ctx) error {
		auth := c.Get(fiber.HeaderAuthorization)
		given, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || given == "" {
			return NewError(fiber.StatusUnauthorized, "unauthorized", "this endpoint needs an Authorization: Bearer <admin token> header")
		}
		if token == "" {
			return NewError(fiber.StatusForbidden, "forbidden", "the admin API is disabled: ADMIN_TOKEN is not set")
		}
		if subtle.ConstantTimeCompare([]byte(given), []byte(token.Value())) != 1 {
			return NewError(fiber.StatusForbidden, "forbidden", "the admin token is not valid")
		}
		return c.Next()
	}
}

// Serve runs app on ln until ctx is cancelled, then stops accepting
// connections and waits up to timeout for in-flight requests to finish.
func Serve(ctx context.Context, app *fiber.App, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	if err := app.ShutdownWithTimeout(timeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down http: %w", err)
	}
	return <-errc
}

// Listen opens the TCP listener a service serves on.
func Listen(ctx context.Context, host string, port int) (net.Listener, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listening on %s port %d: %w", host, port, err)
	}
	return ln, nil
}

// ListenAndServe is the end of every service's main: it listens on
// base.Host:port, serves app and runs the service's background workers beside
// it until ctx ends or one of them fails.
//
// When ctx ends (SIGTERM) it drains the Kubernetes way: /ready fails at once
// while the server keeps serving for base.ShutdownDelay, so the endpoints
// controller and every kube-proxy take the pod out of its Services before it
// stops accepting; responses in that window close their connections, so
// keep-alive clients reconnect to another pod. Then the server stops
// accepting and drains its in-flight requests (up to base.ShutdownTimeout),
// and only then are the workers stopped, so the outbox relay and consumers
// keep up with what the last requests wrote. A failing server or worker
// stops everything at once.
func ListenAndServe(ctx context.Context, logger *slog.Logger, base Base, port int, app *fiber.App,
	workers ...func(context.Context) error,
) error {
	ln, err := Listen(ctx, base.Host, port)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "serving", "addr", ln.Addr().String())
	draining := gateReady(app)
	// The server and the workers get their own contexts, cancelled in turn.
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	workCtx, stopWorking := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorking()

	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	served := make(chan struct{})
	g.Go(func() error {
		defer close(served)
		return Serve(serveCtx, app, ln, base.ShutdownTimeout)
	})
	for _, work := range workers {
		g.Go(func() error { return work(workCtx) })
	}
	g.Go(func() error {
		select {
		case <-gctx.Done():
			stopServing()
			stopWorking()
			return nil
		case <-ctx.Done():
		}
		draining.Store(true)
		logger.InfoContext(ctx, "draining: /ready fails, still serving", "delay", base.ShutdownDelay.String())
		select {
		case <-time.After(base.ShutdownDelay):
		case <-gctx.Done():
		}
		stopServing()
		<-served
		stopWorking()
		return nil
	})
	err = g.Wait()
	logger.InfoContext(ctx, "stopped", "error", err)
	return err
}

// ClientIP is the address of the client a request comes from. Behind
// trusted proxies (TRUSTED_PROXIES) it is the right-most X-Forwarded-For
// hop that is not itself a trusted proxy: each proxy appends the address it
// received from, so that hop is the last one nobody but a trusted proxy
// wrote. A client's own X-Forwarded-For entries (left of it) are ignored,
// and a request that does not come from a trusted proxy is its peer
// address, whatever its headers say. Fiber's ProxyHeader would take the
// left-most entry, which any client can set.
func (b Base) ClientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !b.trusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHop(hops[i])
		if err != nil {
			break
		}
		client = hop
		if !b.trusted(hop) {
			break
		}
	}
	return client.String()
}

func (b Base) trusted(addr netip.Addr) bool {
	for _, p := range b.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port ("203.0.113.7:4711", "[2001:db8::1]:80").
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	addr, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("X-Forwarded-For entry %q: %w", s, err)
	}
	return addr.Unmap(), nil
}
