package mq

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// testOutbox is an outbox under test: insert adds an event, passTime makes
// d go by for it.
type testOutbox struct {
	box      Outbox
	insert   func(events.Envelope)
	passTime func(d time.Duration)
}

// newPostgresOutbox returns the outbox of a fresh, migrated test database.
// Its events are inserted each in its own transaction; time passes in its
// rows (their next attempt moves into the past), since leases and retry
// delays are compared with PostgreSQL's own clock.
func newPostgresOutbox(t *testing.T) testOutbox {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(testenv.NewDatabase(t)), MaxConns: 10}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := outbox.Migrate(ctx, pool, logger); err != nil {
		t.Fatal(err)
	}
	insert := func(e events.Envelope) {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return outbox.Insert(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	passTime := func(d time.Duration) {
		if _, err := pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = next_attempt_at - $1::interval WHERE sent_at IS NULL`, d); err != nil {
			t.Fatal(err)
		}
	}
	return testOutbox{outbox.NewPostgres(pool, logger), insert, passTime}
}

// runRelays starts n relays from box to bus until the test ends.
func runRelays(t *testing.T, n int, box Outbox, bus Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _ = NewRelay(box, bus, nil, RelayOptions{Batch: 20}).Run(ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestRelaysOnOneOutboxPublishEachEventOnce(t *testing.T) {
	t.Parallel()
	o := newPostgresOutbox(t)
	box, insert := o.box, o.insert
	bus := NewMemory(testOptions())
	t.Cleanup(func() { _ = bus.Close() })
	seen := newReceived()
	subscribe(t, bus, Subscription{Queue: "orders", Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})

	var sent []events.Envelope
	for i := range 200 {
		e := newEvent(t, events.OrderCreated, i)
		sent = append(sent, e)
		insert(e)
	}
	runRelays(t, 3, box, bus)
	eventually(t, "every event is delivered", func() bool { return seen.total() >= len(sent) })
	for _, e := range sent {
		if n := seen.times(e.ID); n != 1 {
			t.Fatalf("event %s published %d times by three relays, want once", e.ID, n)
		}
	}
	eventually(t, "the backlog is empty", func() bool {
		s, err := box.Stats(context.Background())
		return err == nil && s.Backlog == 0
	})
}

func TestRelayKeepsAnEventTheBrokerCannotRouteAndSendsTheRest(t *testing.T) {
	eachOutbox(t, func(t *testing.T, o testOutbox) {
		box, insert := o.box, o.insert
		bus := NewMemory(testOptions())
		t.Cleanup(func() { _ = bus.Close() })
		seen := newReceived()
		subscribe(t, bus, Subscription{Queue: "orders", Types: []string{events.OrderCreated}, Handler: seen.handler(nil)})
		stuck, good := newEvent(t, events.StockRejected, 1), newEvent(t, events.OrderCreated, 2)
		insert(stuck)
		insert(good)
		runRelays(t, 1, box, bus)
		eventually(t, "the routable event is delivered", func() bool { return seen.times(good.ID) == 1 })
		eventually(t, "only the unroutable event is left", func() bool {
			s, err := box.Stats(context.Background())
			return err == nil && s.Backlog == 1
		})
		// Once a queue is bound, the retried event goes out.
		subscribe(t, bus, Subscription{Queue: "late", Types: []string{events.StockRejected}, Handler: seen.handler(nil)})
		eventually(t, "the retried event is delivered", func() bool { return seen.times(stuck.ID) == 1 })
	})
}

// eachOutbox runs fn on the PostgreSQL and the in-memory outbox. The
// in-memory one runs in a synctest bubble, where time.Sleep moves a fake
// clock: waits for retries are exact and take no time.
func eachOutbox(t *testing.T, fn func(t *testing.T, o testOutbox)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			box := &outbox.Memory{}
			fn(t, testOutbox{box, func(e events.Envelope) { box.Add(context.Background(), e) }, time.Sleep})
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, newPostgresOutbox(t))
	})
}

// Retries of events nobody takes must not hold back the events behind them:
// a relay claims fresh events before due retries.
func TestRelayClaimsFreshEventsBeforeRetries(t *testing.T) {
	eachOutbox(t, func(t *testing.T, o testOutbox) {
		box, insert := o.box, o.insert
		ctx := context.Background()
		for i := range 3 {
			insert(newEvent(t, events.StockRejected, i))
		}
		refuse := func(_ context.Context, list []events.Envelope) []error {
			errs := make([]error, len(list))
			for i := range errs {
				errs[i] = errors.New("nack")
			}
			return errs
		}
		if n, err := box.Relay(ctx, 10, refuse); n != 3 || err != nil {
			t.Fatalf("first relay claimed %d, %v; want the 3 events", n, err)
		}
		fresh := newEvent(t, events.OrderCreated, 9)
		insert(fresh)
		o.passTime(outbox.MaxRetryDelay)

		var claimed []events.Envelope
		accept := func(_ context.Context, list []events.Envelope) []error {
			claimed = append(claimed, list...)
			return make([]error, len(list))
		}
		if _, err := box.Relay(ctx, 1, accept); err != nil {
			t.Fatal(err)
		}
		if len(claimed) != 1 || claimed[0].ID != fresh.ID {
			t.Fatalf("relay claimed %v before the fresh event %s", claimed, fresh.ID)
		}
		if n, err := box.Relay(ctx, 10, accept); n != 3 || err != nil {
			t.Fatalf("the due retries were not claimed next: %d, %v", n, err)
		}
	})
}
