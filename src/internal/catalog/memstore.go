package catalog

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// MemoryStore is the embedded store `make run` uses: products in a map,
// events in an in-memory outbox, one lock for both so a change and its event
// are recorded together.
//
// Reads do not touch the map: they use a view that holds the products in
// every sort order, already sorted and with their names lower-cased, so a
// listing with a text filter costs a walk over its category's products, one
// with price or stock filters only the walk to the end of its page and two
// binary searches for its total, and an unfiltered one only the page it
// returns. Text is a substring scan: at 100,000 products, tens of
// milliseconds a query (docs/benchmarks.md, Scale). Writes drop the view and the next
// read builds it again; the sorting is paid once per change, never per
// request.
type MemoryStore struct {
	mu       sync.RWMutex
	products map[string]Product
	outbox   *outbox.Memory
	revision int64 // the last revision given to a write, as PostgreSQL's sequence
	// reserved is what each order's reservation took, until released.
	reserved map[string]map[string]int

	view    atomic.Pointer[memView] // nil after a change, until a read builds it
	buildMu sync.Mutex              // one reader builds the view, the others wait for it
	changes uint64                  // how many writes changed the products: the views' versions
}

// NewMemoryStore returns an empty store that records its events in box.
func NewMemoryStore(box *outbox.Memory) *MemoryStore {
	return &MemoryStore{products: map[string]Product{}, outbox: box, reserved: map[string]map[string]int{}}
}

// memEntry is a product with the lower-cased text its filters compare.
type memEntry struct {
	Product
	name, description string
}

// sortOrders are the orders a view keeps, indexed as sortIndex numbers them.
var sortOrders = [...]string{SortName, SortNameDesc, SortPrice, SortPriceDesc, SortNewest}

func sortIndex(sort string) int {
	if i := slices.Index(sortOrders[:], sort); i >= 0 {
		return i
	}
	return 0
}

// sorted is a set of products in each of sortOrders, and those in stock
// by price: a price range's count, with or without the in-stock filter, is
// two binary searches.
type sorted struct {
	lists        [len(sortOrders)][]*memEntry
	inStockPrice []*memEntry
}

// priceOrder is the index of SortPrice in sortOrders.
var priceOrder = sortIndex(SortPrice)

// count is how many products of s q's price range and in-stock filter
// keep (its text filter aside).
func (s *sorted) count(q Query) int {
	list := s.lists[priceOrder]
	if q.InStock {
		list = s.inStockPrice
	}
	byPrice := func(e *memEntry, price int64) int { return cmp.Compare(e.PriceCents, price) }
	lo, _ := slices.BinarySearchFunc(list, q.MinPrice, byPrice)
	hi := len(list)
	if q.MaxPrice >= 0 {
		hi, _ = slices.BinarySearchFunc(list, q.MaxPrice+1, byPrice)
	}
	return max(0, hi-lo)
}

// memView is the store's products as reads need them: immutable once built.
type memView struct {
	version    uint64 // MemoryStore.changes when it was built
	all        sorted
	byCategory map[string]*sorted // by lower-cased category, as the filter compares
	categories []Category
}

func buildView(products map[string]Product) *memView {
	entries := make([]*memEntry, 0, len(products))
	counts := map[string]int{}
	for _, p := range products {
		entries = append(entries, &memEntry{Product: p, name: strings.ToLower(p.Name), description: strings.ToLower(p.Description)})
		counts[p.Category]++
	}
	v := &memView{byCategory: map[string]*sorted{}, categories: make([]Category, 0, len(counts))}
	for i, order := range sortOrders {
		list := slices.Clone(entries)
		slices.SortFunc(list, compareBy(order))
		v.all.lists[i] = list
		// Each category's lists are the full list filtered, so they are in
		// order without a sort of their own.
		for _, e := range list {
			key := strings.ToLower(e.Category)
			s := v.byCategory[key]
			if s == nil {
				s = &sorted{}
				v.byCategory[key] = s
			}
			s.lists[i] = append(s.lists[i], e)
		}
	}
	for _, s := range append([]*sorted{&v.all}, slices.Collect(maps.Values(v.byCategory))...) {
		for _, e := range s.lists[priceOrder] {
			if e.Stock > 0 {
				s.inStockPrice = append(s.inStockPrice, e)
			}
		}
	}
	for name, n := range counts {
		v.categories = append(v.categories, Category{Name: name, Count: n})
	}
	slices.SortFunc(v.categories, func(a, b Category) int { return cmp.Compare(a.Name, b.Name) })
	return v
}

// current returns the view of the products as they are now.
func (s *MemoryStore) current() *memView {
	if v := s.view.Load(); v != nil {
		return v
	}
	// The read lock keeps writers out while the view is built and stored,
	// so a view is never stored over the nil of a later change.
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if v := s.view.Load(); v != nil {
		return v
	}
	v := buildView(s.products)
	v.version = s.changes
	s.view.Store(v)
	return v
}

// changed drops the view after a write; the caller holds the write lock.
func (s *MemoryStore) changed() {
	s.changes++
	s.view.Store(nil)
}

// Version implements Versioned: the version of the view a listing reads.
func (s *MemoryStore) Version() (uint64, bool) { return s.current().version, true }

// List implements Store.
func (s *MemoryStore) List(_ context.Context, q Query) (Page, error) {
	v := s.current()
	set := &v.all
	if q.Category != "" {
		set = v.byCategory[strings.ToLower(q.Category)]
	}
	page := Page{Items: []Product{}, Page: q.Page, PageSize: q.PageSize}
	if set == nil {
		return page, nil
	}
	list := set.lists[sortIndex(q.Sort)]
	off := q.Offset()
	if q.Text == "" && q.MinPrice <= 0 && q.MaxPrice < 0 && !q.InStock {
		page.Total = len(list)
		page.Items = make([]Product, 0, max(0, min(q.PageSize, len(list)-off)))
		for _, e := range list[min(off, len(list)):min(off+q.PageSize, len(list))] {
			page.Items = append(page.Items, e.Product)
		}
		return page, nil
	}
	if q.Text == "" {
		// Price and stock filters: the total from the price-ordered lists,
		// and the walk ends with the page instead of the list.
		page.Total = set.count(q)
		seen := 0
		for _, e := range list {
			if len(page.Items) == q.PageSize {
				break
			}
			if !q.matches(e, "") {
				continue
			}
			if seen >= off {
				page.Items = append(page.Items, e.Product)
			}
			seen++
		}
		return page, nil
	}
	// Text: the scan stops one match past the count limit, which lies
	// beyond the page.
	text, limit := strings.ToLower(q.Text), q.countLimit()
	for _, e := range list {
		if !q.matches(e, text) {
			continue
		}
		if page.Total >= off && len(page.Items) < q.PageSize {
			page.Items = append(page.Items, e.Product)
		}
		if page.Total++; page.Total > limit {
			break
		}
	}
	page.capTotal(q)
	return page, nil
}

// matches applies the filters other than the category the way the SQL of
// PostgresStore does; text is q.Text lower-cased.
func (q Query) matches(e *memEntry, text string) bool {
	if text != "" && !strings.Contains(e.name, text) && !strings.Contains(e.description, text) {
		return false
	}
	if e.PriceCents < q.MinPrice || (q.MaxPrice >= 0 && e.PriceCents > q.MaxPrice) {
		return false
	}
	return !q.InStock || e.Stock > 0
}

// compareBy orders products by the sort key, then by id so pages are stable.
func compareBy(sort string) func(a, b *memEntry) int {
	return func(a, b *memEntry) int {
		var c int
		switch sort {
		case SortNameDesc:
			c = -cmp.Compare(a.name, b.name)
		case SortPrice:
			c = cmp.Compare(a.PriceCents, b.PriceCents)
		case SortPriceDesc:
			c = -cmp.Compare(a.PriceCents, b.PriceCents)
		case SortNewest:
			c = -a.UpdatedAt.Compare(b.UpdatedAt)
		default:
			c = cmp.Compare(a.name, b.name)
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Product, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.products[id]
	if !ok {
		return Product{}, ErrNotFound
	}
	return p, nil
}

// Categories implements Store.
func (s *MemoryStore) Categories(_ context.Context) ([]Category, error) {
	return slices.Clone(s.current().categories), nil
}

// Upsert implements Store.
func (s *MemoryStore) Upsert(ctx context.Context, id string, in ProductInput) (Product, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.products[id]
	p := productFrom(id, in, now())
	s.revision++
	p.Revision = s.revision
	if exists {
		p.CreatedAt = old.CreatedAt
	}
	e, err := upsertedEvent(p)
	if err != nil {
		return Product{}, false, err
	}
	s.products[id] = p
	s.changed()
	s.outbox.Add(ctx, e)
	return p, !exists, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[id]; !ok {
		return ErrNotFound
	}
	s.revision++
	e, err := deletedEvent(id, s.revision)
	if err != nil {
		return err
	}
	delete(s.products, id)
	s.changed()
	s.outbox.Add(ctx, e)
	return nil
}

// SeedIfEmpty implements Store.
func (s *MemoryStore) SeedIfEmpty(_ context.Context, products []Product) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.products) > 0 {
		return 0, nil
	}
	for _, p := range products {
		s.revision++
		p.Revision = s.revision
		s.products[p.ID] = p
	}
	s.changed()
	return len(products), nil
}

// Ping implements Store: memory always answers.
func (s *MemoryStore) Ping(context.Context) error { return nil }

func productFrom(id string, in ProductInput, at time.Time) Product {
	in = in.Normalized()
	return Product{
		ID: id, Name: in.Name, Description: in.Description, Category: in.Category,
		PriceCents: in.PriceCents, Currency: in.Currency, Image: in.Image, Stock: in.Stock,
		CreatedAt: at, UpdatedAt: at,
	}
}
