package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// A broker outage that starts in the middle of a batch and outlasts the
// relay's patience (the lease, or watermill-sql's 30 s ack deadline) must
// leave every unpublished event in the outbox.
func TestAnOutageMidBatchLosesNoEvent(t *testing.T) {
	box, pool := newTestOutbox(t)
	ids := addEvents(t, pool, 3)
	start := time.Now()
	var mu sync.Mutex
	published := map[string]bool{}
	publish := func(_ context.Context, list []events.Envelope) []error {
		mu.Lock()
		defer mu.Unlock()
		errs := make([]error, len(list))
		for i, e := range list {
			if e.ID != ids[0] && time.Since(start) < 35*time.Second {
				errs[i] = fmt.Errorf("broker: %w", platform.ErrUnavailable)
				continue
			}
			published[e.ID] = true
		}
		return errs
	}
	for time.Since(start) < 60*time.Second {
		if _, err := box.Relay(context.Background(), 10, publish); err != nil {
			t.Fatal(err)
		}
		s, err := box.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(published)
		mu.Unlock()
		if s.Backlog == 0 {
			if n != len(ids) {
				t.Fatalf("the outbox is empty after %s, yet only %d of %d events were published", time.Since(start).Round(time.Second), n, len(ids))
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the events were not all published within a minute")
}

// While an event is being published the relay holds no transaction and no
// pooled connection.
func TestNothingIsHeldWhilePublishing(t *testing.T) {
	box, pool := newTestOutbox(t)
	addEvents(t, pool, 1)
	ctx := context.Background()
	var acquired, idleInTx int
	var err error
	done := false
	for deadline := time.Now().Add(10 * time.Second); !done && time.Now().Before(deadline); {
		_, rerr := box.Relay(ctx, 10, func(ctx context.Context, list []events.Envelope) []error {
			done = true
			acquired = int(pool.Stat().AcquiredConns())
			err = pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&idleInTx)
			return make([]error, len(list))
		})
		err = errors.Join(err, rerr)
	}
	if err != nil || !done {
		t.Fatalf("relay: published %v, %v", done, err)
	}
	if acquired != 0 || idleInTx != 0 {
		t.Fatalf("while publishing: %d pooled connections held, %d transactions open; want none", acquired, idleInTx)
	}
}
