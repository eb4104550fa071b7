package search

import (
	"context"
	"slices"
	"testing"

	"github.com/shop-platform/shop/src/internal/events"
)

// rebuiltEmbedded returns an embedded index rebuilt from products, as the
// initial load leaves it: one segment.
func rebuiltEmbedded(t *testing.T, products []events.Product) *Embedded {
	t.Helper()
	e, err := NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	build, err := e.NewBuild(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range products {
		if err := build.Add(context.Background(), DocFrom(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := build.Commit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return e
}

func hitIDs(res Result) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

// A word spelled as in a product name is taken as meant: the embedded index
// does not add the products one typo away.
func TestEmbeddedTakesAWordOfANameAsMeant(t *testing.T) {
	e := rebuiltEmbedded(t, []events.Product{
		product("boot-1", "Hiking Boot", "outdoor", 8999, 3, ""),
		product("book-1", "Hiking Book", "books", 1999, 3, ""),
	})
	env := contractEnv{backend: e, t: t}
	if got := hitIDs(env.search(map[string]string{"q": "boot"})); len(got) != 1 || got[0] != "boot-1" {
		t.Errorf("boot found %v, want only boot-1", got)
	}
	if got := hitIDs(env.search(map[string]string{"q": "bopk"})); len(got) != 1 || got[0] != "book-1" {
		t.Errorf("bopk found %v, want book-1 (one typo)", got)
	}
}

// A word that only an earlier version of a product's name held (a deleted
// document still in a segment's dictionary) is not taken as known: its
// typos are still forgiven.
func TestEmbeddedForgivesAWordOnlyAnOldNameHeld(t *testing.T) {
	// The fixture keeps the single write below from merging the whole index
	// again, which would drop the old version.
	e := rebuiltEmbedded(t, append(fixture(), product("audio-9", "Hedphones Cable", "audio", 999, 3, "")))
	if err := e.Upsert(context.Background(), DocFrom(product("audio-9", "Audio Cable", "audio", 999, 3, ""))); err != nil {
		t.Fatal(err)
	}
	env := contractEnv{backend: e, t: t}
	if got := hitIDs(env.search(map[string]string{"q": "hedphones"})); !slices.Contains(got, "audio-1") || slices.Contains(got, "audio-9") {
		t.Errorf("hedphones found %v, want audio-1 and not the renamed audio-9", got)
	}
}

// A search that arrives after the index was closed (a request racing the
// shutdown) is an error, not a crash.
func TestEmbeddedSearchAfterCloseIsAnError(t *testing.T) {
	e := rebuiltEmbedded(t, fixture())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	q, err := ParseQuery(func(k string) string { return map[string]string{"q": "headphones"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Search(context.Background(), q); err == nil {
		t.Error("search of a closed index succeeded")
	}
}
