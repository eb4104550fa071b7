package frontend

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/events"
)

// Listing sizes.
const (
	gridPageSize   = 12
	searchPageSize = 12
	maxListPage    = 1000
	maxQueryLen    = 200
	// searchWindow is how deep the search API pages (page × page_size at
	// most 10,000, its documented limit): the storefront never links to,
	// or asks for, a search page beyond it.
	searchWindow = 10_000
)

// listingData is what the home and category pages show.
type listingData struct {
	// Featured is the home page's selection, on its first page only.
	Featured   []Product
	Categories []Category
	Category   string // the current category, on a category page
	Sort       string
	Products   []Product
	Total      int
	Pager      pager
}

// sortOptions are the orders a shopper can pick on listings.
var sortOptions = map[string]bool{"name": true, "price": true, "-price": true, "-updated": true}

// pageParam reads ?page=, treating anything unusable as the first page.
func pageParam(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxListPage)
}

func (h *handlers) home(c *fiber.Ctx) error {
	return h.sharedPage(c, "home", func() (view, error) {
		data, err := h.listing(c, "")
		if err != nil {
			return view{}, err
		}
		title := "Featured products"
		if data.Pager.Page == 1 {
			if data.Featured, err = h.featured(c.UserContext(), data.Categories); err != nil {
				return view{}, err
			}
		} else {
			title = fmt.Sprintf("All products, page %d", data.Pager.Page)
		}
		names := make([]string, 0, len(data.Categories))
		for _, cat := range data.Categories {
			names = append(names, cat.Name)
		}
		return view{Title: title, Data: data, Description: fmt.Sprintf(
			"Shop %d products across %d categories: %s. Prices include taxes.", data.Total, len(names), strings.Join(names, ", "))}, nil
	})
}

// featured is the home page's selection: the newest product in stock of
// each category, so the page shows what is new across the whole shop and
// never something that cannot be bought. The calls run in parallel and
// are cached like every catalog answer.
func (h *handlers) featured(ctx context.Context, cats []Category) ([]Product, error) {
	picks := make([]*Product, len(cats))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, cat := range cats {
		g.Go(func() error {
			list, err := h.products(ctx, url.Values{"category": {cat.Name}, "in_stock": {"true"},
				"sort": {"-updated"}, "page": {"1"}, "page_size": {"1"}})
			if err == nil && len(list.Items) > 0 {
				picks[i] = &list.Items[0]
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Product
	for _, p := range picks {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

func (h *handlers) category(c *fiber.Ctx) error {
	return h.sharedPage(c, "category", func() (view, error) {
		cats, err := h.categories(c.UserContext())
		if err != nil {
			return view{}, err
		}
		want := c.Params("slug")
		for _, cat := range cats {
			if slug(cat.Name) == want {
				data, err := h.listing(c, cat.Name)
				return view{Title: titleCase(cat.Name), Data: data, Description: fmt.Sprintf(
					"%s: %d products to choose from, with prices and stock, at Shop.", titleCase(cat.Name), data.Total)}, err
			}
		}
		return view{}, notFoundPage("that category")
	})
}

// listing loads a grid of products, of one category or all of them.
func (h *handlers) listing(c *fiber.Ctx, category string) (listingData, error) {
	ctx := c.UserContext()
	cats, err := h.categories(ctx)
	if err != nil {
		return listingData{}, err
	}
	sort := c.Query("sort")
	if !sortOptions[sort] {
		sort = "name"
	}
	n := pageParam(c)
	q := pageQuery(n, gridPageSize)
	q.Set("sort", sort)
	if category != "" {
		q.Set("category", category)
	}
	list, err := h.products(ctx, q)
	if err != nil {
		return listingData{}, err
	}
	basePath := "/"
	if category != "" {
		basePath = "/category/" + slug(category)
	}
	keep := url.Values{"sort": {sort}}
	if err := pastTheEnd(basePath, keep, n, gridPageSize, list.Total); err != nil {
		return listingData{}, err
	}
	return listingData{
		Categories: cats, Category: category, Sort: sort, Products: list.Items, Total: list.Total,
		Pager: newPager(basePath, keep, n, gridPageSize, list.Total),
	}, nil
}

func (h *handlers) product(c *fiber.Ctx) error {
	id := c.Params("id")
	if !events.ValidProductID(id) {
		return notFoundPage("that product")
	}
	return h.sharedPage(c, "product", func() (view, error) {
		p, err := h.backends.product(c.UserContext(), id)
		if isNotFound(err) {
			return view{}, notFoundPage("that product")
		}
		if err != nil {
			return view{}, err
		}
		return view{Title: p.Name, Data: p, Description: summary(p.Description)}, nil
	})
}

// searchSorts are the orders a shopper can pick on search results; the
// empty one is the search API's default, relevance.
var searchSorts = map[string]bool{"": true, "price": true, "-price": true, "name": true}

// searchData is what the search page shows.
type searchData struct {
	Query       string
	Category    string
	MinPrice    string
	MaxPrice    string
	Sort        string
	Unavailable bool
	Result      SearchResult
	Pager       pager
	// Filters are the active filters with links that remove them.
	Filters []filterLink
	// CategoryLinks and PriceLinks are the facets as links that narrow the
	// search.
	CategoryLinks []facetLink
	PriceLinks    []facetLink
	// Categories let a shopper keep browsing while search is down.
	Categories []Category
}

type facetLink struct {
	Label string
	Count int
	URL   string
}

type filterLink struct {
	Label, URL string
}

func (h *handlers) search(c *fiber.Ctx) error {
	text := strings.TrimSpace(c.Query("q"))
	if utf8.RuneCountInString(text) > maxQueryLen {
		text = string([]rune(text)[:maxQueryLen])
	}
	d := searchData{Query: text, Category: c.Query("category"), MinPrice: digits(c.Query("min_price")), MaxPrice: digits(c.Query("max_price")),
		Sort: c.Query("sort")}
	if !searchSorts[d.Sort] {
		d.Sort = ""
	}
	if text == "" {
		return h.renderView(c, http.StatusOK, "search", view{Title: "Search", Data: d,
			Description: "Search the shop's products by name, with category and price filters."})
	}
	err := h.sharedPage(c, "search", func() (view, error) {
		filters := url.Values{"q": {text}}
		for k, v := range map[string]string{"category": d.Category, "min_price": d.MinPrice, "max_price": d.MaxPrice, "sort": d.Sort} {
			if v != "" {
				filters.Set(k, v)
			}
		}
		// A page past the deepest one the search API serves is asked as
		// that page: its total then says where the last page is, and the
		// shopper is redirected there like on any listing.
		n := pageParam(c)
		q := pageQuery(min(n, searchWindow/searchPageSize), searchPageSize)
		for k, v := range filters {
			q[k] = v
		}
		res, err := h.searchProducts(c.UserContext(), q)
		if err != nil {
			return view{}, err
		}
		reachable := min(res.Total, searchWindow)
		if err := pastTheEnd("/search", filters, n, searchPageSize, reachable); err != nil {
			return view{}, err
		}
		d.Result = res
		d.Pager = newPager("/search", filters, n, searchPageSize, reachable)
		d.Filters, d.CategoryLinks, d.PriceLinks = facetLinks(filters, res)
		return view{Title: "Search: " + text, Data: d,
			Description: fmt.Sprintf("%d products at Shop match “%s”.", res.Total, text)}, nil
	})
	if !isUnavailable(err) {
		return err
	}
	d.Unavailable = true
	d.Categories, _ = h.categories(c.UserContext())
	return h.renderView(c, http.StatusServiceUnavailable, "search", view{Title: "Search unavailable", Query: text,
		Description: "Search is unavailable right now; browse the shop by category.",
		Notice:      "Search is unavailable right now. You can still browse the categories below.", Data: d})
}

// facetLinks builds links that add a facet to, or remove a filter from, the
// current search.
func facetLinks(filters url.Values, res SearchResult) (active []filterLink, cats, prices []facetLink) {
	with := func(set map[string]string, drop ...string) string {
		q := url.Values{}
		for k, v := range filters {
			q[k] = v
		}
		for _, k := range drop {
			q.Del(k)
		}
		for k, v := range set {
			q.Set(k, v)
		}
		return "/search?" + q.Encode()
	}
	if v := filters.Get("category"); v != "" {
		active = append(active, filterLink{Label: "Category: " + titleCase(v), URL: with(nil, "category")})
	}
	if filters.Get("min_price") != "" || filters.Get("max_price") != "" {
		active = append(active, filterLink{Label: "Price: " + priceRange(filters.Get("min_price"), filters.Get("max_price")),
			URL: with(nil, "min_price", "max_price")})
	}
	for _, f := range res.Facets.Category {
		cats = append(cats, facetLink{Label: titleCase(f.Value), Count: f.Count, URL: with(map[string]string{"category": f.Value})})
	}
	for _, f := range res.Facets.Price {
		if f.Count == 0 {
			continue // a link to no results helps nobody
		}
		set := map[string]string{}
		var from, to string
		if f.From != nil {
			from = strconv.FormatInt(*f.From, 10)
			set["min_price"] = from
		}
		if f.To != nil {
			// The facet's upper bound is exclusive, max_price inclusive.
			to = strconv.FormatInt(*f.To, 10)
			set["max_price"] = strconv.FormatInt(*f.To-1, 10)
		}
		prices = append(prices, facetLink{Label: priceRange(from, to), Count: f.Count, URL: with(set, "min_price", "max_price")})
	}
	return active, cats, prices
}

// priceRange labels a price facet given in cents.
func priceRange(from, to string) string {
	f, _ := strconv.ParseInt(from, 10, 64)
	t, errTo := strconv.ParseInt(to, 10, 64)
	switch {
	case to == "" || errTo != nil:
		return formatMoney(f, "USD") + " and up"
	case from == "" || f == 0:
		return "Under " + formatMoney(t, "USD")
	}
	return formatMoney(f, "USD") + " – " + formatMoney(t, "USD")
}

// digits keeps a price filter only when it is a plain number of cents.
func digits(s string) string {
	if _, err := strconv.ParseUint(s, 10, 63); err != nil {
		return ""
	}
	return s
}

// summaryLen is the longest meta description: search engines cut their
// snippets at about this length.
const summaryLen = 155

// summary shortens a product description to a meta description, at a word
// boundary.
func summary(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= summaryLen {
		return text
	}
	cut := string([]rune(text)[:summaryLen-1])
	if i := strings.LastIndexByte(cut, ' '); i > summaryLen/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// suggest answers the autocomplete box. When search is down it answers an
// empty list: the box simply stops suggesting.
func (h *handlers) suggest(c *fiber.Ctx) error {
	text := strings.TrimSpace(c.Query("q"))
	if text == "" || utf8.RuneCountInString(text) > maxQueryLen {
		return c.JSON(fiber.Map{"suggestions": []Suggestion{}})
	}
	list, err := h.backends.suggest(c.UserContext(), text)
	if err != nil || list == nil {
		list = []Suggestion{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"suggestions": list})
}
