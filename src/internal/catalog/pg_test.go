package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// eventually retries check until it passes or 15 seconds are up. The
// deadline is a bound on waiting for recovery, not a speed target.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 15s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func adminExec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.PostgresAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestMigrationsApplyOnceEvenWhenReplicasStartTogether(t *testing.T) {
	dbURL := testenv.NewDatabase(t)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(dbURL), MaxConns: 2}, logger)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			errs <- Migrate(ctx, pool, logger)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a replica failed to migrate: %v", err)
		}
	}
	pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(dbURL), MaxConns: 2}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("migrating an up-to-date database: %v", err)
	}
	var applied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM catalog_schema_migrations WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	entries, _ := migrations.ReadDir("migrations")
	if applied != len(entries) {
		t.Fatalf("%d migrations recorded, %d exist: some ran twice or not at all", applied, len(entries))
	}
	if _, err := NewPostgresStore(pool).List(ctx, Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 1}); err != nil {
		t.Fatalf("schema unusable after migration: %v", err)
	}
}

// Two replicas over one database: a write through one must reach the
// other's cache through the change notification.
func TestCacheSeesWritesOfOtherReplicas(t *testing.T) {
	pool := newTestPool(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	replica := NewCachedStore(NewPostgresStore(pool))
	go replica.Listen(ctx, pool, slog.New(slog.DiscardHandler))
	other := NewPostgresStore(pool)

	if _, _, err := other.Upsert(ctx, "clock", input("Clock", "home", 1000, 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica serves the new product", func() error {
		_, err := replica.Get(ctx, "clock")
		return err
	})
	q := Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 10}
	if page, err := replica.List(ctx, q); err != nil || page.Items[0].PriceCents != 1000 {
		t.Fatalf("list = %+v, %v", page, err)
	}
	if _, _, err := other.Upsert(ctx, "clock", input("Clock", "home", 1500, 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "replica serves the new price", func() error {
		page, err := replica.List(ctx, q)
		if err == nil && page.Items[0].PriceCents != 1500 {
			return fmt.Errorf("cached price %d", page.Items[0].PriceCents)
		}
		p, err := replica.Get(ctx, "clock")
		if err == nil && p.PriceCents != 1500 {
			return fmt.Errorf("cached product price %d", p.PriceCents)
		}
		return err
	})
}

// A database that goes away turns reads into 503s and /ready red; when it
// comes back the service recovers by itself.
func TestDatabaseOutageIs503AndRecovers(t *testing.T) {
	dbURL := testenv.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	dbName := strings.TrimPrefix(u.Path, "/")
	cfg, err := platform.LoadConfig[Config](map[string]string{"DATABASE_URL": dbURL, "READY_TIMEOUT": "1s", "REQUEST_TIMEOUT": "2s"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	t.Cleanup(func() { adminExec(t, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS true") })

	if r := do(t, svc.App, "GET", "/catalog/books-001", ""); r.status != 200 {
		t.Fatalf("before the outage: %d %s", r.status, r.body)
	}
	adminExec(t, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS false")
	adminExec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", dbName)

	eventually(t, "reads answer 503 during the outage", func() error {
		r := do(t, svc.App, "GET", "/catalog?page=2", "")
		if r.status == 500 {
			t.Fatalf("outage answered 500: %s", r.body)
		}
		if r.status != 503 {
			return fmt.Errorf("status %d: %s", r.status, r.body)
		}
		wantError(t, r, 503, "unavailable", "unavailable")
		return nil
	})
	if r := do(t, svc.App, "GET", "/ready", ""); r.status != 503 {
		t.Fatalf("/ready during the outage: %d %s", r.status, r.body)
	}

	adminExec(t, "ALTER DATABASE "+dbName+" ALLOW_CONNECTIONS true")
	eventually(t, "service recovers", func() error {
		if r := do(t, svc.App, "GET", "/ready", ""); r.status != 200 {
			return fmt.Errorf("%d: %s", r.status, r.body)
		}
		if r := do(t, svc.App, "GET", "/catalog?page=2", ""); r.status != 200 {
			return fmt.Errorf("%d: %s", r.status, r.body)
		}
		return nil
	})
}
