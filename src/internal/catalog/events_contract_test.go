package catalog

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Every event the catalog writes, on either store, validates against the
// AsyncAPI document, and the types it writes are the ones the document's
// send operations for the catalog name.
func TestEmittedEventsMatchTheAsyncAPIDocument(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	var documented []string
	for _, types := range doc.Sent("catalog") {
		documented = append(documented, types...)
	}
	slices.Sort(documented)
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		fill(t, s, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 5), "pan": input("Pan", "kitchen", 3000, 1)})
		reserve(t, s, uuid.NewString(), order(uuid.NewString(), line("mug", 2)))
		reserve(t, s, uuid.NewString(), order(uuid.NewString(), line("pan", 2)))
		if err := s.Delete(ctx, "pan"); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range s.pending(t) {
			raw, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Validate(raw); err != nil {
				t.Errorf("the catalog wrote an event the document does not describe: %v\n%s", err, raw)
			}
			seen[e.Type] = true
		}
		var written []string
		for eventType := range seen {
			written = append(written, eventType)
		}
		slices.Sort(written)
		if !slices.Equal(written, documented) {
			t.Errorf("the catalog wrote %v; the document's send operations for it name %v", written, documented)
		}
	})
}

// The catalog's consumer accepts every example of every type the document
// delivers on its queue, and subscribes to exactly those types.
func TestReserveConsumerAcceptsEveryExampleOfTheAsyncAPIDocument(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	store := seededMemoryStore(t)
	counter := newReservationCounter(prometheus.NewRegistry())
	subs := []mq.Subscription{reserveSubscription(store, counter), releaseSubscription(store, counter)}
	received := doc.Received("catalog")
	if len(received) != len(subs) {
		t.Fatalf("the document delivers %v to the catalog; it has %d subscriptions", received, len(subs))
	}
	before, err := store.Get(context.Background(), "books-001")
	if err != nil {
		t.Fatal(err)
	}
	for i, sub := range subs {
		types := slices.Sorted(slices.Values(sub.Types))
		if !slices.Equal(received[sub.Queue], types) {
			t.Fatalf("the document delivers %v to the catalog; it subscribes to %v on %s", received, types, sub.Queue)
		}
		for _, eventType := range types {
			for _, raw := range doc.Examples(eventType) {
				var e events.Envelope
				if err := json.Unmarshal(raw, &e); err != nil {
					t.Fatal(err)
				}
				if err := sub.Handler(context.Background(), e); err != nil {
					t.Errorf("the catalog refused the example %s: %v", raw, err)
				}
			}
		}
		want := before.Stock - 1 // reserved by the example order.created
		if i == 1 {
			want = before.Stock // released by its payment.declined and order.cancelled, once
		}
		if after, _ := store.Get(context.Background(), "books-001"); after.Stock != want {
			t.Errorf("after the examples on %s books-001 has stock %d, want %d", sub.Queue, after.Stock, want)
		}
	}
}
