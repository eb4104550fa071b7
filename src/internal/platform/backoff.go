package platform

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/sethvargo/go-retry"
)

// Backoff returns a fresh retry.Backoff for waits between retries: the
// delay starts at base and doubles with each retry up to limit, and each
// delay is drawn from its upper half, so replicas that failed together do
// not retry together. It never stops; the caller's context ends the loop. A
// Backoff remembers how many delays it gave: start a new one after a
// success, so the next outage begins with short waits again. base must be
// positive.
func Backoff(base, limit time.Duration) retry.Backoff {
	capped := retry.WithCappedDuration(limit, retry.NewExponential(base))
	return retry.BackoffFunc(func() (time.Duration, bool) {
		d, _ := capped.Next()
		return d/2 + rand.N(d/2+1), false
	})
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
