package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// PublishFunc publishes a batch of events and returns one error per event
// (nil: the broker confirmed it).
type PublishFunc func(ctx context.Context, list []events.Envelope) []error

// Stats describe the events waiting to be published.
type Stats struct {
	// Backlog is how many events are unsent.
	Backlog int
	// OldestAge is how long the oldest unsent event has waited.
	OldestAge time.Duration
}

// retryDelay is how long an event waits after its attempt-th failure:
// platform's backoff from 100 ms up to 30 s. A broker outage
// (platform.ErrUnavailable) is nobody's fault but the broker's: the event is
// retried as soon as the relay sees the broker back.
func retryDelay(attempt int, err error) time.Duration {
	if errors.Is(err, platform.ErrUnavailable) {
		return 0
	}
	return platform.BackoffDelay(100*time.Millisecond, MaxRetryDelay, attempt)
}

// MaxRetryDelay is the longest an event waits between two failed publishes.
const MaxRetryDelay = 30 * time.Second

// errorText keeps last_error readable and bounded.
func errorText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
