package main

import (
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
func benchCatalog(ctx context.Context, sum *summary) error {
	dbURL, err := freshDatabase(ctx, "catalog")
	if err != nil {
		return err
	}
	return benchCatalogOn(ctx, sum, "PostgreSQL (database "+databaseName("catalog")+", pool of 16)", map[string]string{"DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "16"})
}

// benchCatalogEmbedded is benchCatalog on the embedded store `make run`
// uses (in memory, seeded with the sample catalog).
func benchCatalogEmbedded(ctx context.Context, sum *summary) error {
	return benchCatalogOn(ctx, sum, "the embedded store (make run)", map[string]string{})
}

// benchCatalogOn runs the catalog scenario on the store env selects.
func benchCatalogOn(ctx context.Context, sum *summary, store string, env map[string]string) error {
	logger := slog.New(slog.DiscardHandler)
	cfg, err := platform.LoadConfig[catalog.Config](env)
	if err != nil {
		return err
	}
	flush, err := traced(ctx, &cfg.Base, "catalog")
	if err != nil {
		return err
	}
	defer flush()
	svc, err := catalog.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	catalogURL, stopCatalog, err := serve(ctx, svc.App)
	if err != nil {
		return err
	}
	defer stopCatalog()

	const path = "/catalog?page_size=20"
	body, err := fetch(ctx, catalogURL+path)
	if err != nil {
		return err
	}
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/catalog", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	bareURL, stopBare, err := serve(ctx, bare)
	if err != nil {
		return err
	}
	defer stopBare()

	const concurrency = 16
	client := shopper.NewClient(concurrency)
	measure := func(url string, rate float64) shopper.Result {
		return shopper.Drive(ctx, shopper.Load{Workers: concurrency, Duration: 10 * time.Second, Rate: rate}, shopper.Get(client, url))
	}
	fmt.Printf("GET %s (%d bytes), concurrency %d, 10 s per run, %s\n", path, len(body), concurrency, store)
	_ = measure(catalogURL+path, 0) // warm-up: connections, caches
	shop := measure(catalogURL+path, 0)
	baseline := measure(bareURL+path, 0)
	half := measure(catalogURL+path, shop.RPS()/2)
	bareHalf := measure(bareURL+path, shop.RPS()/2)
	fmt.Printf("| run | throughput | p50 | p99 | errors |\n|---|---|---|---|---|\n")
	row := func(name string, r shopper.Result) {
		fmt.Printf("| %s | %.0f req/s | %s | %s | %d |\n", name, r.RPS(), r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Errors)
	}
	row("catalog, max", shop)
	row("bare Fiber, same bytes, max", baseline)
	row(fmt.Sprintf("catalog at half max (%.0f req/s)", shop.RPS()/2), half)
	row(fmt.Sprintf("bare Fiber at the same rate (%.0f req/s)", shop.RPS()/2), bareHalf)
	fmt.Printf("\nratio catalog/bare = %.2f (target >= 0.5); p99 at half max = %s (target <= 10ms)\n",
		shop.RPS()/baseline.RPS(), half.Percentile(99).Round(time.Microsecond))
	sum.ratio("throughput vs bare Fiber (loadtest, c16)", shop.RPS(), baseline.RPS(), "req/s", 0.5)
	sum.latency("p99 at half max", half.Percentile(99), bareHalf.Percentile(99), 10*time.Millisecond)
	if shop.Errors+baseline.Errors+half.Errors > 0 {
		sum.add("errors", fmt.Sprint(shop.Errors+baseline.Errors+half.Errors), "-", "0", false)
	}

	// wrk, an independent load generator in C, as the issue measured it:
	// one thread, 32 connections.
	shopWrk, err := runWrk(ctx, catalogURL+path)
	if err != nil {
		return err
	}
	bareWrk, err := runWrk(ctx, bareURL+path)
	if err != nil {
		return err
	}
	fmt.Printf("\nwrk -t1 -c32 -d10s:\n\n| run | throughput | p50 | p99 | errors |\n|---|---|---|---|---|\n")
	fmt.Printf("| catalog | %s |\n| bare Fiber, same bytes | %s |\n", shopWrk, bareWrk)
	sum.ratio("throughput vs bare Fiber (wrk -t1 -c32)", shopWrk.rps, bareWrk.rps, "req/s", 0.5)
	return nil
}

// databaseName is the name of the benchmark database for part:
// BENCH_DATABASE_PREFIX (default shop_bench_) and part, so two runs on one
// shared server can keep apart by their prefixes.
func databaseName(part string) string {
	prefix := os.Getenv("BENCH_DATABASE_PREFIX")
	if prefix == "" {
		prefix = "shop_bench_"
	}
	return prefix + part
}

// adminConnect connects to the benchmark server (BENCH_DATABASE_URL,
// default the local PostgreSQL).
func adminConnect(ctx context.Context) (*pgx.Conn, error) {
	admin := os.Getenv("BENCH_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", platform.Secret(admin), pg.Wrap("bench", err))
	}
	return conn, nil
}

// freshDatabase recreates the benchmark database for part (databaseName)
// and returns its URL.
func freshDatabase(ctx context.Context, part string) (string, error) {
	conn, err := adminConnect(ctx)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close(ctx) }()
	name := databaseName(part)
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return "", fmt.Errorf("%s: %w", sql, err)
		}
	}
	cfg := conn.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), nil
}

// dropDatabase removes the benchmark database for part, for the scenarios
// whose databases are too large to leave behind.
func dropDatabase(ctx context.Context, part string) error {
	conn, err := adminConnect(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+databaseName(part)+" WITH (FORCE)")
	return err
}

// serve runs app on a free loopback port and returns its base URL.
func serve(ctx context.Context, app *fiber.App) (string, func(), error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = platform.Serve(ctx, app, ln, 5*time.Second)
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
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
