package search

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// The search service's consumer accepts every example of every type the
// document delivers on its per-replica queue, in the document's order
// (the product is indexed, then removed), and subscribes to exactly those
// types.
func TestIndexerAcceptsEveryExampleOfTheAsyncAPIDocument(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	ix, index := newTestIndexer(t, newFakeCatalog(t, nil))
	sub := ix.Subscription()
	received := doc.Received("search")
	types := slices.Sorted(slices.Values(sub.Types))
	if len(received) != 1 || !slices.Equal(received["search.products.{replica}"], types) || !sub.PerReplica ||
		!strings.HasPrefix("search.products.{replica}", sub.Queue+".") {
		t.Fatalf("the document delivers %v to search; it subscribes to %v on %s (per replica: %v)", received, types, sub.Queue, sub.PerReplica)
	}
	apply := func(eventType string) {
		for _, raw := range doc.Examples(eventType) {
			var e events.Envelope
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			if err := sub.Handler(context.Background(), e); err != nil {
				t.Errorf("search refused the example %s: %v", raw, err)
			}
		}
	}
	apply(events.ProductUpserted)
	if n, _ := index.Count(context.Background()); n != 1 {
		t.Fatalf("after the product.upserted example the index holds %d products, want 1", n)
	}
	apply(events.ProductDeleted)
	if n, _ := index.Count(context.Background()); n != 0 {
		t.Fatalf("after the product.deleted example the index holds %d products, want 0", n)
	}
}
