package outbox

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

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

// A relay that dies after claiming leaves its events to others once the
// lease ends; a failed publish is retried after its delay, and fresh events
// go before due retries.
func TestLeasesEndAndFreshEventsGoFirst(t *testing.T) {
	box, pool := newTestOutbox(t)
	box.lease = 300 * time.Millisecond
	ctx := context.Background()
	first := addEvents(t, pool, 2)
	if list, err := box.claim(ctx, claimFresh, 10); err != nil || len(list) != 2 {
		t.Fatalf("claimed %d, %v; want 2", len(list), err)
	} // ... and the relay that claimed them dies here.
	if n, err := box.Relay(ctx, 10, publishAll); err != nil || n != 0 {
		t.Fatalf("relayed %d leased events (%v), want none before the lease ends", n, err)
	}
	time.Sleep(400 * time.Millisecond)
	refused := errors.New("no queue bound")
	n, err := box.Relay(ctx, 10, func(_ context.Context, list []events.Envelope) []error {
		errs := make([]error, len(list))
		for i := range errs {
			errs[i] = refused
		}
		return errs
	})
	if err != nil || n != 2 {
		t.Fatalf("after the lease: relayed %d, %v; want the 2 again", n, err)
	}
	time.Sleep(150 * time.Millisecond) // the first retry delay is 100 ms
	fresh := addEvents(t, pool, 1)
	var order []string
	for range 2 {
		if _, err := box.Relay(ctx, 1, func(_ context.Context, list []events.Envelope) []error {
			for _, e := range list {
				order = append(order, e.ID)
			}
			return make([]error, len(list))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(order) != 2 || order[0] != fresh[0] || (order[1] != first[0] && order[1] != first[1]) {
		t.Fatalf("claimed %v; want the fresh %s first, then a retry of %v", order, fresh[0], first)
	}
}

// fillBacklog inserts n unsent events, half fresh and half retries due now
// (as a broker outage leaves them), in one statement.
func fillBacklog(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO outbox (id, type, envelope, created_at, next_attempt_at, attempts)
		SELECT u, 'shop.test.v1', jsonb_build_object('id', u, 'type', 'shop.test.v1', 'data', '{}'::jsonb),
			now() - i * interval '1 ms', now() - i * interval '1 ms', i % 2
		FROM (SELECT gen_random_uuid() AS u, i FROM generate_series(1, $1::int) AS i) AS s`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE outbox`); err != nil {
		t.Fatal(err)
	}
}

// explain returns the plan of query with its parameters written in.
func explain(t testing.TB, pool *pgxpool.Pool, options, query string) string {
	t.Helper()
	query = strings.NewReplacer("$1", "100", "$2", "'30 seconds'").Replace(query)
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // EXPLAIN ANALYZE runs the UPDATE
	rows, err := tx.Query(ctx, "EXPLAIN "+options+" "+query)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// Each claim reads its rows off a partial index in order, never sorting
// the backlog: the plan of both claims on a backlog of 50,000 events.
// BenchmarkClaimOnAMillionEventBacklog shows it on 1,000,000.
func TestClaimsUseTheirIndexNotASortOfTheBacklog(t *testing.T) {
	box, pool := newTestOutbox(t)
	fillBacklog(t, pool, 50_000)
	for query, index := range map[string]string{claimFresh: "outbox_fresh_due", claimRetries: "outbox_retry_due"} {
		plan := explain(t, pool, "", query)
		if !strings.Contains(plan, "Index Scan using "+index) || strings.Contains(plan, "Sort") {
			t.Errorf("claim plan does not read %s in order:\n%s", index, plan)
		}
	}
	n, err := box.Relay(context.Background(), 100, publishAll)
	if err != nil || n != 100 {
		t.Fatalf("relayed %d, %v; want a batch of 100", n, err)
	}
}

// oldClaim is the claim before migration 00003, for comparison.
const oldClaim = `SELECT envelope, attempts FROM outbox
	WHERE sent_at IS NULL AND next_attempt_at <= now()
	ORDER BY attempts > 0, created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`

// BenchmarkClaimOnAMillionEventBacklog logs the plans of the claims on a
// backlog of 1,000,000 events (half of them retries) and times one claim
// of 100 (numbers in docs/events.md). Run it with
// go test -run '^$' -bench ClaimOnAMillion -benchtime 200x ./src/internal/platform/outbox/
func BenchmarkClaimOnAMillionEventBacklog(b *testing.B) {
	box, pool := newTestOutbox(b)
	start := time.Now()
	fillBacklog(b, pool, 1_000_000)
	b.Logf("filled the backlog in %s", time.Since(start))
	b.Logf("fresh claim:\n%s", explain(b, pool, "(ANALYZE, BUFFERS)", claimFresh))
	b.Logf("retry claim:\n%s", explain(b, pool, "(ANALYZE, BUFFERS)", claimRetries))
	b.Logf("claim before migration 00003:\n%s", explain(b, pool, "(ANALYZE, BUFFERS)", oldClaim))
	ctx := context.Background()
	for b.Loop() {
		if list, err := box.claim(ctx, claimFresh, 100); err != nil || len(list) != 100 {
			b.Fatalf("claimed %d, %v", len(list), err)
		}
	}
}
