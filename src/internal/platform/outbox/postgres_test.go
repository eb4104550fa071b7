package outbox

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

func newTestOutbox(t testing.TB) (*Postgres, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(testenv.NewDatabase(t)), MaxConns: 4}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool, logger); err != nil {
		t.Fatal(err)
	}
	return NewPostgres(pool, logger), pool
}

func addEvents(t testing.TB, pool *pgxpool.Pool, n int) []string {
	t.Helper()
	var ids []string
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		for range n {
			e, err := events.New("/test", "shop.test.v1", map[string]int{"n": 1})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
			if err := Insert(context.Background(), tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func publishAll(context.Context, []events.Envelope) []error { return make([]error, 100) }

// While a batch is being published the relay holds no transaction, no row
// lock and no pooled connection: the broker may take seconds to confirm. A
// second relay meanwhile finds the batch leased, not lockable, and claims
// nothing of it.
func TestRelayPublishesOutsideAnyTransaction(t *testing.T) {
	box, pool := newTestOutbox(t)
	ctx := context.Background()
	addEvents(t, pool, 3)
	other := NewPostgres(pool, slog.New(slog.DiscardHandler))
	var during struct {
		acquired, idleInTx, otherClaimed int
		err                              error
	}
	n, err := box.Relay(ctx, 10, func(ctx context.Context, list []events.Envelope) []error {
		during.acquired = int(pool.Stat().AcquiredConns())
		during.err = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&during.idleInTx)
		during.otherClaimed, _ = other.Relay(ctx, 10, publishAll)
		return make([]error, len(list))
	})
	if err != nil || n != 3 {
		t.Fatalf("relayed %d, %v; want 3", n, err)
	}
	if during.err != nil {
		t.Fatal(during.err)
	}
	if during.acquired != 0 || during.idleInTx != 0 {
		t.Errorf("while publishing: %d pooled connections held, %d transactions open; want none", during.acquired, during.idleInTx)
	}
	if during.otherClaimed != 0 {
		t.Errorf("another relay claimed %d leased events", during.otherClaimed)
	}
	if pending, _ := Pending(ctx, pool, 10); len(pending) != 0 {
		t.Errorf("%d events still unsent after a confirmed publish", len(pending))
	}
}

