package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// memStoreOf returns a memory store holding n generated products in a
// dozen categories, with prices, stock and update times spread out.
func memStoreOf(tb testing.TB, n int) *MemoryStore {
	tb.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 1))
	words := []string{"Walnut", "desk", "Lamp", "mug", "Linen", "sheet", "Cast", "iron", "Pan", "wool", "Sock", "tea"}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	products := make([]Product, n)
	for i := range products {
		products[i] = Product{
			ID:          fmt.Sprintf("p-%06d", i),
			Name:        words[r.IntN(len(words))] + " " + words[r.IntN(len(words))],
			Description: "A " + strings.ToLower(words[r.IntN(len(words))]) + " for every day",
			Category:    fmt.Sprintf("Category-%d", r.IntN(12)),
			PriceCents:  int64(r.IntN(20_000)), Currency: "USD", Stock: r.IntN(4),
			CreatedAt: at, UpdatedAt: at.Add(time.Duration(r.IntN(1_000_000)) * time.Second),
		}
	}
	s := NewMemoryStore(&outbox.Memory{})
	if _, err := s.SeedIfEmpty(context.Background(), products); err != nil {
		tb.Fatal(err)
	}
	return s
}

// referenceList is the listing done the slow, obvious way: filter every
// product, sort, cut the page.
func referenceList(s *MemoryStore, q Query) Page {
	var matched []Product
	text := strings.ToLower(q.Text)
	for _, p := range s.products {
		e := &memEntry{Product: p, name: strings.ToLower(p.Name), description: strings.ToLower(p.Description)}
		if (q.Category == "" || strings.EqualFold(p.Category, q.Category)) && q.matches(e, text) {
			matched = append(matched, p)
		}
	}
	slices.SortFunc(matched, func(a, b Product) int {
		ka, kb := strings.ToLower(a.Name), strings.ToLower(b.Name)
		var c int
		switch q.Sort {
		case SortNameDesc:
			c = -cmp.Compare(ka, kb)
		case SortPrice:
			c = cmp.Compare(a.PriceCents, b.PriceCents)
		case SortPriceDesc:
			c = cmp.Compare(b.PriceCents, a.PriceCents)
		case SortNewest:
			c = b.UpdatedAt.Compare(a.UpdatedAt)
		default:
			c = cmp.Compare(ka, kb)
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	})
	page := Page{Items: []Product{}, Total: len(matched), Page: q.Page, PageSize: q.PageSize}
	if off := q.Offset(); off < len(matched) {
		page.Items = matched[off:min(off+q.PageSize, len(matched))]
	}
	return page
}

// randomQuery draws a listing with any mix of filters, order and page.
func randomQuery(r *rand.Rand) Query {
	q := Query{MaxPrice: -1, Sort: sortOrders[r.IntN(len(sortOrders))], Page: 1 + r.IntN(4), PageSize: 1 + r.IntN(30)}
	if r.IntN(2) == 0 {
		q.Category = fmt.Sprintf("CATEGORY-%d", r.IntN(13)) // 12 is no category
	}
	if r.IntN(3) == 0 {
		q.Text = []string{"lamp", "DESK", "iron pan", "every", "zebra", "a"}[r.IntN(6)]
	}
	if r.IntN(3) == 0 {
		q.MinPrice = int64(r.IntN(10_000))
	}
	if r.IntN(3) == 0 {
		q.MaxPrice = int64(r.IntN(20_000))
	}
	q.InStock = r.IntN(3) == 0
	return q
}

func samePage(a, b Page) bool {
	return a.Total == b.Total && a.Page == b.Page && a.PageSize == b.PageSize && slices.EqualFunc(a.Items, b.Items, func(x, y Product) bool { return x == y })
}

// The sorted view answers every listing exactly as filtering and sorting
// all products would, and keeps doing so through upserts, deletes and stock
// reservations (which move products in the -updated order and in and out of
// in_stock).
func TestMemoryStoreListMatchesFullSortThroughWrites(t *testing.T) {
	ctx := context.Background()
	s := memStoreOf(t, 500)
	r := rand.New(rand.NewPCG(7, 7))
	check := func(step string) {
		t.Helper()
		for range 200 {
			q := randomQuery(r)
			got, err := s.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if want := referenceList(s, q); !samePage(got, want) {
				t.Fatalf("after %s, %+v: got %v (total %d), want %v (total %d)", step, q, ids(got.Items), got.Total, ids(want.Items), want.Total)
			}
		}
	}
	check("seeding")
	for i := range 20 {
		id := fmt.Sprintf("p-%06d", r.IntN(500))
		switch i % 3 {
		case 0:
			if _, _, err := s.Upsert(ctx, id, input("Zany Lamp", "Category-3", int64(r.IntN(20_000)), r.IntN(3))); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := s.Delete(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
		default:
			p, err := s.Get(ctx, id)
			if err == nil && p.Stock > 0 {
				if res := reserve(t, s, uuid.NewString(), order("o", line(id, p.Stock))); !res.Reserved {
					t.Fatalf("reserving the whole stock of %s: %+v", id, res)
				}
			}
		}
		check(fmt.Sprintf("write %d", i))
	}
	cats, err := s.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range cats {
		total += c.Count
	}
	if total != len(s.products) {
		t.Fatalf("categories count %d products, the store has %d", total, len(s.products))
	}
}

// A page of a large catalog costs the page, not the catalog: an unfiltered
// or category listing allocates the same few objects whatever the number of
// products (it used to copy, sort and lower-case every product per request).
func TestMemoryStoreListCostIsPerPage(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1_000, 20_000} {
		s := memStoreOf(t, n)
		for _, sort := range sortOrders {
			for _, category := range []string{"", "category-5"} {
				q := Query{Category: category, MaxPrice: -1, Sort: sort, Page: 3, PageSize: 20}
				allocs := testing.AllocsPerRun(50, func() {
					if _, err := s.List(ctx, q); err != nil {
						t.Fatal(err)
					}
				})
				if allocs > 3 {
					t.Errorf("%d products, sort %s, category %q: %.0f allocations per listing, want at most 3", n, sort, category, allocs)
				}
			}
		}
	}
}

// BenchmarkMemoryStoreList shows how a listing's cost grows with the
// catalog: flat for unfiltered and category pages, linear (no sort) for
// text and price filters.
func BenchmarkMemoryStoreList(b *testing.B) {
	ctx := context.Background()
	queries := map[string]Query{
		"page":     {MaxPrice: -1, Sort: SortName, Page: 2, PageSize: 20},
		"category": {Category: "category-4", MaxPrice: -1, Sort: SortPriceDesc, Page: 1, PageSize: 20},
		"text":     {Text: "lamp", MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20},
		"filtered": {Category: "category-4", MinPrice: 1000, MaxPrice: 9000, InStock: true, Sort: SortNewest, Page: 1, PageSize: 20},
	}
	for _, n := range []int{1_000, 10_000, 100_000} {
		s := memStoreOf(b, n)
		s.current() // the view is built once per change, not per listing
		for _, name := range []string{"page", "category", "text", "filtered"} {
			q := queries[name]
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := s.List(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Listings running while products change get well-formed pages, and a
// listing that starts after a write sees it (run with -race: the view is
// built by readers and dropped by writers).
func TestMemoryStoreListDuringWrites(t *testing.T) {
	ctx := context.Background()
	s := memStoreOf(t, 300)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			r := rand.New(rand.NewPCG(1, 2))
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				q := randomQuery(r)
				page, err := s.List(ctx, q)
				if err != nil || len(page.Items) > q.PageSize || len(page.Items) > page.Total {
					errs <- fmt.Errorf("%+v: %d items of %d, %w", q, len(page.Items), page.Total, err)
					return
				}
			}
		}()
	}
	for i := range 300 {
		id := fmt.Sprintf("new-%03d", i)
		if _, _, err := s.Upsert(ctx, id, input("Lamp "+id, "Category-1", 100, 1)); err != nil {
			t.Fatal(err)
		}
		got, err := s.List(ctx, Query{Text: id, MaxPrice: -1, Sort: SortNewest, Page: 1, PageSize: 5})
		if err != nil || got.Total != 1 {
			t.Fatalf("a listing after upserting %s found %d of it (%v)", id, got.Total, err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
