// Package catalog is the catalog service: products, categories and stock,
// served over HTTP from PostgreSQL or the embedded in-memory store.
package catalog

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// ErrNotFound is returned for an unknown product id.
var ErrNotFound = errors.New("product not found")

// Product is one item for sale, in the JSON the catalog both answers GET
// /catalog/{id} with and announces on product.upserted: one type, so the
// two cannot drift. A stored product always has a revision; only the seed
// file, which the store numbers as it loads it, goes without.
type Product = events.Product

// ProductInput is the body of PUT /catalog/{id}: every field a caller sets.
type ProductInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Currency    string `json:"currency"`
	Image       string `json:"image"`
	Stock       int    `json:"stock"`
}

// Limits of product fields.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 5000
	MaxCategoryLen    = 64
	MaxImageLen       = 500
	MaxPriceCents     = 100_000_000 // one million in major units
	MaxStock          = 1_000_000
)

var (
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidateID checks a product id against the one grammar shared with the
// order service (events.CheckProductID): a 400 naming the problem.
func ValidateID(id string) error {
	if err := events.CheckProductID(id); err != nil {
		return platform.BadRequest("invalid_id", "%s", err)
	}
	return nil
}

// productBody is the wire form of ProductInput. The numbers are pointers
// so that a missing or null price or stock is refused: read as 0, an
// incomplete request would make a free product.
type productBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  *int64 `json:"price_cents"`
	Currency    string `json:"currency"`
	Image       string `json:"image"`
	Stock       *int   `json:"stock"`
}

// ParseProductInput decodes and validates the body of PUT /catalog/{id}:
// every failure is a 4xx naming the field.
func ParseProductInput(body []byte) (ProductInput, error) {
	var b productBody
	if err := platform.DecodeJSONBytes(body, &b); err != nil {
		return ProductInput{}, err
	}
	switch {
	case b.PriceCents == nil:
		return ProductInput{}, invalidField("price_cents", "is required (integer cents, 0 for a free product)")
	case b.Stock == nil:
		return ProductInput{}, invalidField("stock", "is required (0 for none in stock)")
	}
	in := ProductInput{Name: b.Name, Description: b.Description, Category: b.Category, PriceCents: *b.PriceCents,
		Currency: b.Currency, Image: b.Image, Stock: *b.Stock}
	return in, in.validate()
}

// invalidField is a 400 naming the field that is wrong.
func invalidField(field, format string, args ...any) error {
	return platform.NewError(http.StatusBadRequest, "invalid_"+field, "%s: %s", field, fmt.Sprintf(format, args...))
}

// validate checks every field and names the first that is wrong.
func (in ProductInput) validate() error {
	bad := invalidField
	for _, f := range []struct {
		name, value string
		multiline   bool
	}{{"name", in.Name, false}, {"category", in.Category, false}, {"description", in.Description, true}, {"image", in.Image, false}} {
		if err := platform.CheckText(f.value, f.multiline); err != nil {
			return bad(f.name, "%s", err)
		}
	}
	switch {
	case strings.TrimSpace(in.Name) == "":
		return bad("name", "is required")
	case utf8.RuneCountInString(in.Name) > MaxNameLen:
		return bad("name", "must be at most %d characters", MaxNameLen)
	case utf8.RuneCountInString(in.Description) > MaxDescriptionLen:
		return bad("description", "must be at most %d characters", MaxDescriptionLen)
	case strings.TrimSpace(in.Category) == "":
		return bad("category", "is required")
	case utf8.RuneCountInString(in.Category) > MaxCategoryLen:
		return bad("category", "must be at most %d characters", MaxCategoryLen)
	case in.PriceCents < 0 || in.PriceCents > MaxPriceCents:
		return bad("price_cents", "must be between 0 and %d, got %d", MaxPriceCents, in.PriceCents)
	case !currencyPattern.MatchString(in.Currency):
		return bad("currency", "must be a three-letter ISO 4217 code such as USD, got %s", platform.Quote(in.Currency))
	case utf8.RuneCountInString(in.Image) > MaxImageLen:
		return bad("image", "must be at most %d characters", MaxImageLen)
	case !safeImageURL(strings.TrimSpace(in.Image)):
		return bad("image", "must be an https:// URL, a relative URL such as /static/x.svg, or empty, got %s", platform.Quote(in.Image))
	case in.Stock < 0 || in.Stock > MaxStock:
		return bad("stock", "must be between 0 and %d, got %d", MaxStock, in.Stock)
	}
	return nil
}

// safeImageURL admits what the storefront may put in an img src: nothing,
// an https URL with a host, or a relative URL. Anything with another scheme
// (javascript:, data:, http:), a protocol-relative "//host" or a backslash
// (which browsers read as a slash) is refused, as are control characters
// (which browsers strip, so "java\tscript:" would become a scheme).
func safeImageURL(raw string) bool {
	if raw == "" {
		return true
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return false
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return false
	case u.Scheme == "https":
		return u.Host != "" && u.User == nil
	case u.Scheme != "" || u.Host != "" || strings.HasPrefix(raw, "//"):
		return false
	}
	return true
}

// Normalized trims the text fields so equal inputs store equal products.
func (in ProductInput) Normalized() ProductInput {
	in.Name = strings.TrimSpace(in.Name)
	in.Category = strings.TrimSpace(in.Category)
	in.Description = strings.TrimSpace(in.Description)
	in.Image = strings.TrimSpace(in.Image)
	return in
}

// Category is a category name and how many products it holds.
type Category struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Page is one page of a product listing.
type Page struct {
	Items []Product `json:"items"`
	// Total is the number of matches; for a text query with more than
	// Query.countLimit of them, that limit, with TotalCapped set.
	Total       int  `json:"total"`
	TotalCapped bool `json:"total_capped"`
	Page        int  `json:"page"`
	PageSize    int  `json:"page_size"`
}

// capTotal applies the text count limit to a total counted one past it.
func (p *Page) capTotal(q Query) {
	if limit := q.countLimit(); q.Text != "" && p.Total > limit {
		p.Total, p.TotalCapped = limit, true
	}
}

// now is the store clock: UTC at microsecond precision, as PostgreSQL keeps
// timestamps, so both stores return equal products.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
