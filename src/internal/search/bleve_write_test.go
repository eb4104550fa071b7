package search

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/shop-platform/shop/src/internal/events"
)

// segments counts the segments a query of the embedded index has to visit.
func segments(t testing.TB, e *Embedded) int {
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
	rebuilt := e.liveDir
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
	// Past an eighth of the catalog written, the products went into a new
	// index, built in batches as a rebuild is, and the old one is gone.
	if _, err := os.Stat(rebuilt); e.liveDir == rebuilt || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after 200 single writes the live index is still %s (%v), want a compacted new one", rebuilt, err)
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

// A rebuild larger than one write batch is written in several, and the
// new index holds every product once in its latest version: the changes
// made during the rebuild win over products written batches earlier, and
// nothing is visible before Commit.
func TestEmbeddedRebuildOverSeveralBatches(t *testing.T) {
	const n = 2*buildBatchSize + 1
	e, err := NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	build, err := e.NewBuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := build.Add(ctx, DocFrom(product(fmt.Sprintf("p-%05d", i), fmt.Sprintf("Lamp w%05d", i), "office", 1000, 1, ""))); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := e.Count(ctx); c != 0 {
		t.Fatalf("%d products are searchable before the rebuild is committed", c)
	}
	renamed := DocFrom(product("p-00000", "Chair renamed", "living", 2000, 1, ""))
	if err := build.Commit(ctx, []Change{{Doc: &renamed}, {DeleteID: "p-00001"}}); err != nil {
		t.Fatal(err)
	}
	if c, err := e.Count(ctx); err != nil || c != n-1 {
		t.Fatalf("the rebuilt index holds %d products (%v), want %d", c, err, n-1)
	}
	// Every query visits every segment: the batches' segments are merged
	// before the index goes live.
	if s := segments(t, e); s != 1 {
		t.Errorf("the rebuilt index has %d segments, want 1", s)
	}
	env := contractEnv{backend: e, t: t}
	// The top hit of a product's own word is that product (typo tolerance
	// finds its neighbours too); the renamed and the deleted product are
	// not found by their old words.
	for q, want := range map[string]string{"renamed": "p-00000", "w00002": "p-00002", fmt.Sprintf("w%05d", n-1): fmt.Sprintf("p-%05d", n-1)} {
		if res := env.search(map[string]string{"q": q}); len(res.Hits) == 0 || res.Hits[0].ID != want {
			t.Errorf("%s: top hit is not %s: %+v", q, want, res.Hits)
		}
	}
	for q, gone := range map[string]string{"w00000": "p-00000", "w00001": "p-00001"} {
		for _, h := range env.search(map[string]string{"q": q, "page_size": "100"}).Hits {
			if h.ID == gone {
				t.Errorf("%s still finds %s", q, gone)
			}
		}
	}
}

// The index's files live in a directory of their own, which a rebuild
// removes with the index it replaces, and Close with the live one: a
// search replica rebuilding every few minutes must not fill its disk.
func TestEmbeddedRemovesTheFilesOfClosedIndexes(t *testing.T) {
	e := rebuiltEmbedded(t, []events.Product{product("p-1", "Lamp", "office", 1000, 1, "")})
	first := e.liveDir
	build, err := e.NewBuild(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := build.Commit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	second := e.liveDir
	if _, err := os.Stat(first); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the replaced index's directory %s: %v, want it removed", first, err)
	}
	if _, err := os.Stat(second); err != nil {
		t.Fatalf("the live index's directory: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(second); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the closed index's directory %s: %v, want it removed", second, err)
	}
}
