package platform

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ansrivas/fiberprometheus/v2"
	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// Paths every service serves.
const (
	HealthPath  = "/health"
	ReadyPath   = "/ready"
	MetricsPath = "/metrics"
)

// NewApp builds the Fiber app every service starts from: request id, panic
// recovery, HTTP metrics on reg, a deadline on every request context, JSON
// errors, and the /health, /ready and /metrics routes. ready holds the
// dependency checks behind /ready.
func NewApp(service string, base Base, logger *slog.Logger, reg *prometheus.Registry, ready Checks) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               service,
		BodyLimit:             base.BodyLimit,
		ReadTimeout:           base.ReadTimeout,
		WriteTimeout:          base.WriteTimeout,
		IdleTimeout:           base.IdleTimeout,
		DisableStartupMessage: true,
		// goccy/go-json encodes the same JSON as encoding/json in a fraction
		// of the time; listings spend most of their CPU there.
		JSONEncoder: gojson.Marshal,
		// Path parameters arrive decoded, so "%20" is a space to handlers.
		UnescapePath: true,
		// Errors raised before the middleware chain runs (body too large,
		// malformed HTTP) still get the JSON error shape.
		ErrorHandler: func(c *fiber.Ctx, err error) error { return writeError(c, logger, err) },
	})

	prom := fiberprometheus.NewWithRegistry(reg, service, "http", "", nil)
	prom.SetSkipPaths([]string{HealthPath, ReadyPath, MetricsPath})

	app.Use(requestid.New())
	app.Use(requestContext(base.RequestTimeout))
	app.Use(prom.Middleware)
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
	prom.RegisterAt(app, MetricsPath)
	return app
}

// requestContext gives each request a context with the request id and a
// deadline: Fiber v2 never cancels its request contexts by itself.
func requestContext(timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, _ := c.Locals("requestid").(string)
		ctx, cancel := context.WithTimeout(WithRequestID(context.Background(), utils.CopyString(id)), timeout)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
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
// host:port, serves app and runs the service's background workers beside it
// until ctx ends or one of them fails, then drains the server (up to
// shutdown) and waits for the workers.
func ListenAndServe(ctx context.Context, logger *slog.Logger, host string, port int, app *fiber.App,
	shutdown time.Duration, workers ...func(context.Context) error,
) error {
	ln, err := Listen(ctx, host, port)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "serving", "addr", ln.Addr().String())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return Serve(gctx, app, ln, shutdown) })
	for _, work := range workers {
		g.Go(func() error { return work(gctx) })
	}
	err = g.Wait()
	logger.InfoContext(ctx, "stopped", "error", err)
	return err
}
