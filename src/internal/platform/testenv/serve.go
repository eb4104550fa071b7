package testenv

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Serve runs app on a random loopback port until the test ends and returns
// its base URL. Tests that need what only a real server does (body limits,
// timeouts, other services calling in) use it instead of app.Test.
func Serve(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- platform.Serve(ctx, app, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serving test app: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
