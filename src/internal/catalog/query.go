package catalog

import (
	"strings"
	"unicode/utf8"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Sort orders of a listing.
const (
	SortName      = "name"
	SortNameDesc  = "-name"
	SortPrice     = "price"
	SortPriceDesc = "-price"
	SortNewest    = "-updated"
)

// Paging limits.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxPage         = 10_000
	MaxTextLen      = 200
)

// Query is a product listing request: filters, order and page.
type Query struct {
	Category string
	Text     string
	MinPrice int64 // cents, inclusive; 0 means no lower bound
	MaxPrice int64 // cents, inclusive; -1 means no upper bound
	InStock  bool
	Sort     string
	Page     int
	PageSize int
}

// Offset is the number of items before the page.
func (q Query) Offset() int { return (q.Page - 1) * q.PageSize }

// ParseQuery reads a Query from URL parameters; get returns "" for an absent
// one. Every bad value is a 400 naming the parameter.
func ParseQuery(get func(string) string) (Query, error) {
	q := Query{
		Category: strings.TrimSpace(get("category")),
		Text:     strings.TrimSpace(get("q")),
		MaxPrice: -1,
		Sort:     SortName,
		Page:     1,
		PageSize: DefaultPageSize,
	}
	if utf8.RuneCountInString(q.Text) > MaxTextLen {
		return q, platform.BadRequest("invalid_q", "q must be at most %d characters", MaxTextLen)
	}
	if utf8.RuneCountInString(q.Category) > MaxCategoryLen {
		return q, platform.BadRequest("invalid_category", "category must be at most %d characters", MaxCategoryLen)
	}
	var err error
	if q.Page, err = platform.IntParam(get, "page", 1, 1, MaxPage); err != nil {
		return q, err
	}
	if q.PageSize, err = platform.IntParam(get, "page_size", DefaultPageSize, 1, MaxPageSize); err != nil {
		return q, err
	}
	if q.MinPrice, q.MaxPrice, err = platform.PriceRangeParams(get, MaxPriceCents); err != nil {
		return q, err
	}
	if q.InStock, err = platform.BoolParam(get, "in_stock"); err != nil {
		return q, err
	}
	if s := get("sort"); s != "" {
		switch s {
		case SortName, SortNameDesc, SortPrice, SortPriceDesc, SortNewest:
			q.Sort = s
		default:
			return q, platform.BadRequest("invalid_sort", "sort must be one of name, -name, price, -price, -updated, got %q", s)
		}
	}
	return q, nil
}
