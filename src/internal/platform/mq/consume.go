package mq

import (
	"context"
	"errors"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// instrumentation names the tracers of the bus and the relay.
const instrumentation = "github.com/shop-platform/shop/src/internal/platform/mq"

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
	if sub.Tracer != nil && e.TraceParent != "" {
		// The handling is a child of the publish that carried the event,
		// itself a child of the change that wrote it: the reservation and
		// the settle are steps of the order the shopper placed, which
		// waits on them, so they belong in its trace as children rather
		// than as links from traces of their own. The gap before this span
		// is the time the event spent in the queue.
		var span trace.Span
		ctx, span = sub.Tracer.Tracer(instrumentation).Start(e.TraceContext(ctx), "process "+e.Type,
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				semconv.MessagingSystemRabbitMQ,
				semconv.MessagingOperationTypeProcess,
				semconv.MessagingConsumerGroupName(sub.Queue),
				semconv.MessagingMessageID(e.ID),
				attribute.Int("messaging.delivery_attempt", attempt),
			))
		defer span.End()
		v := o.handleTraced(ctx, sub, e, attempt)
		if v != ack {
			span.SetStatus(codes.Error, "not handled")
		}
		return v
	}
	return o.handleTraced(ctx, sub, e, attempt)
}

// handleTraced is handle inside the event's span, if any.
func (o Options) handleTraced(ctx context.Context, sub Subscription, e events.Envelope, attempt int) verdict {
	m := sub.Metrics
	if attempt > 1 {
		m.redelivered.WithLabelValues(sub.Queue).Inc()
	}
	backoff := o.backoff()
	for {
		err := sub.Handler(ctx, e)
		if err == nil {
			m.processed.WithLabelValues(sub.Queue).Inc()
			return ack
		}
		m.failed.WithLabelValues(sub.Queue).Inc()
		trace.SpanFromContext(ctx).RecordError(err)
		log := o.Logger.With("queue", sub.Queue, "event_id", e.ID, "event_type", e.Type, "attempt", attempt, "error", err)
		switch {
		case errors.Is(err, platform.ErrUnavailable) && !isPermanent(err):
			log.WarnContext(ctx, "event handler's dependency unavailable; retrying")
			if !platform.Pause(ctx, backoff) {
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
