package payment

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

// The test cards of the built-in provider: Stripe's test numbers, so the
// Stripe adapter in test mode agrees (docs/payment.md). Their tokens are
// Stripe's test payment methods; the slow card has its own.
var testCards = map[string]string{
	"4242424242424242": "pm_card_visa",
	"4000000000000002": "pm_card_chargeDeclined",
	"4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
	"4000000000000119": "pm_card_chargeDeclinedProcessingError",
	"4000000000003220": "pm_card_slow",
}

// TestProvider is the built-in provider: no network, outcomes by card
// number, and a ledger of its charges by idempotency key, as a real
// provider keeps, so a retry charges once and Find answers. The slow card
// is captured at once but answered only after SlowAnswer, beyond any
// sensible client timeout: the caller must resolve it with Find.
type TestProvider struct {
	SlowAnswer time.Duration

	mu      sync.Mutex
	charges map[string]Outcome
	refunds map[string]bool
}

// NewTestProvider returns an empty test provider.
func NewTestProvider() *TestProvider {
	return &TestProvider{SlowAnswer: 30 * time.Second, charges: map[string]Outcome{}, refunds: map[string]bool{}}
}

// Name implements Provider.
func (p *TestProvider) Name() string { return "test" }

// Tokenize implements Provider. Any other valid number is a card that
// pays, tokenised by brand.
func (p *TestProvider) Tokenize(_ context.Context, card platform.Card) (Method, error) {
	id, ok := testCards[card.Number]
	if !ok {
		id = "pm_card_" + card.Brand()
	}
	return Method{ID: id, Brand: card.Brand(), Last4: card.Last4()}, nil
}

// Charge implements Provider.
func (p *TestProvider) Charge(ctx context.Context, c ChargeRequest) (Outcome, error) {
	p.mu.Lock()
	o, seen := p.charges[c.Key]
	if !seen {
		o = testOutcome(c)
		p.charges[c.Key] = o
	}
	p.mu.Unlock()
	if c.MethodID == "pm_card_slow" {
		t := time.NewTimer(p.SlowAnswer)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Outcome{}, fmt.Errorf("test provider: slow card: %w", ctx.Err())
		case <-t.C:
		}
	}
	return o, nil
}

func testOutcome(c ChargeRequest) Outcome {
	switch c.MethodID {
	case "pm_card_chargeDeclined":
		return declined(CodeDeclined)
	case "pm_card_chargeDeclinedInsufficientFunds":
		return declined(CodeInsufficientFunds)
	case "pm_card_chargeDeclinedProcessingError":
		return declined(CodeProcessingError)
	}
	return Outcome{Status: Captured, ChargeID: "pi_test_" + c.Key}
}

// Find implements Provider.
func (p *TestProvider) Find(_ context.Context, key string) (Outcome, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.charges[key]
	return o, ok, nil
}

// Refund implements Provider.
func (p *TestProvider) Refund(_ context.Context, key, chargeID string, _ int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.charges[strings.TrimPrefix(chargeID, "pi_test_")]
	if !ok || o.Status != Captured || o.ChargeID != chargeID {
		return fmt.Errorf("test provider: no captured charge %s to refund", chargeID)
	}
	p.refunds[key] = true
	return nil
}

// Charges counts the charges the provider captured, for the tests that
// prove nothing is charged twice.
func (p *TestProvider) Charges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, o := range p.charges {
		if o.Status == Captured {
			n++
		}
	}
	return n
}
