package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/search"
	"github.com/shop-platform/shop/src/internal/shopper"
)

const searchBenchProducts = 10_000

// benchSearch measures GET /search on the embedded index holding 10,000
// generated products: a mixed query set (one word, two words, misspelled,
// prefix, filtered) at concurrency 16, at full speed and then open loop at
// the 2,000 q/s target and at half the maximum for latency. It runs once with the answer cache off,
// every query searching the index, and once as deployed, the cache on and
// queries drawn with a Zipf distribution, as search traffic repeats its
// head queries.
func benchSearch(ctx context.Context, sum *summary, c *cleanups) error {
	products := benchCatalogProducts(searchBenchProducts)
	catalogURL, err := serve(ctx, c, fakeCatalogApp(products))
	if err != nil {
		return err
	}
	kinds := benchQueries(products)
	var all []string
	for _, k := range kinds {
		all = append(all, k.queries...)
	}
	const concurrency = 16
	client := shopper.NewClient(concurrency)
	fmt.Printf("%d generated products; GET /search with %d distinct queries of %d kinds, concurrency %d\n",
		len(products), len(all), len(kinds), concurrency)
	fmt.Printf("| cache | queries | run | throughput | p50 | p99 | errors |\n|---|---|---|---|---|---|---|\n")
	for _, cache := range []string{"0s", "2s"} {
		// Each cache setting has a search service of its own, closed
		// before the next starts.
		var searchService cleanups
		c.add(searchService.close)
		searchURL, err := startSearch(ctx, &searchService, catalogURL, cache)
		if err != nil {
			return err
		}
		pick := roundRobin(len(all))
		label := "each in turn"
		if cache != "0s" {
			pick, label = zipf(len(all)), "Zipf s=1.1"
		}
		measure := func(queries []string, pick func() int, d time.Duration, rate float64) shopper.Result {
			return shopper.Drive(ctx, shopper.Load{Workers: concurrency, Duration: d, Rate: rate}, getEach(client, searchURL+"/search?", queries, pick))
		}
		row := func(name string, r shopper.Result) {
			fmt.Printf("| %s | %s | %s | %.0f q/s | %s | %s | %d |\n", cache, label, name, r.RPS(),
				r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Errors)
			printFirstError(r)
		}
		_ = measure(all, pick, 5*time.Second, 0) // warm-up
		mixed := measure(all, pick, 10*time.Second, 0)
		row("mixed, max", mixed)
		if cache == "0s" {
			for _, k := range kinds {
				row(k.name+", max", measure(k.queries, roundRobin(len(k.queries)), 3*time.Second, 0))
			}
		}
		atTarget := measure(all, pick, 10*time.Second, 2000)
		row("mixed at 2,000 q/s (target)", atTarget)
		sum.add("mixed queries, max, cache "+cache, fmt.Sprintf("%.0f q/s", mixed.RPS()), "-", ">= 2000 q/s", mixed.RPS() >= 2000)
		sum.latency("mixed p99 at 2,000 q/s, cache "+cache, atTarget.Percentile(99), 0, 20*time.Millisecond)
		half := mixed.RPS() / 2
		row(fmt.Sprintf("mixed at half max (%.0f q/s)", half), measure(all, pick, 10*time.Second, half))
		searchService.close()
	}
	return nil
}

// startSearch runs a search service with the given SEARCH_CACHE_TTL over the
// catalog and waits until its index is loaded.
func startSearch(ctx context.Context, c *cleanups, catalogURL, cacheTTL string) (string, error) {
	cfg, err := platform.LoadConfig[search.Config](map[string]string{
		"CATALOG_URL": catalogURL, "CATALOG_TIMEOUT": "30s", "SEARCH_CACHE_TTL": cacheTTL,
	})
	if err != nil {
		return "", err
	}
	if err := traced(ctx, c, &cfg.Base, "search"); err != nil {
		return "", err
	}
	svc, err := search.Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	c.add(func() { _ = svc.Close() })
	bus := mq.NewMemory(mq.Options{})
	c.add(func() { _ = bus.Close() })
	if err := svc.Subscribe(ctx, bus); err != nil {
		return "", err
	}
	runCtx, stopRun := context.WithCancel(ctx)
	running := make(chan struct{})
	go func() { _ = svc.Run(runCtx, bus); close(running) }()
	c.add(func() { stopRun(); <-running })
	start := time.Now()
	for svc.Indexer.Loaded(ctx) != nil {
		if ctx.Err() != nil || time.Since(start) > 5*time.Minute {
			return "", fmt.Errorf("the index never loaded: %w", svc.Indexer.Loaded(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("(index loaded from the catalog in %s, cache %s)\n", time.Since(start).Round(time.Millisecond), cacheTTL)
	return serve(ctx, c, svc.App)
}

// getEach GETs prefix+s for the s of list pick chooses.
func getEach(client *http.Client, prefix string, list []string, pick func() int) func(context.Context, int) error {
	gets := make([]func(context.Context, int) error, len(list))
	for i, s := range list {
		gets[i] = shopper.Get(client, prefix+s)
	}
	return func(ctx context.Context, worker int) error { return gets[pick()](ctx, worker) }
}

// roundRobin picks 0..n-1 in turn: no query repeats before all have run.
func roundRobin(n int) func() int {
	var next atomic.Uint64
	return func() int { return int(next.Add(1) % uint64(n)) }
}

// zipf picks 0..n-1 with Zipf's law (s=1.1): a few queries often, most
// rarely, like the queries of a shop's search box.
func zipf(n int) func() int {
	var mu sync.Mutex
	z := rand.NewZipf(rand.New(rand.NewSource(42)), 1.1, 1, uint64(n-1))
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return int(z.Uint64())
	}
}

type queryKind struct {
	name    string
	queries []string // URL query strings
}

// benchQueries derives queries from the generated names, so every one can
// match: one word, two words of one name, a word with a letter dropped,
// the first letters of a word, and a word with filters.
func benchQueries(products []events.Product) []queryKind {
	f := gofakeit.New(7)
	kinds := []queryKind{{name: "one word"}, {name: "two words"}, {name: "misspelled"}, {name: "prefix"}, {name: "filtered"}}
	for len(kinds[0].queries) < 1000 {
		p := products[f.IntN(len(products))]
		words := strings.Fields(strings.ToLower(p.Name))
		w := words[f.IntN(len(words))]
		kinds[0].queries = append(kinds[0].queries, url.Values{"q": {w}}.Encode())
		if len(words) >= 2 {
			kinds[1].queries = append(kinds[1].queries, url.Values{"q": {words[0] + " " + words[1]}}.Encode())
		}
		if len(w) >= 5 {
			i := 1 + f.IntN(len(w)-2)
			kinds[2].queries = append(kinds[2].queries, url.Values{"q": {w[:i] + w[i+1:]}}.Encode())
		}
		if len(w) >= 4 {
			kinds[3].queries = append(kinds[3].queries, url.Values{"q": {w[:3]}}.Encode())
		}
		kinds[4].queries = append(kinds[4].queries, url.Values{
			"q": {w}, "category": {p.Category}, "max_price": {"25000"}, "in_stock": {"true"}, "sort": {"price"},
		}.Encode())
	}
	return kinds
}

// benchCatalogProducts generates a benchmark catalog of n products, the
// same way seedgen makes the seed catalog. The generator is seeded, so the
// first products of a larger catalog are those of a smaller one.
func benchCatalogProducts(n int) []events.Product {
	f := gofakeit.New(20261125)
	categories := []string{"appliances", "audio equipment", "bedding and linens", "books", "camping gear",
		"coffee and tea", "fitness equipment", "gardening tools", "kitchenware", "office supplies", "pet supplies", "toys and games"}
	list := make([]events.Product, n)
	for i := range list {
		category := categories[i%len(categories)]
		list[i] = events.Product{
			ID: fmt.Sprintf("bench-%06d", i), Name: f.ProductName(), Description: f.ProductDescription(),
			Category: category, PriceCents: int64(f.IntRange(199, 49999)), Currency: "USD",
			Image: "/static/products/" + strings.ReplaceAll(category, " ", "-") + ".svg", Stock: f.IntRange(0, 120),
		}
	}
	return list
}

// fakeCatalogApp serves GET /catalog pages of products, as the catalog does.
func fakeCatalogApp(products []events.Product) *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/catalog", func(c *fiber.Ctx) error {
		page, _ := strconv.Atoi(c.Query("page", "1"))
		size, _ := strconv.Atoi(c.Query("page_size", "20"))
		from, to := min(max(page-1, 0)*size, len(products)), min(max(page, 0)*size, len(products))
		body, err := json.Marshal(map[string]any{"items": products[from:to], "total": len(products), "page": page, "page_size": size})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	return app
}
