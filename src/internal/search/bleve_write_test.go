package search

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/shop-platform/shop/src/internal/events"
)

// segments counts the segments a query of the embedded index has to visit.
func segments(t *testing.T, e *Embedded) int {
	t.Helper()
	r, err := e.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer func(r index.IndexReader) { _ = r.Close() }(r)
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		t.Fatalf("the embedded index reader is a %T, not a scorch snapshot", r)
	}
	return len(snap.Segments())
}

// A stream of single product changes must not leave the in-memory index
// with one segment per change (queries slow down with every segment), and
// merging must keep every product's latest version and facets and no
// deleted one.
func TestEmbeddedCompactsSingleWritesAndKeepsTheLatestVersions(t *testing.T) {
	const products = 100
	var initial []events.Product
	for i := range products {
		initial = append(initial, product(fmt.Sprintf("p-%03d", i), fmt.Sprintf("Lamp %03d", i), "office", 1000, 1, ""))
	}
	e := rebuiltEmbedded(t, initial)
	ctx := context.Background()
	if n := segments(t, e); n != 1 {
		t.Fatalf("a rebuilt index has %d segments, want 1", n)
	}
	// The bulk segment, then tiers each holding more than mergeFactor times
	// the products of the next: for 100 products at most 1, >4, >16, >64.
	const maxSegments = 5
	// 200 single writes: every product renamed twice, the first ten deleted.
	for round := range 2 {
		for i := range products {
			name := fmt.Sprintf("Chair %03d round %d", i, round)
			category := []string{"office", "living"}[round]
			if err := e.Upsert(ctx, DocFrom(product(fmt.Sprintf("p-%03d", i), name, category, 1000+int64(round)*5000, 1, ""))); err != nil {
				t.Fatal(err)
			}
			if n := segments(t, e); n > maxSegments {
				t.Fatalf("after %d single writes the index has %d segments, want at most %d", round*products+i+1, n, maxSegments)
			}
		}
	}
	for i := range 10 {
		if err := e.Delete(ctx, fmt.Sprintf("p-%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	env := contractEnv{backend: e, t: t}
	if res := env.search(map[string]string{"q": "lamp"}); res.Total != 0 {
		t.Errorf("lamp found %d products, all were renamed", res.Total)
	}
	res := env.search(map[string]string{"q": "round", "page_size": "100"})
	if res.Total != products-10 {
		t.Errorf("round found %d products, want %d", res.Total, products-10)
	}
	if want := []CategoryCount{{Value: "living", Count: products - 10}}; !slices.Equal(res.Facets.Category, want) {
		t.Errorf("category facets = %v, want %v", res.Facets.Category, want)
	}
	if got := res.Facets.Price[2]; got.From != 5000 || got.Count != products-10 {
		t.Errorf("price facet from 5000 = %+v, want every product (%d)", got, products-10)
	}
	for _, h := range res.Hits {
		var i int
		if _, err := fmt.Sscanf(h.ID, "p-%03d", &i); err != nil || i < 10 {
			t.Errorf("round found %s, which was deleted", h.ID)
		}
		if want := fmt.Sprintf("Chair %03d round 1", i); h.Name != want {
			t.Errorf("%s is named %q, want its latest name %q", h.ID, h.Name, want)
		}
	}
}
