package catalog

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// storeUnderTest is one implementation of Store with a view of its outbox.
type storeUnderTest struct {
	Store
	// pending lists the events recorded and not yet relayed.
	pending func(t *testing.T) []events.Envelope
}

// eachStore runs fn as a subtest against a fresh instance of every Store:
// the contract tests hold the two implementations to the same behaviour.
func eachStore(t *testing.T, fn func(t *testing.T, s storeUnderTest)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		box := &outbox.Memory{}
		fn(t, storeUnderTest{
			Store: NewMemoryStore(box),
			pending: func(t *testing.T) []events.Envelope {
				list, err := box.Pending(context.Background(), 1000)
				if err != nil {
					t.Fatal(err)
				}
				return list
			},
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pool := newTestPool(t)
		fn(t, storeUnderTest{
			Store: NewPostgresStore(pool),
			pending: func(t *testing.T) []events.Envelope {
				list, err := outbox.Pending(context.Background(), pool, 1000)
				if err != nil {
					t.Fatal(err)
				}
				return list
			},
		})
	})
}

// newTestPool returns a pool on a fresh, migrated database.
func newTestPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := testenv.NewDatabase(t)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(url), MaxConns: 10}, logger)
	if err != nil {
		t.Fatalf("connecting to test database: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	return pool
}
