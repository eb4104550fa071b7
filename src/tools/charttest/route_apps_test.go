//go:build charttest

package charttest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/search"
)

// serviceApps builds every service's Fiber app as its binary does (Open or
// NewApp with the configuration its environment gives), on the embedded
// backends: nothing is contacted, the routes are the real ones. The admin
// token is set, so the admin endpoints are registered.
func serviceApps(t *testing.T) map[string]*fiber.App {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The backends are an address nothing listens on: a page that calls
	// one fails at once instead of reaching whatever runs on this machine.
	nowhere := "http://127.0.0.1:1"
	environ := map[string]string{
		"ADMIN_TOKEN": "route-test-token", "COOKIE_SECRET": "route-test-cookie-secret-of-32-bytes!",
		"CATALOG_URL": nowhere, "SEARCH_URL": nowhere, "ORDER_URL": nowhere,
	}
	apps := map[string]*fiber.App{}

	catalogCfg := loadConfig[catalog.Config](t, environ)
	catalogSvc, err := catalog.Open(ctx, catalogCfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(catalogSvc.Close)
	apps["catalog"] = catalogSvc.App

	searchSvc, err := search.Open(loadConfig[search.Config](t, environ), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = searchSvc.Close() })
	apps["search"] = searchSvc.App

	orderSvc, err := order.Open(ctx, loadConfig[order.Config](t, environ), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(orderSvc.Close)
	apps["order"] = orderSvc.App

	paymentSvc, err := payment.Open(ctx, loadConfig[payment.Config](t, environ), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(paymentSvc.Close)
	apps["payment"] = paymentSvc.App

	frontendApp, err := frontend.NewApp(loadConfig[frontend.Config](t, environ), logger, platform.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	apps["frontend"] = frontendApp
	return apps
}

// loadConfig reads a service's configuration from environ as its binary does.
func loadConfig[T platform.Validator](t *testing.T, environ map[string]string) T {
	t.Helper()
	cfg, err := platform.LoadConfig[T](environ)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
