package frontend

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// The JSON shapes below are the contracts of DESIGN.md §3, declared here
// rather than imported: services never import each other.

// Product is a catalog product: the catalog announces it on
// product.upserted in the same JSON as it answers GET /catalog/{id}.
type Product = events.Product

// ProductPage is one page of a catalog listing.
type ProductPage struct {
	Items    []Product `json:"items"`
	Total    int       `json:"total"`
	Page     int       `json:"page"`
	PageSize int       `json:"page_size"`
}

// Category is a category name and its product count.
type Category struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// SearchHit is one search result.
type SearchHit struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Category   string              `json:"category"`
	PriceCents int64               `json:"price_cents"`
	Currency   string              `json:"currency"`
	Image      string              `json:"image"`
	Score      float64             `json:"score"`
	Highlights map[string][]string `json:"highlights"`
}

// SearchResult is the search service's answer.
type SearchResult struct {
	Hits   []SearchHit `json:"hits"`
	Total  int         `json:"total"`
	Facets struct {
		Category []FacetValue `json:"category"`
		Price    []PriceRange `json:"price"`
	} `json:"facets"`
	TookMs int `json:"took_ms"`
}

// FacetValue is a category facet: a value and how many hits have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// PriceRange is a price facet in cents: From inclusive, To exclusive, no To
// on the last, open range.
type PriceRange struct {
	From  *int64 `json:"from"`
	To    *int64 `json:"to"`
	Count int    `json:"count"`
}

// Suggestion is one autocomplete entry.
type Suggestion struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Address is a delivery address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Customer is who places an order.
type Customer struct {
	Email   string  `json:"email"`
	Name    string  `json:"name"`
	Phone   string  `json:"phone,omitempty"`
	Address Address `json:"address"`
}

// ShippingChoice is the delivery method chosen at checkout.
type ShippingChoice struct {
	Method string `json:"method"`
}

// OrderItem is one line of an order request.
type OrderItem struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// OrderRequest is the body of POST /create-order.
type OrderRequest struct {
	Customer Customer       `json:"customer"`
	Items    []OrderItem    `json:"items"`
	Shipping ShippingChoice `json:"shipping"`
	Payment  *platform.Card `json:"payment"`
}

// QuoteRequest is the body of the order service's POST /quote.
type QuoteRequest struct {
	Country  string         `json:"country"`
	Items    []OrderItem    `json:"items"`
	Shipping ShippingChoice `json:"shipping"`
}

// ShippingOption is a delivery method's price and estimate.
type ShippingOption struct {
	Method          string `json:"method"`
	Cents           int64  `json:"cents"`
	EstimateMinDays int    `json:"estimate_min_days"`
	EstimateMaxDays int    `json:"estimate_max_days"`
	Tracking        string `json:"tracking"`
}

// Quote is what an order would cost: the order service computes every
// amount, the storefront only shows them.
type Quote struct {
	SubtotalCents          int64            `json:"subtotal_cents"`
	ShippingCents          int64            `json:"shipping_cents"`
	TaxCents               int64            `json:"tax_cents"`
	TotalCents             int64            `json:"total_cents"`
	Currency               string           `json:"currency"`
	Shipping               ShippingOption   `json:"shipping"`
	Options                []ShippingOption `json:"options"`
	FreeShippingAboveCents int64            `json:"free_shipping_above_cents"`
}

// OrderLine is one line of a placed order.
type OrderLine struct {
	ProductID      string `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// LineCents is the line's total.
func (l OrderLine) LineCents() int64 { return l.UnitPriceCents * int64(l.Quantity) }

// Order is an order as the order service reports it.
type Order struct {
	ID            string         `json:"id"`
	Reference     string         `json:"reference"`
	Status        string         `json:"status"`
	Reason        string         `json:"reason"`
	Customer      Customer       `json:"customer"`
	Items         []OrderLine    `json:"items"`
	SubtotalCents int64          `json:"subtotal_cents"`
	ShippingCents int64          `json:"shipping_cents"`
	TaxCents      int64          `json:"tax_cents"`
	TotalCents    int64          `json:"total_cents"`
	Currency      string         `json:"currency"`
	Shipping      ShippingOption `json:"shipping"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	// Payment is the card (brand, last four digits) and its payment's
	// status; nil on orders placed before payments.
	Payment *struct {
		Brand  string `json:"brand"`
		Last4  string `json:"last4"`
		Status string `json:"status"`
	} `json:"payment"`
	// History is every status the order had, oldest first.
	History []struct {
		Status string    `json:"status"`
		At     time.Time `json:"at"`
		Reason string    `json:"reason"`
	} `json:"history"`
}

// backends are the three services behind the storefront.
type backends struct {
	catalog, search, order *backend
}

func (b backends) products(ctx context.Context, q url.Values) (ProductPage, error) {
	var p ProductPage
	return p, b.catalog.getJSON(ctx, "/catalog", q, &p)
}

// product reads one product. An id that is not a product id (one the
// catalog routes itself, like "categories", or one it would refuse to
// store) is not found without asking: /catalog/categories answers the
// category list, which would decode as a blank product. An answer for
// another id is not found either, for the same reason.
func (b backends) product(ctx context.Context, id string) (Product, error) {
	notFound := &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no product " + id}
	if events.CheckProductID(id) != nil {
		return Product{}, notFound
	}
	var p Product
	if err := b.catalog.getJSON(ctx, "/catalog/"+url.PathEscape(id), nil, &p); err != nil {
		return p, err
	}
	if p.ID != id {
		return Product{}, notFound
	}
	return p, nil
}

func (b backends) categories(ctx context.Context) ([]Category, error) {
	var body struct {
		Categories []Category `json:"categories"`
	}
	return body.Categories, b.catalog.getJSON(ctx, "/catalog/categories", nil, &body)
}

func (b backends) searchProducts(ctx context.Context, q url.Values) (SearchResult, error) {
	var r SearchResult
	return r, b.search.getJSON(ctx, "/search", q, &r)
}

func (b backends) suggest(ctx context.Context, prefix string) ([]Suggestion, error) {
	var body struct {
		Suggestions []Suggestion `json:"suggestions"`
	}
	return body.Suggestions, b.search.getJSON(ctx, "/search/suggest", url.Values{"q": {prefix}}, &body)
}

// createOrder places an order once; the key makes a repeated submission of
// the same checkout return the first order instead of a second one.
func (b backends) createOrder(ctx context.Context, key string, req OrderRequest) (string, error) {
	var body struct {
		OrderID string `json:"order_id"`
	}
	_, err := b.order.postJSON(ctx, "/create-order", map[string]string{"Idempotency-Key": key}, req, &body)
	return body.OrderID, err
}

// getOrder reads an order. The order backend has no answer cache: the
// status page polls it to see the order change.
func (b backends) getOrder(ctx context.Context, id string) (Order, error) {
	var o Order
	return o, b.order.getJSON(ctx, "/orders/"+url.PathEscape(id), nil, &o)
}

// quote asks the order service what an order would cost.
func (b backends) quote(ctx context.Context, req QuoteRequest) (Quote, error) {
	var q Quote
	_, err := b.order.postJSON(ctx, "/quote", nil, req, &q)
	return q, err
}

// lookupOrder finds an order by its reference and email; a miss is a 404
// whether the reference exists or not.
func (b backends) lookupOrder(ctx context.Context, ref, email string) (Order, error) {
	var o Order
	return o, b.order.getJSON(ctx, "/orders", url.Values{"reference": {ref}, "email": {email}}, &o)
}

// cancelOrder asks the order service to cancel an order: it refunds the
// payment and releases the stock. A 409 says it cannot be cancelled.
func (b backends) cancelOrder(ctx context.Context, id string) error {
	var o Order
	_, err := b.order.postJSON(ctx, "/orders/"+url.PathEscape(id)+"/cancel", nil, struct{}{}, &o)
	return err
}

func pageQuery(page, size int) url.Values {
	return url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
}
