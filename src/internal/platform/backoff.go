package platform

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-retry"
)

// Backoff returns a fresh retry.Backoff for waits between retries: its n-th
// delay is BackoffDelay(base, limit, n). It never stops; the caller's
// context ends the loop. A Backoff remembers how many delays it gave: start
// a new one after a success, so the next outage begins with short waits
// again.
func Backoff(base, limit time.Duration) retry.Backoff {
	var n atomic.Int64
	return retry.BackoffFunc(func() (time.Duration, bool) {
		return BackoffDelay(base, limit, int(n.Add(1))), false
	})
}

// BackoffDelay is the wait before retry number attempt (from 1): base,
// doubled with each retry up to limit, and drawn from the upper half of
// that, so replicas that failed together do not retry together. A loop
// keeps a Backoff; the outbox, which keeps each event's attempts in its
// row, asks for the delay of the next one. base must be positive.
func BackoffDelay(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter spreads retries; nothing to guess
}

// Pause waits for b's next delay, or until ctx ends, and tells whether the
// wait was complete: the step of a loop that retries until ctx ends.
func Pause(ctx context.Context, b retry.Backoff) bool {
	d, stop := b.Next()
	return !stop && Sleep(ctx, d)
}

// Sleep waits d, or until ctx ends, and tells whether the wait was complete.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
