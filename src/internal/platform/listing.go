package platform

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Listing is a page of a product list as the catalog's and search's URL
// parameters ask for it: the filters, the order and the page. Both
// services read it the same way, so a storefront link means the same on
// either.
type Listing struct {
	Text     string // q
	Category string
	MinPrice int64 // cents, inclusive; 0 means no lower bound
	MaxPrice int64 // cents, inclusive; -1 means no upper bound
	InStock  bool
	Sort     string
	Page     int
	PageSize int
}

// ListingRules are what one list accepts.
type ListingRules struct {
	MaxText, MaxCategory         int
	DefaultPageSize, MaxPageSize int
	// MaxPage is the last page that can be asked for; MaxWindow, when
	// set, caps it further to how deep the list can be paged (page ×
	// page_size).
	MaxPage, MaxWindow int
	MaxPriceCents      int
	// Sorts are the accepted values of sort; the first is the default.
	Sorts []string
}

// ParseListing reads a Listing from URL parameters; get returns "" for an
// absent one. Every bad value is a 400 naming the parameter.
func ParseListing(get func(string) string, r ListingRules) (Listing, error) {
	l := Listing{
		Text:     strings.TrimSpace(get("q")),
		Category: strings.TrimSpace(get("category")),
		MaxPrice: -1,
		Sort:     r.Sorts[0],
		Page:     1,
		PageSize: r.DefaultPageSize,
	}
	if !utf8.ValidString(l.Text) {
		return l, BadRequest("invalid_q", "q must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(l.Text); n > r.MaxText {
		return l, BadRequest("invalid_q", "q must be at most %d characters, got %d", r.MaxText, n)
	}
	if utf8.RuneCountInString(l.Category) > r.MaxCategory || !utf8.ValidString(l.Category) {
		return l, BadRequest("invalid_category", "category must be valid text of at most %d characters", r.MaxCategory)
	}
	var err error
	if l.PageSize, err = IntParam(get, "page_size", r.DefaultPageSize, 1, r.MaxPageSize); err != nil {
		return l, err
	}
	maxPage := r.MaxPage
	if r.MaxWindow > 0 {
		maxPage = min(maxPage, r.MaxWindow/l.PageSize)
	}
	if l.Page, err = IntParam(get, "page", 1, 1, maxPage); err != nil {
		return l, err
	}
	if l.MinPrice, l.MaxPrice, err = PriceRangeParams(get, r.MaxPriceCents); err != nil {
		return l, err
	}
	if l.InStock, err = BoolParam(get, "in_stock"); err != nil {
		return l, err
	}
	if s := get("sort"); s != "" {
		if !slices.Contains(r.Sorts, s) {
			return l, BadRequest("invalid_sort", "sort must be one of %s, got %s", strings.Join(r.Sorts, ", "), Quote(s))
		}
		l.Sort = s
	}
	return l, nil
}
