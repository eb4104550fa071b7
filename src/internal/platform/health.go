package platform

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
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
