package catalog

import (
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
	// TextTotalCap is how many matches of a text query are counted at
	// least. A word in a third of 100,000 products cost 190 ms to count
	// exactly (docs/benchmarks.md, Scale); past the cap the total is a
	// lower bound, flagged TotalCapped, as Elasticsearch's
	// track_total_hits answers.
	TextTotalCap = 1_000
)

// Query is a product listing request: filters, order and page.
type Query platform.Listing

// Offset is the number of items before the page.
func (q Query) Offset() int { return (q.Page - 1) * q.PageSize }

// countLimit is how far a text query's matches are counted: the cap, or
// one past the end of the page when that is deeper. A capped total thus
// always reaches past the page, so a client paging on until
// page*size >= total stops only after the last match.
func (q Query) countLimit() int { return max(TextTotalCap, q.Offset()+q.PageSize+1) }

// ParseQuery reads a Query from URL parameters; get returns "" for an absent
// one. Every bad value is a 400 naming the parameter.
func ParseQuery(get func(string) string) (Query, error) {
	l, err := platform.ParseListing(get, platform.ListingRules{
		MaxText: MaxTextLen, MaxCategory: MaxCategoryLen,
		DefaultPageSize: DefaultPageSize, MaxPageSize: MaxPageSize, MaxPage: MaxPage,
		MaxPriceCents: MaxPriceCents,
		Sorts:         []string{SortName, SortNameDesc, SortPrice, SortPriceDesc, SortNewest},
	})
	return Query(l), err
}
