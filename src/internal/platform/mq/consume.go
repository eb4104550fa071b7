package mq

import (
	"context"
	"errors"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// verdict is what becomes of a delivery once its handler has run.
type verdict int

const (
	ack        verdict = iota // handled: acknowledge
	redeliver                 // failed: requeue after a delay
	deadLetter                // failed for good: move to the dead-letter queue
)

// handle runs sub's handler on one delivery (attempt counts from 1) and
// decides its fate, the same way for both buses. A handler that reports its
// own dependency unavailable (platform.ErrUnavailable: its database is down)
// is retried in place for as long as it takes, without using up attempts, so
// an outage never sends good events to the dead-letter queue.
func (o Options) handle(ctx context.Context, sub Subscription, e events.Envelope, attempt int) verdict {
	m := sub.Metrics
	if attempt > 1 {
		m.redelivered.WithLabelValues(sub.Queue).Inc()
	}
	for n := 1; ; n++ {
		err := sub.Handler(ctx, e)
		if err == nil {
			m.processed.WithLabelValues(sub.Queue).Inc()
			return ack
		}
		m.failed.WithLabelValues(sub.Queue).Inc()
		log := o.Logger.With("queue", sub.Queue, "event_id", e.ID, "event_type", e.Type, "attempt", attempt, "error", err)
		switch {
		case errors.Is(err, platform.ErrUnavailable) && !isPermanent(err):
			log.WarnContext(ctx, "event handler's dependency unavailable; retrying")
			if !sleep(ctx, o.delay(n)) {
				return redeliver
			}
		case isPermanent(err) || attempt >= o.MaxAttempts:
			log.ErrorContext(ctx, "event handler failed for good; dead-lettering the event", slog.Int("max_attempts", o.MaxAttempts))
			m.deadLettered.WithLabelValues(sub.Queue).Inc()
			return deadLetter
		default:
			log.WarnContext(ctx, "event handler failed; the event will be redelivered")
			return redeliver
		}
	}
}
