package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/loadtest"
)

// benchFrontend measures storefront pages, rendered from a live in-memory
// catalog and embedded search index, next to a bare Fiber handler
// returning the same bytes: the cost of building a page (backend calls,
// cookies, templates) over just sending it.
func benchFrontend(ctx context.Context) error {
	logger := slog.New(slog.DiscardHandler)
	catalogCfg, err := platform.LoadConfig[catalog.Config](map[string]string{})
	if err != nil {
		return err
	}
	catalogSvc, err := catalog.Open(ctx, catalogCfg, logger)
	if err != nil {
		return err
	}
	defer catalogSvc.Close()
	catalogURL, stopCatalog, err := serve(ctx, catalogSvc.App)
	if err != nil {
		return err
	}
	defer stopCatalog()

	searchURL, stopSearch, err := startSearch(ctx, catalogURL, "1s")
	if err != nil {
		return err
	}
	defer stopSearch()

	cfg, err := platform.LoadConfig[frontend.Config](map[string]string{
		"CATALOG_URL": catalogURL, "SEARCH_URL": searchURL, "COOKIE_SECRET": "bench-cookie-secret-0123456789abcdef",
	})
	if err != nil {
		return err
	}
	app, err := frontend.NewApp(cfg, logger, platform.NewRegistry())
	if err != nil {
		return err
	}
	siteURL, stopSite, err := serve(ctx, app)
	if err != nil {
		return err
	}
	defer stopSite()

	fmt.Printf("storefront pages on the embedded catalog, BACKEND_CACHE_TTL=%s, concurrency %d, 10 s per run\n", cfg.BackendCacheTTL, frontendConcurrency)
	if err := benchPage(ctx, "home", siteURL, "/", 0.3); err != nil {
		return err
	}
	return benchPage(ctx, "search", siteURL, "/search?q=table", 0)
}

const frontendConcurrency = 16

// benchPage compares one storefront page with bare Fiber sending its bytes
// and prints the table rows and the ratio against target.
func benchPage(ctx context.Context, name, siteURL, path string, target float64) error {
	body, err := fetch(ctx, siteURL+path)
	if err != nil {
		return err
	}
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.Send(body)
	})
	bareURL, stopBare, err := serve(ctx, bare)
	if err != nil {
		return err
	}
	defer stopBare()

	client := loadtest.NewClient(frontendConcurrency)
	measure := func(url string) loadtest.Result {
		return loadtest.Run(ctx, loadtest.Options{Concurrency: frontendConcurrency, Duration: 10 * time.Second, Do: loadtest.Get(client, url)})
	}
	fmt.Printf("| page | run | throughput | p50 | p99 | errors |\n|---|---|---|---|---|---|\n")
	_ = measure(siteURL + path) // warm-up: connections, caches
	shop := measure(siteURL + path)
	baseline := measure(bareURL + path)
	row := func(run string, r loadtest.Result) {
		fmt.Printf("| %s (%d bytes) | %s | %.0f req/s | %s | %s | %d |\n", name, len(body), run, r.RPS(),
			r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Errors)
	}
	row("storefront", shop)
	row("bare Fiber, same bytes", baseline)
	fmt.Printf("\nratio %s storefront/bare = %.2f", name, shop.RPS()/baseline.RPS())
	if target > 0 {
		fmt.Printf(" (target >= %.1f)", target)
	}
	fmt.Printf("\n\n")
	return nil
}
