package payment

import (
	"context"

	"github.com/shop-platform/shop/src/internal/events"
)

// Store keeps the payments. Both implementations, PostgreSQL and in-memory,
// pass the same contract tests (store_test.go). Every move is guarded by
// the payment's status, so a redelivered event changes nothing twice.
type Store interface {
	// Record stores p, pending, unless the order already has a payment:
	// it reports whether p was stored.
	Record(ctx context.Context, p Payment) (bool, error)
	// Get returns an order's payment, or ErrNotFound.
	Get(ctx context.Context, orderID string) (Payment, error)
	// Settle moves a pending payment to o's status and writes e to the
	// outbox, atomically; false when it was not pending.
	Settle(ctx context.Context, orderID string, o Outcome, e events.Envelope) (bool, error)
	// Refund moves a captured payment to refunded and writes e, atomically;
	// false when it was not captured.
	Refund(ctx context.Context, orderID string, e events.Envelope) (bool, error)
	// List returns the most recent payments, newest first.
	List(ctx context.Context, limit int) ([]Payment, error)
	// Ping checks the store answers, for /ready.
	Ping(ctx context.Context) error
}
