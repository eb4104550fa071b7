//go:build !embedded

package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v82"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// Stripe charges through Stripe's PaymentIntents API with the official
// client. A charge is one PaymentIntent created and confirmed at once
// (automatic capture) with the order id as its Idempotency-Key and in its
// metadata, which is how Find asks Stripe about a charge whose answer was
// lost.
type Stripe struct {
	client *stripe.Client
}

// orderKeyMeta is the PaymentIntent metadata key holding the order id.
const orderKeyMeta = "shop_order_id"

// openStripe is the Stripe adapter cfg configures. Builds tagged embedded
// (make run's) leave it out: stripe_embedded.go.
func openStripe(cfg Config) (Provider, error) {
	return NewStripe(cfg.StripeKey, cfg.StripeURL, cfg.Tracer), nil
}

// NewStripe returns the adapter with key, against apiURL (Stripe's own API
// when empty; stripe-mock in the tests). The client's own retries are off:
// the saga's redelivery retries, after asking Stripe.
func NewStripe(key platform.Secret, apiURL string, tp trace.TracerProvider) *Stripe {
	retries := int64(0)
	cfg := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Transport: tracing.Transport(tp, "stripe", http.DefaultTransport)},
		MaxNetworkRetries: &retries,
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if apiURL != "" {
		cfg.URL = stripe.String(strings.TrimRight(apiURL, "/"))
	}
	return &Stripe{client: stripe.NewClient(key.Value(), stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))}
}

// Name implements Provider.
func (s *Stripe) Name() string { return "stripe" }

// Tokenize implements Provider: a card PaymentMethod. Sending raw card
// numbers to Stripe's API puts the shop in PCI DSS SAQ D scope: a real
// deployment tokenises in the browser with Stripe Elements instead
// (docs/payment.md).
func (s *Stripe) Tokenize(ctx context.Context, card platform.Card) (Method, error) {
	pm, err := s.client.V1PaymentMethods.Create(ctx, &stripe.PaymentMethodCreateParams{
		Type: stripe.String(string(stripe.PaymentMethodTypeCard)),
		Card: &stripe.PaymentMethodCreateCardParams{
			Number:   stripe.String(card.Number),
			ExpMonth: stripe.Int64(int64(card.ExpMonth)),
			ExpYear:  stripe.Int64(int64(card.ExpYear)),
			CVC:      stripe.String(card.CVC),
		},
	})
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		return Method{}, &platform.CardError{Field: "card_number", Message: se.Msg}
	}
	if err != nil {
		return Method{}, fmt.Errorf("stripe: creating payment method: %w", err)
	}
	m := Method{ID: pm.ID, Brand: card.Brand(), Last4: card.Last4()}
	if pm.Card != nil && pm.Card.Last4 != "" {
		m.Brand, m.Last4 = string(pm.Card.Brand), pm.Card.Last4
	}
	return m, nil
}

// Charge implements Provider. A card_error is a decline; any other error
// leaves the outcome unknown.
func (s *Stripe) Charge(ctx context.Context, c ChargeRequest) (Outcome, error) {
	params := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(c.AmountCents),
		Currency:           stripe.String(strings.ToLower(c.Currency)),
		PaymentMethod:      stripe.String(c.MethodID),
		PaymentMethodTypes: []*string{stripe.String("card")},
		Confirm:            stripe.Bool(true),
		CaptureMethod:      stripe.String(string(stripe.PaymentIntentCaptureMethodAutomatic)),
	}
	params.SetIdempotencyKey("charge-" + c.Key)
	params.AddMetadata(orderKeyMeta, c.Key)
	pi, err := s.client.V1PaymentIntents.Create(ctx, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		return stripeDecline(se), nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("stripe: creating payment intent: %w", err)
	}
	return intentOutcome(pi)
}

func stripeDecline(se *stripe.Error) Outcome {
	switch {
	case se.DeclineCode == stripe.DeclineCodeInsufficientFunds:
		return declined(CodeInsufficientFunds)
	case se.Code == stripe.ErrorCodeProcessingError:
		return declined(CodeProcessingError)
	}
	return declined(CodeDeclined)
}

// intentOutcome reads a confirmed PaymentIntent: succeeded is captured;
// processing has no outcome yet (an error: the retry asks again); any
// other status (requires_payment_method after a failed attempt,
// requires_action for a card that needs 3-D Secure, which a server-side
// confirmation cannot give, canceled) is a decline.
func intentOutcome(pi *stripe.PaymentIntent) (Outcome, error) {
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		return Outcome{Status: Captured, ChargeID: pi.ID}, nil
	case stripe.PaymentIntentStatusProcessing:
		return Outcome{}, fmt.Errorf("stripe: payment intent %s is still processing", pi.ID)
	}
	return declined(CodeDeclined), nil
}

// Find implements Provider with the PaymentIntents search API, by the
// order id in the metadata.
func (s *Stripe) Find(ctx context.Context, key string) (Outcome, bool, error) {
	params := &stripe.PaymentIntentSearchParams{}
	params.Query = fmt.Sprintf("metadata['%s']:'%s'", orderKeyMeta, key)
	for pi, err := range s.client.V1PaymentIntents.Search(ctx, params) {
		if err != nil {
			return Outcome{}, false, fmt.Errorf("stripe: searching payment intents: %w", err)
		}
		if pi.Metadata[orderKeyMeta] == key {
			o, err := intentOutcome(pi)
			return o, err == nil, err
		}
	}
	return Outcome{}, false, nil
}

// Refund implements Provider: the whole PaymentIntent, once per key.
func (s *Stripe) Refund(ctx context.Context, key, chargeID string, amountCents int64) error {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(chargeID), Amount: stripe.Int64(amountCents)}
	params.SetIdempotencyKey(key)
	if _, err := s.client.V1Refunds.Create(ctx, params); err != nil {
		return fmt.Errorf("stripe: refunding %s: %w", chargeID, err)
	}
	return nil
}
