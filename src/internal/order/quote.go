package order

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
)

// QuoteRequest is the body of POST /quote: the lines and shipping method of
// a create-order request and the destination country, without the rest of
// the customer. The cart and checkout pages show its answer.
type QuoteRequest struct {
	Country  string         `json:"country"`
	Items    []RequestItem  `json:"items"`
	Shipping ShippingChoice `json:"shipping"`
}

// QuoteAnswer is what an order of the quoted lines would cost, computed as
// create-order computes it; Options price every shipping method.
type QuoteAnswer struct {
	SubtotalCents          int64    `json:"subtotal_cents"`
	ShippingCents          int64    `json:"shipping_cents"`
	TaxCents               int64    `json:"tax_cents"`
	TotalCents             int64    `json:"total_cents"`
	Currency               string   `json:"currency"`
	Shipping               Option   `json:"shipping"`
	Options                []Option `json:"options"`
	FreeShippingAboveCents int64    `json:"free_shipping_above_cents"`
}

func (r *QuoteRequest) normalize() {
	r.Country = strings.ToUpper(trimSpaces(r.Country))
	for i := range r.Items {
		r.Items[i].ProductID = trimSpaces(r.Items[i].ProductID)
	}
	r.Shipping.normalize()
}

func (r QuoteRequest) validate() error {
	if err := validateCountry("country", r.Country); err != nil {
		return err
	}
	if err := r.Shipping.validate(); err != nil {
		return err
	}
	return validateItems(r.Items)
}

func (h handlers) quote(c *fiber.Ctx) error {
	var r QuoteRequest
	if err := platform.DecodeJSON(c, &r); err != nil {
		return err
	}
	r.normalize()
	if err := r.validate(); err != nil {
		return err
	}
	_, currency, subtotal, err := h.placer.priceLines(c.UserContext(), r.Items)
	if err != nil {
		return err
	}
	t, err := totalsOf(subtotal, r.Country, r.Shipping.Method)
	if err != nil {
		return err
	}
	return c.JSON(QuoteAnswer{
		SubtotalCents: t.SubtotalCents, ShippingCents: t.ShippingCents, TaxCents: t.TaxCents, TotalCents: t.TotalCents, Currency: currency,
		Shipping: Option{Method: t.Shipping.Method, Cents: t.ShippingCents, EstimateMinDays: t.Shipping.EstimateMinDays, EstimateMaxDays: t.Shipping.EstimateMaxDays},
		Options:  options(subtotal, r.Country), FreeShippingAboveCents: freeShippingAbove(r.Country),
	})
}
