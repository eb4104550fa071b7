package order

import (
	"context"

	"github.com/shop-platform/shop/src/internal/events"
)

// Store keeps the orders. Both implementations, PostgreSQL and in-memory,
// pass the same contract tests (store_test.go).
type Store interface {
	// Create stores o, pending, and its order.created event e atomically.
	// With an idempotency key, an order created before under the same key
	// is returned instead (created false), or ErrKeyReused when it came
	// from a request with another fingerprint. An order whose reference
	// another order has is ErrReferenceTaken, and nothing is stored.
	Create(ctx context.Context, o Order, e events.Envelope, key, fingerprint string) (stored Order, created bool, err error)
	// ByKey returns the order created under key: ErrNotFound if none,
	// ErrKeyReused if the request differed.
	ByKey(ctx context.Context, key, fingerprint string) (Order, error)
	// Get returns one order, or ErrNotFound.
	Get(ctx context.Context, id string) (Order, error)
	// ByReference returns the order with the human reference ref, or
	// ErrNotFound. Create refuses a second order with one reference
	// (ErrReferenceTaken).
	ByReference(ctx context.Context, ref string) (Order, error)
	// Settle applies the saga's outcome event eventID: the order moves from
	// pending to status (with reason, and its payment to payment unless
	// that is empty), once. It reports whether the order moved; a
	// redelivered event, an unknown order or one already final change
	// nothing. With mail on, the shopper's email is written with it.
	Settle(ctx context.Context, eventID, orderID string, status Status, reason, payment string) (bool, error)
	// Move moves a confirmed order to status (cancelled or shipped) and
	// writes e, when not nil, atomically, with the shopper's email when
	// mail is on. It returns the order as it now is: ErrNotFound for an
	// unknown order, ErrConflict with the order when it was not confirmed.
	Move(ctx context.Context, orderID string, status Status, e *events.Envelope) (Order, error)
	// Ping checks the store answers, for /ready.
	Ping(ctx context.Context) error
}

// settleConsumer names the order's saga step in processed_events.
const settleConsumer = "order.settle"

// MailQueue is the emails the stores write with status changes, for the
// mail relay: both stores implement it.
type MailQueue interface {
	// EnableMail makes status changes write their emails; without it
	// (no SMTP server configured) none are written.
	EnableMail()
	// PendingMail returns up to limit emails not sent yet, oldest first.
	PendingMail(ctx context.Context, limit int) ([]Mail, error)
	// MarkMailSent records that the email id was handed to the server.
	MarkMailSent(ctx context.Context, id string) error
}
