package catalog

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// MemoryStore is the embedded store `make run` uses: products in a map,
// events in an in-memory outbox, one lock for both so a change and its event
// are recorded together.
type MemoryStore struct {
	mu       sync.RWMutex
	products map[string]Product
	outbox   *outbox.Memory
}

// NewMemoryStore returns an empty store that records its events in box.
func NewMemoryStore(box *outbox.Memory) *MemoryStore {
	return &MemoryStore{products: map[string]Product{}, outbox: box}
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, q Query) (Page, error) {
	s.mu.RLock()
	matched := make([]Product, 0, len(s.products))
	for _, p := range s.products {
		if q.matches(p) {
			matched = append(matched, p)
		}
	}
	s.mu.RUnlock()

	slices.SortFunc(matched, compareBy(q.Sort))
	page := Page{Items: []Product{}, Total: len(matched), Page: q.Page, PageSize: q.PageSize}
	if off := q.Offset(); off < len(matched) {
		page.Items = matched[off:min(off+q.PageSize, len(matched))]
	}
	return page, nil
}

// matches applies the filters the way the SQL of PostgresStore does.
func (q Query) matches(p Product) bool {
	if q.Category != "" && !strings.EqualFold(p.Category, q.Category) {
		return false
	}
	if q.Text != "" {
		text := strings.ToLower(q.Text)
		if !strings.Contains(strings.ToLower(p.Name), text) && !strings.Contains(strings.ToLower(p.Description), text) {
			return false
		}
	}
	if p.PriceCents < q.MinPrice || (q.MaxPrice >= 0 && p.PriceCents > q.MaxPrice) {
		return false
	}
	return !q.InStock || p.Stock > 0
}

// compareBy orders products by the sort key, then by id so pages are stable.
func compareBy(sort string) func(a, b Product) int {
	return func(a, b Product) int {
		var c int
		switch sort {
		case SortNameDesc:
			c = -cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		case SortPrice:
			c = cmp.Compare(a.PriceCents, b.PriceCents)
		case SortPriceDesc:
			c = -cmp.Compare(a.PriceCents, b.PriceCents)
		case SortNewest:
			c = -a.UpdatedAt.Compare(b.UpdatedAt)
		default:
			c = cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
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
	s.mu.RLock()
	counts := map[string]int{}
	for _, p := range s.products {
		counts[p.Category]++
	}
	s.mu.RUnlock()
	list := make([]Category, 0, len(counts))
	for name, n := range counts {
		list = append(list, Category{Name: name, Count: n})
	}
	slices.SortFunc(list, func(a, b Category) int { return cmp.Compare(a.Name, b.Name) })
	return list, nil
}

// Upsert implements Store.
func (s *MemoryStore) Upsert(_ context.Context, id string, in ProductInput) (Product, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.products[id]
	p := productFrom(id, in, now())
	if exists {
		p.CreatedAt = old.CreatedAt
	}
	e, err := upsertedEvent(p)
	if err != nil {
		return Product{}, false, err
	}
	s.products[id] = p
	s.outbox.Add(e)
	return p, !exists, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.products[id]; !ok {
		return ErrNotFound
	}
	e, err := deletedEvent(id)
	if err != nil {
		return err
	}
	delete(s.products, id)
	s.outbox.Add(e)
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
		s.products[p.ID] = p
	}
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
