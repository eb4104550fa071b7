package catalog

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/shop-platform/shop/src/internal/events"
)

func input(name, category string, price int64, stock int) ProductInput {
	return ProductInput{Name: name, Description: "About " + name, Category: category, PriceCents: price, Currency: "USD", Image: "/img/x.svg", Stock: stock}
}

// fill upserts products and returns them by id.
func fill(t *testing.T, s Store, inputs map[string]ProductInput) {
	t.Helper()
	for id, in := range inputs {
		if _, _, err := s.Upsert(context.Background(), id, in); err != nil {
			t.Fatalf("upsert %s: %v", id, err)
		}
	}
}

func ids(items []Product) []string {
	out := make([]string, len(items))
	for i, p := range items {
		out[i] = p.ID
	}
	return out
}

func TestStoreUpsertGetAndEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		created, isNew, err := s.Upsert(ctx, "mug-1", input("  Blue Mug ", "kitchen", 1250, 4))
		if err != nil || !isNew {
			t.Fatalf("first upsert: created=%v err=%v", isNew, err)
		}
		if created.Name != "Blue Mug" || created.PriceCents != 1250 || created.CreatedAt.IsZero() || !created.CreatedAt.Equal(created.UpdatedAt) {
			t.Fatalf("created product = %+v", created)
		}
		got, err := s.Get(ctx, "mug-1")
		if err != nil || got != created {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, created)
		}

		updated, isNew, err := s.Upsert(ctx, "mug-1", input("Blue Mug", "kitchen", 999, 0))
		if err != nil || isNew {
			t.Fatalf("second upsert: created=%v err=%v", isNew, err)
		}
		if updated.PriceCents != 999 || updated.Stock != 0 || !updated.CreatedAt.Equal(created.CreatedAt) || updated.UpdatedAt.Before(created.UpdatedAt) {
			t.Fatalf("updated product = %+v (created %+v)", updated, created)
		}

		pending := s.pending(t)
		if len(pending) != 2 {
			t.Fatalf("outbox holds %d events, want 2 (one per change)", len(pending))
		}
		var payload events.Product
		if err := pending[1].Decode(&payload); err != nil {
			t.Fatal(err)
		}
		if pending[1].Type != events.ProductUpserted || pending[1].Source != Source || payload.ID != "mug-1" || payload.PriceCents != 999 {
			t.Fatalf("second event = %+v payload %+v", pending[1], payload)
		}
		if pending[0].ID == pending[1].ID {
			t.Fatal("two events share an id")
		}
	})
}

func TestStoreDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		fill(t, s, map[string]ProductInput{"lamp": input("Lamp", "home", 3000, 1)})
		if err := s.Delete(ctx, "lamp"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "lamp"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "lamp"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
		pending := s.pending(t)
		if len(pending) != 2 || pending[1].Type != events.ProductDeleted {
			t.Fatalf("events = %d, last %q; want upserted then one deleted", len(pending), pending[len(pending)-1].Type)
		}
		var payload events.ProductRemoved
		if err := pending[1].Decode(&payload); err != nil || payload.ID != "lamp" {
			t.Fatalf("deleted payload = %+v, %v", payload, err)
		}
	})
}

func TestStoreListFiltersSortsAndPages(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		fill(t, s, map[string]ProductInput{
			"a": input("apple Peeler", "Kitchen", 500, 3),
			"b": input("Banana Stand", "kitchen", 1500, 0),
			"c": input("Cherry Pitter", "kitchen", 1000, 7),
			"d": input("Desk Lamp", "office", 2500, 2),
			"e": input("100% Cotton Sheet", "bedding", 4000, 1),
			"f": input("Under_score Mat", "bedding", 1000, 5),
		})
		all := Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}
		cases := []struct {
			name  string
			query func(q Query) Query
			want  []string
			total int
		}{
			{"by name, case-insensitive", func(q Query) Query { return q }, []string{"e", "a", "b", "c", "d", "f"}, 6},
			{"by name descending", func(q Query) Query { q.Sort = SortNameDesc; return q }, []string{"f", "d", "c", "b", "a", "e"}, 6},
			{"by price, ties by id", func(q Query) Query { q.Sort = SortPrice; return q }, []string{"a", "c", "f", "b", "d", "e"}, 6},
			{"by price descending", func(q Query) Query { q.Sort = SortPriceDesc; return q }, []string{"e", "d", "b", "c", "f", "a"}, 6},
			{"category ignores case", func(q Query) Query { q.Category = "KITCHEN"; return q }, []string{"a", "b", "c"}, 3},
			{"text in name or description", func(q Query) Query { q.Text = "lamp"; return q }, []string{"d"}, 1},
			{"text with % is literal", func(q Query) Query { q.Text = "100%"; return q }, []string{"e"}, 1},
			{"text with _ is literal", func(q Query) Query { q.Text = "r_s"; return q }, []string{"f"}, 1},
			{"price range inclusive", func(q Query) Query { q.MinPrice, q.MaxPrice = 1000, 2500; return q }, []string{"b", "c", "d", "f"}, 4},
			{"in stock only", func(q Query) Query { q.InStock = true; q.Category = "kitchen"; return q }, []string{"a", "c"}, 2},
			{"second page", func(q Query) Query { q.PageSize, q.Page = 4, 2; return q }, []string{"d", "f"}, 6},
			{"past the last page", func(q Query) Query { q.PageSize, q.Page = 4, 3; return q }, []string{}, 6},
			{"no match", func(q Query) Query { q.Text = "zebra"; return q }, []string{}, 0},
		}
		for _, tc := range cases {
			q := tc.query(all)
			page, err := s.List(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if fmt.Sprint(ids(page.Items)) != fmt.Sprint(tc.want) || page.Total != tc.total || page.Page != q.Page || page.PageSize != q.PageSize {
				t.Errorf("%s: got %v total %d (page %d/%d), want %v total %d", tc.name, ids(page.Items), page.Total, page.Page, page.PageSize, tc.want, tc.total)
			}
		}
	})
}

func TestStoreCategories(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		fill(t, s, map[string]ProductInput{
			"a": input("A", "toys", 1, 1), "b": input("B", "books", 1, 1), "c": input("C", "toys", 1, 1),
		})
		got, err := s.Categories(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[{books 1} {toys 2}]" {
			t.Fatalf("categories = %v", got)
		}
	})
}

func TestStoreSeedsOnlyWhenEmpty(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		seed, err := SeedProducts()
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.SeedIfEmpty(ctx, seed)
		if err != nil || n != len(seed) {
			t.Fatalf("first seed: %d, %v; want %d", n, err, len(seed))
		}
		n, err = s.SeedIfEmpty(ctx, seed)
		if err != nil || n != 0 {
			t.Fatalf("second seed inserted %d (%v), want 0", n, err)
		}
		page, err := s.List(ctx, Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 1})
		if err != nil || page.Total != len(seed) {
			t.Fatalf("total after seed = %d, %v", page.Total, err)
		}
		got, err := s.Get(ctx, seed[7].ID)
		want := seed[7]
		want.Revision = got.Revision // the store's to give
		if err != nil || got != want || got.Revision <= 0 {
			t.Fatalf("seeded product = %+v, %v; want %+v with a revision", got, err, seed[7])
		}
		if len(s.pending(t)) != 0 {
			t.Fatal("seeding recorded events; consumers rebuild from the catalog instead")
		}
	})
}

// Every write gives the product a revision above all before it, carried in
// its event; a deletion takes one of its own, and a product created again
// after it moves on from there. Search orders events by these, not clocks.
func TestRevisionsRiseWithEveryWrite(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		var last int64
		rising := func(what string, rev int64) {
			t.Helper()
			if rev <= last {
				t.Fatalf("%s: revision %d, not above %d", what, rev, last)
			}
			last = rev
		}
		for _, step := range []struct{ id, name string }{{"lamp", "Lamp"}, {"lamp", "Desk Lamp"}, {"fan", "Fan"}} {
			p, _, err := s.Upsert(ctx, step.id, input(step.name, "home", 1000, 5))
			if err != nil {
				t.Fatal(err)
			}
			rising("upsert "+step.id, p.Revision)
			if got, err := s.Get(ctx, step.id); err != nil || got.Revision != p.Revision {
				t.Fatalf("get %s: revision %d (%v), want %d", step.id, got.Revision, err, p.Revision)
			}
		}
		if err := s.Delete(ctx, "lamp"); err != nil {
			t.Fatal(err)
		}
		pending := s.pending(t)
		var removed events.ProductRemoved
		if err := pending[len(pending)-1].Decode(&removed); err != nil || removed.ID != "lamp" {
			t.Fatalf("last event %+v (%v), want lamp's deletion", pending[len(pending)-1], err)
		}
		rising("delete lamp", removed.Revision)
		p, _, err := s.Upsert(ctx, "lamp", input("Lamp", "home", 1000, 5))
		if err != nil {
			t.Fatal(err)
		}
		rising("lamp created again", p.Revision)
		var announced events.Product
		pending = s.pending(t)
		if err := pending[len(pending)-1].Decode(&announced); err != nil || announced.Revision != p.Revision {
			t.Fatalf("event revision %d (%v), want the stored %d", announced.Revision, err, p.Revision)
		}
	})
}

// A text query counts its matches up to TextTotalCap, or to one past the
// end of its page when deeper, and flags the total as a lower bound past that;
// filters without text count exactly. Paging on while page*size < total
// reaches the last match and stops there.
func TestStoreCountsTextMatchesUpToACap(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		const mugs, lamps = TextTotalCap + 50, 60
		products := make([]Product, 0, mugs+lamps)
		at := now()
		for i := range mugs + lamps {
			name := fmt.Sprintf("Mug %04d", i)
			if i >= mugs {
				name = fmt.Sprintf("Lamp %04d", i)
			}
			products = append(products, Product{ID: fmt.Sprintf("p-%04d", i), Name: name, Description: "About it",
				Category: "home", PriceCents: 100, Currency: "USD", Image: "/img/x.svg", Stock: 1, CreatedAt: at, UpdatedAt: at})
		}
		if _, err := s.SeedIfEmpty(ctx, products); err != nil {
			t.Fatal(err)
		}
		text := func(q string, page int) Query {
			return Query{Text: q, MaxPrice: -1, Sort: SortName, Page: page, PageSize: 20}
		}
		cases := []struct {
			name   string
			query  Query
			items  int
			total  int
			capped bool
		}{
			{"more matches than the cap", text("mug", 1), 20, TextTotalCap, true},
			{"a page ending past the cap counts to its end", text("mug", 52), 20, 52*20 + 1, true},
			{"the page holding the last match is exact", text("mug", 53), 10, mugs, false},
			{"past the last page is exact", text("mug", 54), 0, mugs, false},
			{"fewer matches than the cap", text("lamp", 1), 20, lamps, false},
			{"no text counts exactly", Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}, 20, mugs + lamps, false},
		}
		for _, tc := range cases {
			page, err := s.List(ctx, tc.query)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(page.Items) != tc.items || page.Total != tc.total || page.TotalCapped != tc.capped {
				t.Errorf("%s: %d items, total %d (capped %v); want %d items, total %d (capped %v)",
					tc.name, len(page.Items), page.Total, page.TotalCapped, tc.items, tc.total, tc.capped)
			}
		}
		seen := 0
		for n := 1; ; n++ {
			page, err := s.List(ctx, text("mug", n))
			if err != nil {
				t.Fatal(err)
			}
			seen += len(page.Items)
			if n*20 >= page.Total {
				break
			}
		}
		if seen != mugs {
			t.Errorf("paging by the total reached %d matches, want %d", seen, mugs)
		}
	})
}
