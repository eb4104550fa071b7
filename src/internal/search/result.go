package search

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
)

// Result is the answer of GET /search.
type Result struct {
	Hits   []Hit  `json:"hits"`
	Total  int    `json:"total"`
	Facets Facets `json:"facets"`
	TookMS int64  `json:"took_ms"`
}

// Hit is one matching product with its score and highlighted fragments.
// Fragments are HTML-escaped product text with the matches wrapped in
// <mark></mark>, safe to insert into a page as they are.
type Hit struct {
	ID         string              `json:"id"`
	Name       string              `json:"name"`
	Category   string              `json:"category"`
	PriceCents int64               `json:"price_cents"`
	Currency   string              `json:"currency"`
	Image      string              `json:"image"`
	Score      float64             `json:"score"`
	Highlights map[string][]string `json:"highlights"`
}

// Facets count the hits of the whole query (all pages) by category and by
// price range.
type Facets struct {
	Category []CategoryCount `json:"category"`
	Price    []PriceCount    `json:"price"`
}

// maxCategoryFacets is how many categories the category facet lists at most.
const maxCategoryFacets = 100

// CategoryCount is one category facet value.
type CategoryCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// PriceCount is one price range facet: From inclusive, To exclusive, in
// cents; the last range has no upper bound and omits To.
type PriceCount struct {
	From  int64  `json:"from"`
	To    *int64 `json:"to,omitempty"`
	Count int    `json:"count"`
}

// PriceRanges are the bounds of the price facet in cents: 0-25, 25-50,
// 50-100, 100-250 and 250+ in major units. Every range is always listed,
// with a zero count when empty, so a storefront can draw a stable list.
func PriceRanges() []PriceCount {
	bounds := []int64{0, 2500, 5000, 10_000, 25_000}
	ranges := make([]PriceCount, len(bounds))
	for i, from := range bounds {
		ranges[i].From = from
		if i+1 < len(bounds) {
			to := bounds[i+1]
			ranges[i].To = &to
		}
	}
	return ranges
}

// rangeName names a price range by its lower bound, in cents.
func rangeName(r PriceCount) string { return strconv.FormatInt(r.From, 10) }

// priceRangeOf is the name of the price range holding cents.
func priceRangeOf(cents int64) string {
	ranges := PriceRanges()
	for i := len(ranges) - 1; i > 0; i-- {
		if cents >= ranges[i].From {
			return rangeName(ranges[i])
		}
	}
	return rangeName(ranges[0])
}

// sortCategories orders category facets by count, then name, as
// Elasticsearch's terms aggregation does.
func sortCategories(list []CategoryCount) {
	slices.SortFunc(list, func(a, b CategoryCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
}

// Suggestion is one as-you-type completion.
type Suggestion struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Doc is a product as both backends index it: the product fields plus the
// derived fields the queries need.
type Doc struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	NamePlain   string    `json:"name_plain"` // unstemmed, for prefixes
	NameSort    string    `json:"name_sort"`  // lowercase keyword, for sorting
	Description string    `json:"description"`
	Category    string    `json:"category"`      // keyword, for filters and facets
	CategoryTxt string    `json:"category_text"` // analysed, for matching
	PriceCents  int64     `json:"price_cents"`
	PriceRange  string    `json:"price_range"` // the facet range, by its lower bound
	PriceSort   string    `json:"price_sort"`  // zero-padded cents, a keyword sorts cheaper than a number
	Currency    string    `json:"currency"`
	Image       string    `json:"image"`
	Stock       int       `json:"stock"`
	InStock     bool      `json:"in_stock"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// DocFrom derives the indexed document from a product event.
func DocFrom(p events.Product) Doc {
	return Doc{
		ID: p.ID, Name: p.Name, NamePlain: p.Name, NameSort: strings.ToLower(p.Name),
		Description: p.Description, Category: p.Category, CategoryTxt: p.Category,
		PriceCents: p.PriceCents, PriceRange: priceRangeOf(p.PriceCents),
		PriceSort: fmt.Sprintf("%012d", p.PriceCents), Currency: p.Currency, Image: p.Image,
		Stock: p.Stock, InStock: p.Stock > 0, UpdatedAt: p.UpdatedAt,
	}
}
