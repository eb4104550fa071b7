// Package order is the order service: it takes orders over HTTP, prices them
// from the catalog, stores them with an order.created event in one
// transaction, and follows the stock saga to confirmed or rejected.
package order

import (
	"errors"
	"slices"
	"time"
)

// Status is where an order is in the saga.
type Status string

// The statuses. pending moves once to confirmed (stock reserved and
// payment captured) or rejected (stock rejected, payment declined);
// confirmed moves once to cancelled (by the shopper: refund and stock
// released) or shipped (by an admin). rejected, cancelled and shipped are
// final.
const (
	Pending   Status = "pending"
	Confirmed Status = "confirmed"
	Rejected  Status = "rejected"
	Cancelled Status = "cancelled"
	Shipped   Status = "shipped"
)

// Order is an order as the API shows it (DESIGN.md section 3).
type Order struct {
	ID string `json:"id"`
	// Reference is the human reference (SHP-XXXXXX) a shopper quotes and
	// finds the order by; empty for orders placed before it existed.
	Reference string   `json:"reference"`
	Status    Status   `json:"status"`
	Reason    string   `json:"reason"`
	Customer  Customer `json:"customer"`
	Items     []Item   `json:"items"`
	// The amounts, computed once when the order is placed (totals.go):
	// total = subtotal + shipping, tax is the VAT the total includes.
	SubtotalCents int64    `json:"subtotal_cents"`
	ShippingCents int64    `json:"shipping_cents"`
	TaxCents      int64    `json:"tax_cents"`
	TotalCents    int64    `json:"total_cents"`
	Currency      string   `json:"currency"`
	Shipping      Shipping `json:"shipping"`
	// Payment is the card it is paid with and where its payment is; nil
	// for orders placed before the payment service.
	Payment *Payment `json:"payment,omitempty"`
	// History is every status the order had, oldest first.
	History   []Change  `json:"history"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Payment is what an order shows of its payment: never the card number.
type Payment struct {
	Brand  string `json:"brand"`
	Last4  string `json:"last4"`
	Status string `json:"status"`
}

// The payment statuses an order shows.
const (
	PaymentPending  = "pending"
	PaymentCaptured = "captured"
	PaymentDeclined = "declined"
	PaymentFailed   = "failed"
)

// Change is one entry of an order's status history.
type Change struct {
	Status Status    `json:"status"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Customer is who ordered and where it goes.
type Customer struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	// Phone is required where the carrier needs one (requiresPhone).
	Phone   string  `json:"phone"`
	Address Address `json:"address"`
}

// Address is a shipping address.
type Address struct {
	Line1 string `json:"line1"`
	Line2 string `json:"line2"`
	City  string `json:"city"`
	// Region is the state, province or territory, required where the
	// postal system needs it (requiresRegion).
	Region     string `json:"region"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Item is one line of an order, priced by the catalog.
type Item struct {
	ProductID      string `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// ErrNotFound is an unknown order id.
var ErrNotFound = errors.New("order not found")

// ErrKeyReused is an Idempotency-Key sent again with a different request.
var ErrKeyReused = errors.New("idempotency key reused with a different request")

// canMove tells whether the saga may move an order from one status to
// another: only out of pending, to confirmed or rejected.
func canMove(from, to Status) bool {
	return from == Pending && (to == Confirmed || to == Rejected)
}

// shown is o as the API shows it: with its tracking reference once it is
// confirmed or shipped.
func (o Order) shown() Order {
	if o.Status == Confirmed || o.Status == Shipped {
		o.Shipping.Tracking = trackingFor(o.ID)
	}
	return o
}

// ErrConflict is a cancel or ship of an order whose status does not allow
// it.
var ErrConflict = errors.New("the order's status does not allow this")

// movedTo applies a change of status to o as of at.
func movedTo(o Order, status Status, reason, payment string, at time.Time) Order {
	o.Status, o.Reason, o.UpdatedAt = status, reason, at
	o.History = append(slices.Clip(o.History), Change{Status: status, At: at, Reason: reason})
	if payment != "" && o.Payment != nil {
		p := *o.Payment
		p.Status = payment
		o.Payment = &p
	}
	return o
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
