package order

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// Cards tokenises a shopper's card with the payment service, so the order
// keeps only the token, the brand and the last four digits.
type Cards interface {
	// Tokenize returns the card's token: a card the payment service
	// refuses is a 400 naming the payment field; a payment service that
	// cannot be reached is platform.ErrUnavailable.
	Tokenize(ctx context.Context, card platform.Card) (Method, error)
}

// Method is a tokenised card.
type Method struct {
	ID    string `json:"id"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// PaymentClient calls the payment service's POST /payment-methods.
type PaymentClient struct {
	base   string
	client *http.Client
}

// NewPaymentClient returns a client of the payment service at base. Each
// call carries the caller's request id and, with tracing on (tp not nil),
// is a client span, so the payment leg is in the order's trace.
func NewPaymentClient(base string, timeout time.Duration, tp trace.TracerProvider) *PaymentClient {
	return &PaymentClient{base: strings.TrimRight(base, "/"), client: &http.Client{Timeout: timeout, Transport: tracing.Transport(tp, "payment", http.DefaultTransport)}}
}

// Tokenize implements Cards.
func (c *PaymentClient) Tokenize(ctx context.Context, card platform.Card) (Method, error) {
	var m Method
	body, err := json.Marshal(card)
	if err != nil {
		return m, fmt.Errorf("encoding card: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/payment-methods", bytes.NewReader(body))
	if err != nil {
		return m, fmt.Errorf("building payment request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return m, fmt.Errorf("tokenising card: %w: %w", platform.ErrUnavailable, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode >= 500:
		return m, fmt.Errorf("tokenising card: payment answered %d: %w", resp.StatusCode, platform.ErrUnavailable)
	case resp.StatusCode >= 400:
		var e platform.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return m, platform.BadRequest("invalid_field", "payment.%s", e.Error.Message)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.ID == "" {
		return m, fmt.Errorf("decoding payment method: %w: %w", platform.ErrUnavailable, err)
	}
	return m, nil
}
