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
	"github.com/shop-platform/shop/src/internal/shopper"
)

// benchFrontend measures storefront pages, rendered from a live in-memory
// catalog and embedded search index, next to a bare Fiber handler
// returning the same bytes: the cost of building a page (backend calls,
// cookies, templates) over just sending it.
func benchFrontend(ctx context.Context, sum *summary) error {
	logger := slog.New(slog.DiscardHandler)
	catalogCfg, err := platform.LoadConfig[catalog.Config](map[string]string{})
	if err != nil {
		return err
	}
	flushCatalog, err := traced(ctx, &catalogCfg.Base, "catalog")
	if err != nil {
		return err
	}
	defer flushCatalog()
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
	flush, err := traced(ctx, &cfg.Base, "frontend")
	if err != nil {
		return err
	}
	defer flush()
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
	for _, page := range []struct{ name, path string }{{"home", "/"}, {"category", "/category/books"}, {"search", "/search?q=table"}} {
		if err := benchPage(ctx, sum, page.name, siteURL, page.path); err != nil {
			return err
		}
	}
	return nil
}

const frontendConcurrency = 16

// Targets of a storefront page: throughput against bare Fiber sending the
// same bytes, and p99 at half the page's maximum rate (the catalog's).
const (
	pageRatioTarget = 0.3
	pageP99Target   = 10 * time.Millisecond
)

// benchPage compares one storefront page with bare Fiber sending its bytes
// and prints the table rows and the ratio against target.
func benchPage(ctx context.Context, sum *summary, name, siteURL, path string) error {
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

	client := shopper.NewClient(frontendConcurrency)
	measure := func(url string, rate float64) shopper.Result {
		return shopper.Drive(ctx, shopper.Load{Workers: frontendConcurrency, Duration: 10 * time.Second, Rate: rate}, shopper.Get(client, url))
	}
	fmt.Printf("| page | run | throughput | p50 | p99 | errors |\n|---|---|---|---|---|---|\n")
	_ = measure(siteURL+path, 0) // warm-up: connections, caches
	shop := measure(siteURL+path, 0)
	baseline := measure(bareURL+path, 0)
	half := measure(siteURL+path, shop.RPS()/2)
	bareHalf := measure(bareURL+path, shop.RPS()/2)
	row := func(run string, r shopper.Result) {
		fmt.Printf("| %s (%d bytes) | %s | %.0f req/s | %s | %s | %d |\n", name, len(body), run, r.RPS(),
			r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Errors)
	}
	row("storefront, max", shop)
	row("bare Fiber, same bytes, max", baseline)
	row(fmt.Sprintf("storefront at half max (%.0f req/s)", shop.RPS()/2), half)
	row("bare Fiber at the same rate", bareHalf)
	shopWrk, err := runWrk(ctx, siteURL+path)
	if err != nil {
		return err
	}
	bareWrk, err := runWrk(ctx, bareURL+path)
	if err != nil {
		return err
	}
	fmt.Printf("| %s (%d bytes) | storefront, wrk -t1 -c32 | %s |\n| %s (%d bytes) | bare Fiber, wrk -t1 -c32 | %s |\n", name, len(body), shopWrk, name, len(body), bareWrk)
	fmt.Printf("\nratio %s storefront/bare = %.2f (target >= %.1f); p99 at half max %s (target <= %s)\n\n", name, shop.RPS()/baseline.RPS(),
		pageRatioTarget, half.Percentile(99).Round(time.Microsecond), pageP99Target)
	sum.ratio(name+" page vs bare Fiber (loadtest, c16)", shop.RPS(), baseline.RPS(), "req/s", pageRatioTarget)
	sum.ratio(name+" page vs bare Fiber (wrk -t1 -c32)", shopWrk.rps, bareWrk.rps, "req/s", pageRatioTarget)
	sum.latency(name+" page p99 at half max", half.Percentile(99), bareHalf.Percentile(99), pageP99Target)
	return nil
}
