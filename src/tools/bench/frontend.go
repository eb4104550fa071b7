package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/platform"
)

// benchFrontend measures storefront pages, rendered from a live in-memory
// catalog and embedded search index, next to a bare Fiber handler
// returning the same bytes: the cost of building a page (backend calls,
// cookies, templates) over just sending it.
func benchFrontend(ctx context.Context, sum *summary) error {
	_, catalogURL, stopCatalog, err := serveCatalog(ctx, map[string]string{})
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
	app, err := frontend.NewApp(cfg, slog.New(slog.DiscardHandler), platform.NewRegistry())
	if err != nil {
		return err
	}
	siteURL, stopSite, err := serve(ctx, app)
	if err != nil {
		return err
	}
	defer stopSite()

	fmt.Printf("storefront pages on the embedded catalog, BACKEND_CACHE_TTL=%s, concurrency %d, 10 s per run\n", cfg.BackendCacheTTL, benchConcurrency)
	// Targets of a page: throughput against bare Fiber sending the same
	// bytes, and p99 at half the page's maximum rate (the catalog's).
	for _, page := range []struct {
		name, path string
		ratio      float64
	}{{"home", "/", listingRatio}, {"category", "/category/books", listingRatio}, {"product", "/product/kitchenware-007", pageRatio}, {"search", "/search?q=table", pageRatio}} {
		if err := againstBare(ctx, sum, page.name+" page", siteURL, page.path, fiber.MIMETextHTMLCharsetUTF8, page.ratio, halfRateP99); err != nil {
			return err
		}
	}
	return nil
}
