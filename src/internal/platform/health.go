package platform

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Checks are the readiness checks of a service, by dependency name. Each must
// return quickly once its context is done.
type Checks map[string]func(context.Context) error

// ReadyReport is the body of /ready.
type ReadyReport struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Run runs every check concurrently, each with its own timeout.
func (cs Checks) Run(ctx context.Context, timeout time.Duration) (ReadyReport, bool) {
	report := ReadyReport{Status: "ready", Checks: make(map[string]string, len(cs))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	ok := true
	for name, check := range cs {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			result := "ok"
			if err := check(cctx); err != nil {
				result = err.Error()
			}
			mu.Lock()
			defer mu.Unlock()
			report.Checks[name] = result
			if result != "ok" {
				ok = false
				report.Status = "unavailable"
			}
		})
	}
	wg.Wait()
	return report, ok
}

func (cs Checks) handler(timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		report, ok := cs.Run(c.UserContext(), timeout)
		if !ok {
			c.Status(fiber.StatusServiceUnavailable)
		}
		return c.JSON(report)
	}
}

// drainingBody is what /ready answers while the service drains.
const drainingBody = `{"status":"draining","checks":{}}`

// gateReady puts a gate in front of app's handler and returns its switch.
// Once the switch is on, /ready answers 503 ahead of the app's own checks,
// and every response closes its connection: a terminating pod leaves its
// Service's endpoints and its clients' connection pools while it still
// serves what is already on the way. The gate sits at the fasthttp level
// because the app's routes are fixed once it is built.
func gateReady(app *fiber.App) *atomic.Bool {
	draining := new(atomic.Bool)
	srv := app.Server()
	next := srv.Handler
	srv.Handler = func(c *fasthttp.RequestCtx) {
		if !draining.Load() {
			next(c)
			return
		}
		c.SetConnectionClose()
		if string(c.Path()) == ReadyPath {
			c.SetStatusCode(fiber.StatusServiceUnavailable)
			c.SetContentType(fiber.MIMEApplicationJSON)
			c.SetBodyString(drainingBody)
			return
		}
		next(c)
	}
	return draining
}
