package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// Settings of the scale scenarios: the same requests at every catalog size,
// open loop at one fixed rate, so only the size changes between runs.
var scaleSizes = []int{1_000, 10_000, 100_000}

const (
	scaleRate        = 100.0
	scaleRunTime     = 5 * time.Second
	scaleWarmUp      = time.Second
	scaleRounds      = 3
	scaleConcurrency = 16
	// scaleQueryFrom is how many of the first products the queries are
	// drawn from: products every size holds, so every query can match at
	// every size.
	scaleQueryFrom = 1_000
	// scaleMaxRatio is the target: p99 at the largest size within
	// this factor of the smallest.
	scaleMaxRatio = 2.0
)

// benchCatalogScale measures, at 1,000, 10,000 and 100,000 products, the
// p99 of a filtered catalog page (category, price range, in stock) and of a
// text query, on PostgreSQL and on the embedded store, through HTTP with
// the page cache off (uncached), so every request reaches the store. Each
// size has its own database and store, and the sizes take turns over
// several rounds, so a burst of load from elsewhere on the machine falls
// on all of them alike; the median of the rounds' p99s is what is
// compared.
func benchCatalogScale(ctx context.Context, sum *summary, c *cleanups) error {
	logger := slog.New(slog.DiscardHandler)
	products := benchCatalogProducts(slices.Max(scaleSizes))
	cfg, err := platform.LoadConfig[catalog.Config](map[string]string{})
	if err != nil {
		return err
	}
	type target struct {
		size       int
		store, url string
		load       time.Duration
	}
	var targets []target
	for _, size := range scaleSizes {
		part := "scale_catalog_" + count(size)
		dbURL, err := freshDatabase(ctx, part)
		if err != nil {
			return err
		}
		c.add(func() { _ = dropDatabase(context.WithoutCancel(ctx), part) })
		pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(dbURL), MaxConns: scaleConcurrency / 2}, logger)
		if err != nil {
			return err
		}
		c.add(pool.Close)
		if err := catalog.Migrate(ctx, pool, logger); err != nil {
			return err
		}
		start := time.Now()
		if err := copyProducts(ctx, pool, products[:size]); err != nil {
			return err
		}
		pgLoad := time.Since(start)
		// The store itself, not catalog.Open's CachedStore: with the page
		// cache off every request reaches PostgreSQL, which is what grows.
		pgURL, err := serve(ctx, c, catalog.NewApp(cfg, uncached{catalog.NewPostgresStore(pool)}, logger, platform.NewRegistry()))
		if err != nil {
			return err
		}

		start = time.Now()
		mem := catalog.NewMemoryStore(&outbox.Memory{})
		if _, err := mem.SeedIfEmpty(ctx, catalogProducts(products[:size])); err != nil {
			return err
		}
		memLoad := time.Since(start)
		memURL, err := serve(ctx, c, catalog.NewApp(cfg, uncached{mem}, logger, platform.NewRegistry()))
		if err != nil {
			return err
		}
		targets = append(targets, target{size, "PostgreSQL", pgURL, pgLoad}, target{size, "embedded", memURL, memLoad})
	}

	queries := scaleCatalogQueries(products[:scaleQueryFrom])
	client := shopper.NewClient(scaleConcurrency)
	fmt.Printf("GET /catalog, %d distinct requests of each kind in turn, open loop at %.0f req/s for %s (after %s of warm-up), concurrency %d, %d rounds\n",
		len(queries[0].queries), scaleRate, scaleRunTime, scaleWarmUp, scaleConcurrency, scaleRounds)
	fmt.Printf("PostgreSQL: a database per size (%s...), pool of %d, no page cache; embedded: the in-memory store make run uses, no page cache\n\n",
		databaseName("scale_catalog_"), scaleConcurrency/2)
	type key struct {
		size         int
		store, query string
	}
	results := map[key][]shopper.Result{}
	for range scaleRounds {
		for _, t := range targets {
			for _, q := range queries {
				k := key{t.size, t.store, q.name}
				results[k] = append(results[k], openLoop(ctx, client, t.url+"/catalog?", q.queries))
			}
		}
	}
	fmt.Printf("| products | store | request | p50 (median) | p99 (median) | p99 of each round | errors | load |\n|---|---|---|---|---|---|---|---|\n")
	for _, t := range targets {
		for _, q := range queries {
			rs := results[key{t.size, t.store, q.name}]
			p50, p99, rounds, errs := roundStats(rs)
			fmt.Printf("| %d | %s | %s | %s | %s | %s | %d | %s |\n", t.size, t.store, q.name, p50, p99, rounds, errs, t.load.Round(time.Millisecond))
			printFirstError(rs...)
		}
	}
	fmt.Println("\n(load: the time to COPY the products and VACUUM ANALYZE, or to fill the embedded store)")
	for _, store := range []string{"PostgreSQL", "embedded"} {
		for _, q := range queries {
			_, small, _, _ := roundStats(results[key{scaleSizes[0], store, q.name}])
			_, large, _, _ := roundStats(results[key{slices.Max(scaleSizes), store, q.name}])
			sum.growth(acrossSizes(store+", "+q.name+": p99"), small, large, scaleMaxRatio)
		}
	}
	return nil
}

// uncached is a store whose listings the catalog cannot keep: it hides
// the store's catalog.Versioned, so the scale shows the store's own cost.
type uncached struct{ catalog.Store }

// roundStats is the median p50 and p99 of rounds, each round's p99, and
// the errors of all.
func roundStats(rounds []shopper.Result) (p50, p99 time.Duration, each string, errs int) {
	var p50s, p99s []time.Duration
	var list []string
	for _, r := range rounds {
		p50s, p99s = append(p50s, r.Percentile(50)), append(p99s, r.Percentile(99))
		list = append(list, r.Percentile(99).Round(100*time.Microsecond).String())
		errs += r.Errors
	}
	return median(p50s).Round(time.Microsecond), median(p99s).Round(time.Microsecond), strings.Join(list, ", "), errs
}

// printFirstError prints the first error of any of rounds.
func printFirstError(rounds ...shopper.Result) {
	for _, r := range rounds {
		if r.FirstErr != nil {
			fmt.Printf("first error: %v\n", r.FirstErr)
			return
		}
	}
}

// growth records how a p99 at the larger size compares with the same at
// the smaller, against maxRatio.
func (s *summary) growth(figure string, small, large time.Duration, maxRatio float64) {
	r := float64(large) / float64(small)
	s.add(figure, fmt.Sprintf("%.2fx (%s)", r, large.Round(time.Microsecond)), small.Round(time.Microsecond).String(),
		fmt.Sprintf("<= %.1fx", maxRatio), r <= maxRatio)
}

// acrossSizes names a figure compared at the largest catalog size and the
// smallest.
func acrossSizes(figure string) string {
	return fmt.Sprintf("%s at %s vs %s products", figure, count(slices.Max(scaleSizes)), count(scaleSizes[0]))
}

// count writes 100000 as 100k.
func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1_000 && n%1_000 == 0:
		return strconv.Itoa(n/1_000) + "k"
	}
	return strconv.Itoa(n)
}

// scaleCatalogQueries derives the requests from products: filtered pages
// (a category, a price range 100 dollars wide, in stock, sorted by name as
// the storefront's category pages are) and text queries (a word of four
// letters or more from a product's name, as a shopper types one).
func scaleCatalogQueries(products []events.Product) []queryKind {
	rng := rand.New(rand.NewPCG(7, 7))
	filtered := queryKind{name: "category + price + in stock"}
	text := queryKind{name: "text (q=word)"}
	seen := map[string]bool{}
	for len(filtered.queries) < 100 || len(text.queries) < 100 {
		p := products[rng.IntN(len(products))]
		low := 1000 * rng.Int64N(40)
		filtered.queries = append(filtered.queries, url.Values{
			"category": {p.Category}, "min_price": {strconv.FormatInt(low, 10)},
			"max_price": {strconv.FormatInt(low+10_000, 10)}, "in_stock": {"true"},
		}.Encode())
		for w := range strings.FieldsSeq(strings.ToLower(p.Name)) {
			if len(w) >= 4 && !seen[w] && len(text.queries) < 100 {
				seen[w] = true
				text.queries = append(text.queries, url.Values{"q": {w}}.Encode())
			}
		}
	}
	return []queryKind{filtered, text}
}

// openLoop GETs prefix+q for each of queries in turn at scaleRate, after a
// warm-up.
func openLoop(ctx context.Context, client *http.Client, prefix string, queries []string) shopper.Result {
	do := getEach(client, prefix, queries, roundRobin(len(queries)))
	_ = shopper.Drive(ctx, shopper.Load{Workers: scaleConcurrency, Duration: scaleWarmUp, Rate: scaleRate}, do)
	return shopper.Drive(ctx, shopper.Load{Workers: scaleConcurrency, Duration: scaleRunTime, Rate: scaleRate}, do)
}

// copyProducts adds products to the catalog table with COPY (100,000 in a
// few seconds), then VACUUM ANALYZE, as autovacuum would soon after such a
// load: fresh statistics for the planner and a visibility map for
// index-only scans.
func copyProducts(ctx context.Context, pool *pgxpool.Pool, products []events.Product) error {
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"products"},
		[]string{"id", "name", "description", "category", "price_cents", "currency", "image", "stock"},
		pgx.CopyFromSlice(len(products), func(i int) ([]any, error) {
			p := products[i]
			return []any{p.ID, p.Name, p.Description, p.Category, p.PriceCents, p.Currency, p.Image, p.Stock}, nil
		}))
	if err != nil {
		return fmt.Errorf("copying products: %w", err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE products"); err != nil {
		return fmt.Errorf("VACUUM ANALYZE products: %w", err)
	}
	return nil
}

// catalogProducts turns generated products into the catalog's own.
func catalogProducts(list []events.Product) []catalog.Product {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]catalog.Product, len(list))
	for i, p := range list {
		out[i] = catalog.Product{ID: p.ID, Name: p.Name, Description: p.Description, Category: p.Category,
			PriceCents: p.PriceCents, Currency: p.Currency, Image: p.Image, Stock: p.Stock,
			CreatedAt: at, UpdatedAt: at.Add(time.Duration(i) * time.Second)}
	}
	return out
}

// Targets of the embedded search index at the largest size.
const (
	searchBuildLimit = 60 * time.Second
	searchRSSLimit   = 512 << 20
	searchScaleRate  = 200.0
)

// benchSearchScale starts the search service's own binary (a process of its
// own, so /proc gives its memory alone) over a catalog of 1,000, 10,000 and
// 100,000 products and measures the initial build of its embedded index
// (from start to /ready, the catalog read page by page over HTTP), its
// resident memory, its maximum q/s and its p99 at a fixed rate, cache off.
func benchSearchScale(ctx context.Context, sum *summary, c *cleanups) error {
	products := benchCatalogProducts(slices.Max(scaleSizes))
	dir, err := buildBinaries(ctx, c, "", "search")
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "search")
	var queries []string
	for _, k := range benchQueries(products[:scaleQueryFrom]) {
		queries = append(queries, k.queries...)
	}
	client := shopper.NewClient(scaleConcurrency)
	fmt.Printf("the search binary (embedded index, SEARCH_CACHE_TTL=0, default GOGC) over a catalog on loopback; %d distinct queries of 5 kinds in turn, concurrency %d\n",
		len(queries), scaleConcurrency)
	fmt.Printf("build: process start to /ready; RSS: VmRSS of the process after the build and VmHWM (its peak) after the queries, from /proc\n\n")
	fmt.Printf("| products | build | RSS after build | peak RSS | max q/s | p50 at %.0f q/s | p99 | errors |\n|---|---|---|---|---|---|---|---|\n", searchScaleRate)
	p99s := map[int]time.Duration{}
	for _, size := range scaleSizes {
		// Each size has a catalog and a search process of its own, both
		// stopped before the next size starts.
		var sized cleanups
		c.add(sized.close)
		catalogURL, err := serve(ctx, &sized, fakeCatalogApp(products[:size]))
		if err != nil {
			return err
		}
		r, err := measureSearchProcess(ctx, &sized, bin, catalogURL, client, queries)
		sized.close()
		if err != nil {
			return fmt.Errorf("%d products: %w", size, err)
		}
		p99s[size] = r.atRate.Percentile(99)
		fmt.Printf("| %d | %s | %s | %s | %.0f | %s | %s | %d |\n", size, r.build.Round(time.Millisecond), mib(r.rss), mib(r.peak), r.max.RPS(),
			r.atRate.Percentile(50).Round(time.Microsecond), r.atRate.Percentile(99).Round(time.Microsecond), r.max.Errors+r.atRate.Errors)
		if size == slices.Max(scaleSizes) {
			label := count(size) + " products"
			sum.add("index build, "+label, r.build.Round(time.Millisecond).String(), "-", "< "+searchBuildLimit.String(), r.build < searchBuildLimit)
			sum.add("peak RSS (VmHWM), "+label, mib(r.peak), "-", "< "+mib(searchRSSLimit), r.peak < searchRSSLimit)
			sum.add("mixed queries, max, "+label, fmt.Sprintf("%.0f q/s", r.max.RPS()), "-", "-", true)
		}
	}
	sum.growth(acrossSizes(fmt.Sprintf("search p99 at %.0f q/s", searchScaleRate)), p99s[scaleSizes[0]], p99s[slices.Max(scaleSizes)], scaleMaxRatio)
	return nil
}

type searchProcessResult struct {
	build       time.Duration
	rss, peak   int64
	max, atRate shopper.Result
}

// measureSearchProcess runs one search process over catalogURL, which c
// stops, and measures it.
func measureSearchProcess(ctx context.Context, c *cleanups, bin, catalogURL string, client *http.Client, queries []string) (searchProcessResult, error) {
	var res searchProcessResult
	ports, urls, err := loopbackPorts(ctx, "search")
	if err != nil {
		return res, err
	}
	env := []string{"HOST=127.0.0.1", "PORT=" + ports["search"], "CATALOG_URL=" + catalogURL,
		"CATALOG_TIMEOUT=30s", "SEARCH_CACHE_TTL=0s", "LOG_LEVEL=warn"}
	start := time.Now()
	p, err := startBinary(ctx, c, bin, env, 10*time.Minute, urls["search"]+"/ready")
	if err != nil {
		return res, err
	}
	res.build = time.Since(start)
	if res.rss, err = p.Memory("VmRSS"); err != nil {
		return res, err
	}
	do := getEach(client, urls["search"]+"/search?", queries, roundRobin(len(queries)))
	_ = shopper.Drive(ctx, shopper.Load{Workers: scaleConcurrency, Duration: scaleWarmUp}, do)
	res.max = shopper.Drive(ctx, shopper.Load{Workers: scaleConcurrency, Duration: 5 * time.Second}, do)
	res.atRate = shopper.Drive(ctx, shopper.Load{Workers: scaleConcurrency, Duration: scaleRunTime, Rate: searchScaleRate}, do)
	res.peak, err = p.Memory("VmHWM")
	return res, err
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// Settings of the order scale scenario.
const (
	scaleOrders    = 1_000_000
	orderScaleRate = 100.0
	orderScaleMax  = 1.5
	// orderScaleRunTime is longer than the catalog's runs: at 100 orders/s
	// a p99 needs a thousand orders to rest on ten.
	orderScaleRunTime = 10 * time.Second
)

// benchOrderScale measures create-order p99 (open loop, each order with an
// Idempotency-Key as the storefront sends) on an empty orders table and on
// one holding 1,000,000 orders, two order services side by side, their
// runs alternating so a burst of load elsewhere hits both alike.
func benchOrderScale(ctx context.Context, sum *summary, c *cleanups) error {
	c.add(func() { _ = dropDatabase(context.WithoutCancel(ctx), "order_catalog") })
	_, catalogURL, err := startBenchCatalog(ctx, c)
	if err != nil {
		return err
	}
	urls := map[string]string{}
	for _, part := range []string{"scale_orders_empty", "scale_orders_1m"} {
		c.add(func() { _ = dropDatabase(context.WithoutCancel(ctx), part) })
		orders, err := startBenchOrder(ctx, c, part, catalogURL)
		if err != nil {
			return err
		}
		// The warm-up stores a real order, whose JSON the million copy.
		if r := keyedOrders(ctx, orders.url, scaleWarmUp); r.FirstErr != nil {
			return fmt.Errorf("warm-up: %w", r.FirstErr)
		}
		urls[part] = orders.url
		if part == "scale_orders_1m" {
			start := time.Now()
			if err := fillOrders(ctx, orders.dbURL, scaleOrders); err != nil {
				return err
			}
			fmt.Printf("(%d orders inserted and VACUUM ANALYZE in %s)\n", scaleOrders, time.Since(start).Round(time.Second))
		}
	}
	fmt.Printf("POST /create-order with an Idempotency-Key, open loop at %.0f orders/s for %s, %d rounds alternating; relay not running\n\n",
		orderScaleRate, orderScaleRunTime, scaleRounds)
	results := map[string][]shopper.Result{}
	for range scaleRounds {
		for _, part := range []string{"scale_orders_empty", "scale_orders_1m"} {
			_ = keyedOrders(ctx, urls[part], scaleWarmUp)
			results[part] = append(results[part], keyedOrders(ctx, urls[part], orderScaleRunTime))
		}
	}
	fmt.Printf("| orders table | p50 (median) | p99 (median) | p99 of each round | errors |\n|---|---|---|---|---|\n")
	for _, part := range []string{"scale_orders_empty", "scale_orders_1m"} {
		p50, p99, rounds, errs := roundStats(results[part])
		fmt.Printf("| %s | %s | %s | %s | %d |\n", part, p50, p99, rounds, errs)
		printFirstError(results[part]...)
	}
	_, empty, _, _ := roundStats(results["scale_orders_empty"])
	_, full, _, _ := roundStats(results["scale_orders_1m"])
	sum.growth(fmt.Sprintf("create-order p99 at %.0f/s, %s orders vs empty (median of %d)", orderScaleRate, count(scaleOrders), scaleRounds),
		empty, full, orderScaleMax)
	return nil
}

func median(list []time.Duration) time.Duration {
	s := slices.Clone(list)
	slices.Sort(s)
	return s[len(s)/2]
}

// keyedOrders drives POST /create-order at orderScaleRate, each request
// with a key of its own.
func keyedOrders(ctx context.Context, base string, d time.Duration) shopper.Result {
	return createOrders(ctx, base, scaleConcurrency, orderScaleRate, d, true)
}

// fillOrders adds n settled orders to the orders table in one INSERT ...
// SELECT, each a copy of an order the service stored with its own id,
// Idempotency-Key and creation time, spread over the past year. Their
// events are not added: the relay's retention deletes sent events, so the
// outbox of a shop with a million orders holds only its recent ones.
func fillOrders(ctx context.Context, dbURL string, n int) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, `
		INSERT INTO orders (id, status, reason, customer, items, subtotal_cents, shipping_cents, tax_cents, total_cents, shipping, currency, idempotency_key, request_hash, created_at, updated_at)
		SELECT gen_random_uuid(), 'confirmed', '', o.customer, o.items, o.subtotal_cents, o.shipping_cents, o.tax_cents, o.total_cents, o.shipping, o.currency,
			gen_random_uuid()::text, o.request_hash, t, t + interval '1 second'
		FROM (SELECT * FROM orders LIMIT 1) o,
			LATERAL (SELECT now() - interval '365 days' * random() AS t FROM generate_series(1, $1)) g`, n)
	if err != nil {
		return fmt.Errorf("inserting %d orders: %w", n, err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE orders"); err != nil {
		return fmt.Errorf("VACUUM ANALYZE orders: %w", err)
	}
	return nil
}
