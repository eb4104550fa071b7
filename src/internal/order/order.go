// Package order is the order service: it takes orders over HTTP, prices them
// from the catalog, stores them with an order.created event in one
// transaction, and follows the stock saga to confirmed or rejected.
package order

import (
	"errors"
	"time"
)

// Status is where an order is in the saga.
type Status string

// The statuses. pending moves to confirmed or rejected, once; both are final.
const (
	Pending   Status = "pending"
	Confirmed Status = "confirmed"
	Rejected  Status = "rejected"
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
	SubtotalCents int64     `json:"subtotal_cents"`
	ShippingCents int64     `json:"shipping_cents"`
	TaxCents      int64     `json:"tax_cents"`
	TotalCents    int64     `json:"total_cents"`
	Currency      string    `json:"currency"`
	Shipping      Shipping  `json:"shipping"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
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
// another: only out of pending, only to a final status.
func canMove(from, to Status) bool {
	return from == Pending && (to == Confirmed || to == Rejected)
}

// shown is o as the API shows it: with its tracking reference once it is
// confirmed.
func (o Order) shown() Order {
	if o.Status == Confirmed {
		o.Shipping.Tracking = trackingFor(o.ID)
	}
	return o
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
