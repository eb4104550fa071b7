package payment

import (
	"context"
	"errors"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Provider is a card processor: the built-in test provider (the default)
// or Stripe. Both take the order id as the idempotency key of a charge, so
// asking twice charges once.
type Provider interface {
	// Name is "test" or "stripe", for logs and metrics.
	Name() string
	// Tokenize turns a checked card into a token the provider charges
	// later; the card is not kept. A card the provider refuses outright is
	// a *platform.CardError.
	Tokenize(ctx context.Context, card platform.Card) (Method, error)
	// Charge authorises and captures amount on method under key. A decline
	// is an Outcome, not an error; an error means the outcome is unknown
	// (a timeout, a lost connection): ask Find before charging again.
	Charge(ctx context.Context, c ChargeRequest) (Outcome, error)
	// Find returns the outcome of the charge made under key, found false
	// when the provider never saw one.
	Find(ctx context.Context, key string) (o Outcome, found bool, err error)
	// Refund returns a captured charge in full; refunding again under the
	// same key refunds once.
	Refund(ctx context.Context, key, chargeID string, amountCents int64) error
}

// ChargeRequest is one charge.
type ChargeRequest struct {
	Key         string // the order id
	MethodID    string
	AmountCents int64
	Currency    string
}

// Outcome is what a provider decided about a charge.
type Outcome struct {
	Status   Status // Captured, Declined or Failed
	ChargeID string
	Code     string // declined, insufficient_funds, processing_error
	Reason   string // for the shopper: what to do next
}

// The decline codes and the reasons shown to the shopper.
const (
	CodeDeclined          = "declined"
	CodeInsufficientFunds = "insufficient_funds"
	CodeProcessingError   = "processing_error"
	CodeNoPaymentMethod   = "no_payment_method"
)

var reasons = map[string]string{
	CodeDeclined:          "Your card was declined: try another card.",
	CodeInsufficientFunds: "Your card has insufficient funds: try another card.",
	CodeProcessingError:   "Your card could not be processed: try again or use another card.",
	CodeNoPaymentMethod:   "No card was given for this order: place it again with a card.",
}

func declined(code string) Outcome {
	status := Declined
	if code == CodeProcessingError {
		status = Failed
	}
	return Outcome{Status: status, Code: code, Reason: reasons[code]}
}

// errUnknownOutcome marks a charge whose outcome neither the charge nor
// Find could establish: the event is retried, and the retry asks again.
var errUnknownOutcome = errors.New("the charge's outcome is unknown")
