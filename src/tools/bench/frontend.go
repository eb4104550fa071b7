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
func benchFrontend(ctx context.Context, sum *summary, c *cleanups) error {
	_, catalogURL, err := serveCatalog(ctx, c, map[string]string{})
	if err != nil {
		return err
	}
	searchURL, err := startSearch(ctx, c, catalogURL, "1s")
	if err != nil {
		return err
	}

	cfg, err := platform.LoadConfig[frontend.Config](map[string]string{
		"CATALOG_URL": catalogURL, "SEARCH_URL": searchURL, "COOKIE_SECRET": "bench-cookie-secret-0123456789abcdef",
	})
	if err != nil {
		return err
	}
	if err := traced(ctx, c, &cfg.Base, "frontend"); err != nil {
		return err
	}
	app, err := frontend.NewApp(cfg, slog.New(slog.DiscardHandler), platform.NewRegistry())
	if err != nil {
		return err
	}
	siteURL, err := serve(ctx, c, app)
	if err != nil {
		return err
	}

	fmt.Printf("storefront pages on the embedded catalog, BACKEND_CACHE_TTL=%s, concurrency %d, 10 s per run\n", cfg.BackendCacheTTL, benchConcurrency)
	// Targets of a page: throughput against bare Fiber sending the same
	// bytes, and p99 at half the page's maximum rate (the catalog's).
	return benchPages(ctx, sum, map[string]string{"frontend": siteURL}, []page{
		{"home page", "frontend", "/", fiber.MIMETextHTMLCharsetUTF8, listingRatio},
		{"category page", "frontend", "/category/books", fiber.MIMETextHTMLCharsetUTF8, listingRatio},
		{"product page", "frontend", "/product/kitchenware-007", fiber.MIMETextHTMLCharsetUTF8, pageRatio},
		{"search page", "frontend", "/search?q=table", fiber.MIMETextHTMLCharsetUTF8, pageRatio},
	})
}
