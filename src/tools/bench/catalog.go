package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// benchCatalog measures GET /catalog?page_size=20 on PostgreSQL next to a
// bare Fiber handler that returns the same bytes: maximum throughput, then
// latency at half the catalog's maximum rate.
func benchCatalog(ctx context.Context, sum *summary, c *cleanups) error {
	dbURL, err := freshDatabase(ctx, "catalog")
	if err != nil {
		return err
	}
	return benchCatalogOn(ctx, sum, c, "PostgreSQL (database "+databaseName("catalog")+", pool of 16)", map[string]string{"DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "16"})
}

// benchCatalogEmbedded is benchCatalog on the embedded store `make run`
// uses (in memory, seeded with the sample catalog).
func benchCatalogEmbedded(ctx context.Context, sum *summary, c *cleanups) error {
	return benchCatalogOn(ctx, sum, c, "the embedded store (make run)", map[string]string{})
}

// benchCatalogOn runs the catalog scenario on the store env selects.
func benchCatalogOn(ctx context.Context, sum *summary, c *cleanups, store string, env map[string]string) error {
	_, catalogURL, err := serveCatalog(ctx, c, env)
	if err != nil {
		return err
	}
	fmt.Printf("GET /catalog?page_size=20, concurrency %d, 10 s per run, %s\n", benchConcurrency, store)
	return againstBare(ctx, sum, "catalog", catalogURL, "/catalog?page_size=20", fiber.MIMEApplicationJSON, listingRatio, halfRateP99)
}

// serveCatalog opens a catalog service on the store env selects, traced
// as the OTEL_* variables say, and serves it on loopback.
func serveCatalog(ctx context.Context, c *cleanups, env map[string]string) (*catalog.Service, string, error) {
	cfg, err := platform.LoadConfig[catalog.Config](env)
	if err != nil {
		return nil, "", err
	}
	if err := traced(ctx, c, &cfg.Base, "catalog"); err != nil {
		return nil, "", err
	}
	svc, err := catalog.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, "", err
	}
	c.add(svc.Close)
	catalogURL, err := serve(ctx, c, svc.App)
	return svc, catalogURL, err
}

// benchConcurrency is the workers of every againstBare run.
const benchConcurrency = 16

// againstBare measures GET path on base next to a bare Fiber handler that
// sends the same bytes (of contentType): maximum throughput, then latency
// at half the measured maximum rate; then both again with wrk, an
// independent load generator in C, as the issue measured them (one
// thread, 32 connections). It prints the table and adds the ratios and the
// p99 against their targets to the summary.
func againstBare(ctx context.Context, sum *summary, name, base, path, contentType string, minRatio float64, maxP99 time.Duration) error {
	body, err := fetch(ctx, base+path)
	if err != nil {
		return err
	}
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/*", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, contentType)
		return c.Send(body)
	})
	var bareServer cleanups
	defer bareServer.close()
	bareURL, err := serve(ctx, &bareServer, bare)
	if err != nil {
		return err
	}
	client := shopper.NewClient(benchConcurrency)
	// Same bytes on both sides, as wrk: Go's client asks for gzip by
	// default, and the shop would compress every answer (and the client
	// inflate it, on the same cores) while bare Fiber sends it as it is.
	client.Transport.(*http.Transport).DisableCompression = true
	measure := func(url string, rate float64) shopper.Result {
		return shopper.Drive(ctx, shopper.Load{Workers: benchConcurrency, Duration: 10 * time.Second, Rate: rate}, shopper.Get(client, url))
	}
	_ = measure(base+path, 0) // warm-up: connections, caches
	shop := measure(base+path, 0)
	baseline := measure(bareURL+path, 0)
	half := measure(base+path, shop.RPS()/2)
	bareHalf := measure(bareURL+path, shop.RPS()/2)
	shopWrk, err := runWrk(ctx, base+path)
	if err != nil {
		return err
	}
	bareWrk, err := runWrk(ctx, bareURL+path)
	if err != nil {
		return err
	}
	fmt.Printf("| %s (%d bytes) | throughput | p50 | p99 | errors |\n|---|---|---|---|---|\n", name, len(body))
	row := func(run string, r shopper.Result) {
		fmt.Printf("| %s | %.0f req/s | %s | %s | %d |\n", run, r.RPS(), r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Errors)
	}
	row(name+", max", shop)
	row("bare Fiber, same bytes, max", baseline)
	row(fmt.Sprintf("%s at half max (%.0f req/s)", name, shop.RPS()/2), half)
	row("bare Fiber at the same rate", bareHalf)
	fmt.Printf("| %s, wrk -t1 -c32 | %s |\n| bare Fiber, wrk -t1 -c32 | %s |\n", name, shopWrk, bareWrk)
	fmt.Printf("\nratio %s/bare = %.2f (wrk %.2f; target >= %.2g); p99 at half max = %s (target <= %s)\n\n", name, shop.RPS()/baseline.RPS(),
		shopWrk.rps/bareWrk.rps, minRatio, half.Percentile(99).Round(time.Microsecond), maxP99)
	sum.ratio(name+" throughput vs bare Fiber (Drive, c16)", shop.RPS(), baseline.RPS(), "req/s", minRatio)
	sum.ratio(name+" throughput vs bare Fiber (wrk -t1 -c32)", shopWrk.rps, bareWrk.rps, "req/s", minRatio)
	sum.latency(name+" p99 at half max", half.Percentile(99), bareHalf.Percentile(99), maxP99)
	if errs := shop.Errors + baseline.Errors + half.Errors + bareHalf.Errors + shopWrk.errors + bareWrk.errors; errs > 0 {
		sum.add(name+" errors", fmt.Sprint(errs), "-", "0", false)
	}
	return nil
}

// databaseName is the name of the benchmark database for part:
// BENCH_DATABASE_PREFIX (default shop_bench_) and part, so two runs on one
// shared server can keep apart by their prefixes.
func databaseName(part string) string {
	return cmp.Or(os.Getenv("BENCH_DATABASE_PREFIX"), "shop_bench_") + part
}

// freshDatabase recreates the benchmark database for part (databaseName)
// and returns its URL.
func freshDatabase(ctx context.Context, part string) (string, error) {
	name := databaseName(part)
	cfg, err := adminExec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", "CREATE DATABASE "+name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), nil
}

// dropDatabase removes the benchmark database for part, for the scenarios
// whose databases are too large to leave behind.
func dropDatabase(ctx context.Context, part string) error {
	_, err := adminExec(ctx, "DROP DATABASE IF EXISTS "+databaseName(part)+" WITH (FORCE)")
	return err
}

// adminExec runs each of sqls on the benchmark server (BENCH_DATABASE_URL,
// default the local PostgreSQL) and returns the connection's settings.
func adminExec(ctx context.Context, sqls ...string) (*pgx.ConnConfig, error) {
	admin := cmp.Or(os.Getenv("BENCH_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", platform.Secret(admin), pg.Wrap("bench", err))
	}
	defer func() { _ = conn.Close(ctx) }()
	for _, sql := range sqls {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return nil, fmt.Errorf("%s: %w", sql, err)
		}
	}
	return conn.Config(), nil
}

// serve runs app on a free loopback port until c closes, and returns its
// base URL.
func serve(ctx context.Context, c *cleanups, app *fiber.App) (string, error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = platform.Serve(ctx, app, ln, 5*time.Second)
	}()
	c.add(func() { cancel(); <-done })
	return "http://" + ln.Addr().String(), nil
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}
