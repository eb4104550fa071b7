package mq

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/events"
)

// Handler processes one delivered event. Returning nil acknowledges it, so a
// handler returns only after its own transaction has committed; an error
// means "redeliver later" until the delivery limit sends it to the
// dead-letter queue. Events are delivered at least once: handlers are
// idempotent on the event id.
type Handler func(ctx context.Context, e events.Envelope) error

// Subscription binds a handler to the event types it needs.
type Subscription struct {
	// Queue names the consumer's queue. Replicas sharing a durable queue
	// compete for its events (catalog reserving stock).
	Queue string
	// PerReplica gives each replica its own exclusive, auto-deleted queue,
	// so every replica sees every event (search replicas each holding an
	// embedded index). Queue is then a prefix.
	PerReplica bool
	// Types are the event types (routing keys) to receive.
	Types []string
	// Handler processes each event.
	Handler Handler
	// Metrics counts the deliveries under the queue's name; optional.
	Metrics *Metrics
	// Tracer, when set, makes the handling of each event that carries a
	// trace context a span in that trace.
	Tracer trace.TracerProvider
}

// Bus is the event bus: RabbitMQ (the shop.events topic exchange) or the
// in-process bus of the embedded default. Both pass one contract suite.
type Bus interface {
	// Publish sends e and returns once the broker has confirmed it.
	Publish(ctx context.Context, e events.Envelope) error
	// Subscribe declares the subscription's queue and bindings, then
	// delivers events to its handler in the background until Close.
	Subscribe(ctx context.Context, sub Subscription) error
	// Close stops the consumers (waiting for handlers in flight) and
	// releases the connection.
	Close() error
}

// SubscribeAll subscribes each of subs on bus, counted in m and traced by
// tracer. A service calls it before it serves or relays anything: an event
// published while a queue of the shop's is not yet declared reaches no one
// there (the order's payment was never recorded when its order.created came
// before the payment service's queue).
func SubscribeAll(ctx context.Context, bus Bus, m *Metrics, tracer trace.TracerProvider, subs ...Subscription) error {
	for _, sub := range subs {
		sub.Metrics, sub.Tracer = m, tracer
		if err := bus.Subscribe(ctx, sub); err != nil {
			return fmt.Errorf("subscribing to %s: %w", sub.Queue, err)
		}
	}
	return nil
}
