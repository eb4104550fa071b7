// Package payment is the payment service: it tokenises cards for the order
// service, records what each order owes from order.created, charges it
// through a Provider once the catalog has reserved the stock (idempotency
// key: the order id) and refunds a cancelled order. Its outcomes go out
// through its outbox as payment.captured / payment.declined /
// payment.refunded. Only a card's brand and last four digits are kept.
package payment

import (
	"errors"
	"time"
)

// Status is where a payment is.
type Status string

// The statuses: pending (amount recorded, not charged yet) moves once to
// captured, declined or failed; captured moves once to refunded.
const (
	Pending  Status = "pending"
	Captured Status = "captured"
	Declined Status = "declined"
	Failed   Status = "failed"
	Refunded Status = "refunded"
)

// Payment is one order's payment.
type Payment struct {
	OrderID     string `json:"order_id"`
	MethodID    string `json:"payment_method_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Status      Status `json:"status"`
	// ChargeID is the provider's id of the capture, once captured.
	ChargeID string `json:"charge_id"`
	// Code and Reason say why a payment was declined or failed.
	Code      string    `json:"code"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Method is a tokenised card: the provider's token and what may be shown.
type Method struct {
	ID    string `json:"id"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// ErrNotFound is an unknown order's payment.
var ErrNotFound = errors.New("payment not found")

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
