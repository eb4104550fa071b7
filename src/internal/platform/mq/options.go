package mq

import (
	"errors"
	"log/slog"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// Options tune a bus. The zero value gives the production defaults; tests
// shorten the delays and name their own exchange so runs sharing a broker
// never see each other's events.
type Options struct {
	// Exchange is the topic exchange events are published to (shop.events).
	// Its dead-letter exchange is Exchange + ".dlx".
	Exchange string
	// QueuePrefix is put before every queue name (see Config.QueuePrefix).
	QueuePrefix string
	// ConnectionName is shown by the broker (rabbitmqctl, the management
	// UI), so an operator can tell which service holds a connection.
	ConnectionName string
	// Prefetch is how many deliveries one subscriber handles at once (the
	// AMQP QoS prefetch count). Above one, a poison event being retried does
	// not hold up the events behind it.
	Prefetch int
	// MaxAttempts is how many times an event is delivered to a failing
	// handler before it is moved to the dead-letter queue.
	MaxAttempts int
	// RetryDelay is the wait before the first redelivery; it doubles with
	// each attempt up to MaxRetryDelay.
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// ShutdownGrace is how long Close lets handlers in flight finish before
	// it cancels their context.
	ShutdownGrace time.Duration
	// Logger receives connection changes and handler failures.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Exchange == "" {
		o.Exchange = events.Exchange
	}
	if o.ConnectionName == "" {
		o.ConnectionName = "shop"
	}
	if o.Prefetch < 1 {
		o.Prefetch = 16
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 5
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 200 * time.Millisecond
	}
	if o.MaxRetryDelay < o.RetryDelay {
		o.MaxRetryDelay = max(5*time.Second, o.RetryDelay)
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// backoff paces a loop of retries (a reconnect, a handler whose dependency
// is out): from RetryDelay, doubling up to MaxRetryDelay, jittered.
func (o Options) backoff() retry.Backoff {
	return platform.Backoff(o.RetryDelay, o.MaxRetryDelay)
}

// delay is the wait before redelivery number attempt (1-based) of an event:
// the attempt-th delay of a fresh backoff, since a redelivery, unlike a
// loop, knows only its number.
func (o Options) delay(attempt int) time.Duration {
	b := o.backoff()
	for range attempt - 1 {
		_, _ = b.Next()
	}
	d, _ := b.Next()
	return d
}

var (
	// ErrClosed is returned by a bus after Close.
	ErrClosed = errors.New("event bus closed")
	// ErrUnroutable means no queue is bound to the event's type: the broker
	// returned the mandatory message instead of dropping it, so the outbox
	// keeps the event and retries.
	ErrUnroutable = errors.New("no queue is bound to this event type")
	// errNotConnected is a broker outage: a 503 to clients, a retry to the relay.
	errNotConnected = errors.Join(platform.ErrUnavailable, errors.New("not connected to the message broker"))
)

// permanentError marks a handler failure that retrying cannot fix.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent wraps a handler error that no retry can fix (an event whose
// payload does not decode): the event goes to the dead-letter queue at once.
func Permanent(err error) error { return permanentError{err} }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
