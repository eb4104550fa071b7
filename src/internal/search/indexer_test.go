package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

func searchIDs(t *testing.T, b Backend, text string) []string {
	t.Helper()
	q, err := ParseQuery(func(k string) string {
		return map[string]string{"q": text, "page_size": "100", "sort": "name"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return ids(res.Hits)
}

func TestHandlerAppliesProductEvents(t *testing.T) {
	ix, b := newTestIndexer(t, newFakeCatalog(t, nil))
	ctx := context.Background()
	mug := product("kitchen-1", "Coffee Mug", "kitchen", 1299, 3, "")
	if err := ix.Handle(ctx, upserted(t, mug)); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, b, "mug"); !slices.Equal(got, []string{"kitchen-1"}) {
		t.Fatalf("after upsert: %v, want kitchen-1", got)
	}
	// A redelivered event changes nothing.
	e := deleted(t, "kitchen-1")
	for range 2 {
		if err := ix.Handle(ctx, e); err != nil {
			t.Fatalf("delete (redelivered): %v", err)
		}
	}
	if got := searchIDs(t, b, "mug"); len(got) != 0 {
		t.Fatalf("after delete: %v, want nothing", got)
	}
}

// revised is p at catalog revision rev.
func revised(p events.Product, rev int64) events.Product {
	p.Revision = rev
	return p
}

// Events of one product apply in revision order, whatever the producers'
// clocks say: the newer revision was written by a replica whose clock runs
// an hour behind, and the late older one must not undo it. A deletion
// older than the upsert is skipped too.
func TestHandlerSkipsAnEventOlderThanOneAppliedByRevisionNotClock(t *testing.T) {
	ix, b := newTestIndexer(t, newFakeCatalog(t, nil))
	ctx := context.Background()
	older := upserted(t, revised(product("kitchen-1", "Coffee Mug", "kitchen", 1299, 3, ""), 7))
	newer := upserted(t, revised(product("kitchen-1", "Espresso Cup", "kitchen", 1299, 3, ""), 8))
	newer.Time = older.Time.Add(-time.Hour)
	oldDelete := mustEvent(t, events.ProductDeleted, events.ProductRemoved{ID: "kitchen-1", Revision: 6})
	for _, e := range []events.Envelope{newer, older, oldDelete} {
		if err := ix.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := searchIDs(t, b, "espresso"); !slices.Equal(got, []string{"kitchen-1"}) {
		t.Errorf("a late older event undid the newer one: q=espresso gives %v", got)
	}
	if err := ix.Handle(ctx, mustEvent(t, events.ProductDeleted, events.ProductRemoved{ID: "kitchen-1", Revision: 9})); err != nil {
		t.Fatal(err)
	}
	if err := ix.Handle(ctx, older); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, b, "mug"); len(got) != 0 {
		t.Errorf("a late upsert brought back a deleted product: q=mug gives %v", got)
	}
}

// After a rebuild the index holds the catalog's revisions: an old event a
// producer's outbox retries afterwards is stale and must not overwrite the
// product it read.
func TestAnOldEventArrivingAfterARebuildIsStale(t *testing.T) {
	cat := newFakeCatalog(t, []events.Product{revised(product("kitchen-1", "Espresso Cup", "kitchen", 1299, 3, ""), 20)})
	ix, b := newTestIndexer(t, cat)
	ctx := context.Background()
	if _, err := ix.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	retried := upserted(t, revised(product("kitchen-1", "Coffee Mug", "kitchen", 1299, 3, ""), 12))
	retried.Time = time.Now().Add(time.Hour) // its clock says nothing
	if err := ix.Handle(ctx, retried); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, b, "espresso"); !slices.Equal(got, []string{"kitchen-1"}) {
		t.Errorf("an old retried event overwrote the rebuilt product: q=espresso gives %v", got)
	}
}

// The remembered revisions are bounded: the least recently changed
// products are forgotten first.
func TestRememberedRevisionsAreBounded(t *testing.T) {
	ix, _ := newTestIndexer(t, newFakeCatalog(t, nil))
	ix.applied.Resize(10)
	for i := range 25 {
		p := revised(product(fmt.Sprintf("p-%02d", i), "Lamp", "office", 100, 1, ""), int64(i+1))
		if err := ix.Handle(context.Background(), upserted(t, p)); err != nil {
			t.Fatal(err)
		}
	}
	if n := ix.applied.Len(); n != 10 {
		t.Fatalf("%d revisions remembered, want the bound of 10", n)
	}
	if _, ok := ix.applied.Get("p-24"); !ok {
		t.Fatal("the latest product was forgotten")
	}
}

func TestHandlerDeadLettersEventsItCannotReadAtOnce(t *testing.T) {
	ix, _ := newTestIndexer(t, newFakeCatalog(t, nil))
	bus := mq.NewMemory(mq.Options{MaxAttempts: 5, RetryDelay: time.Millisecond})
	t.Cleanup(func() { _ = bus.Close() })
	var calls atomic.Int32
	sub := ix.Subscription()
	handle := sub.Handler
	sub.Handler = func(ctx context.Context, e events.Envelope) error { calls.Add(1); return handle(ctx, e) }
	ctx := context.Background()
	if err := bus.Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	bad := []events.Envelope{
		{ID: "1", Type: events.ProductUpserted, Data: []byte(`{"id": 7}`)},
		{ID: "2", Type: events.ProductUpserted, Data: []byte(`{"name": "no id"}`)},
		{ID: "3", Type: events.ProductDeleted, Data: []byte(`not json`)},
	}
	for _, e := range bad {
		if err := bus.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the bad events are dead-lettered", func() bool {
		dead, _ := bus.DeadLetters(ctx, sub.Queue)
		return len(dead) == len(bad)
	})
	if n := int(calls.Load()); n != len(bad) {
		t.Errorf("handler ran %d times for %d bad events, want each dead-lettered on its first delivery", n, len(bad))
	}
	if err := ix.Handle(ctx, events.Envelope{ID: "4", Type: events.OrderCreated, Data: []byte(`{}`)}); err != nil {
		t.Errorf("an event type search does not use: %v, want it acknowledged", err)
	}
}

func TestReindexReplaysEventsThatArriveDuringTheRebuild(t *testing.T) {
	var products []events.Product
	for i := range 150 {
		products = append(products, product(fmt.Sprintf("p-%03d", i), fmt.Sprintf("Lamp %d", i), "office", 1000, 1, ""))
	}
	cat := newFakeCatalog(t, products)
	ix, b := newTestIndexer(t, cat)
	ctx := context.Background()
	if _, err := ix.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	// Stall the next rebuild after its first page; meanwhile a product is
	// renamed, one is deleted and one is added.
	gate := make(chan struct{})
	cat.mu.Lock()
	cat.gate = gate
	cat.mu.Unlock()
	done := make(chan error, 1)
	go func() { _, err := ix.Reindex(ctx); done <- err }()
	eventually(t, "the rebuild reads page 2", func() bool { return cat.requests.Load() >= 3 })
	if _, err := ix.Reindex(ctx); !errors.Is(err, ErrReindexRunning) {
		t.Errorf("a second rebuild during one: %v, want ErrReindexRunning", err)
	}
	renamed := product("p-001", "Desk Fan", "office", 1000, 1, "")
	added := product("p-999", "Fan Heater", "office", 1000, 1, "")
	for _, e := range []events.Envelope{upserted(t, renamed), deleted(t, "p-002"), upserted(t, added)} {
		if err := ix.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := searchIDs(t, b, "fan"); !slices.Equal(got, []string{"p-001", "p-999"}) {
		t.Errorf("during the rebuild, the live index: q=fan gives %v, want the changes at once", got)
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, b, "fan"); !slices.Equal(got, []string{"p-001", "p-999"}) {
		t.Errorf("after the rebuild, q=fan gives %v, want the changes made during it kept", got)
	}
	if n, err := b.Count(ctx); err != nil || n != 150 {
		t.Errorf("after the rebuild, %d products (%v), want 150: 150 read, one deleted, one added", n, err)
	}
	if got := searchIDs(t, b, "lamp 2"); slices.Contains(got, "p-002") || !slices.Contains(got, "p-020") {
		t.Errorf("after the rebuild, q=lamp 2 gives %v: want p-020 but not p-002, deleted during the rebuild", got)
	}
	if s := ix.Status(); s.State != StateDone || s.Indexed != 150 {
		t.Errorf("status = %+v, want done with 150 indexed", s)
	}
}

func TestRunFillsAnEmptyIndexOnceTheCatalogAnswers(t *testing.T) {
	cat := newFakeCatalog(t, fixture())
	cat.failures = 4 // the first load attempt (3 tries) fails; the retry succeeds
	ix, b := newTestIndexer(t, cat)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() { ix.Run(ctx); close(stopped) }()
	if err := ix.Loaded(ctx); err == nil {
		t.Error("Loaded before the catalog answered, want an error")
	}
	eventually(t, "the index is loaded", func() bool { return ix.Loaded(ctx) == nil })
	if n, _ := b.Count(ctx); n != len(fixture()) {
		t.Errorf("indexed %d products, want %d", n, len(fixture()))
	}
	cancel()
	<-stopped
}

func TestRunLeavesAFilledIndexAlone(t *testing.T) {
	cat := newFakeCatalog(t, fixture())
	ix, b := newTestIndexer(t, cat)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := b.Upsert(ctx, DocFrom(fixture()[0])); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { ix.Run(ctx); close(stopped) }()
	eventually(t, "the index counts as loaded", func() bool { return ix.Loaded(ctx) == nil })
	if n := cat.requests.Load(); n != 0 {
		t.Errorf("the catalog was read %d times, want none for an index that has products", n)
	}
	cancel()
	<-stopped
}

func mustEvent(t *testing.T, eventType string, data any) events.Envelope {
	t.Helper()
	e, err := events.New("catalog", eventType, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A change that arrives during a rebuild but is older than what the
// rebuild read of the product is not replayed onto the new index.
func TestReindexDropsReplayedChangesOlderThanWhatItRead(t *testing.T) {
	var products []events.Product
	for i := range 150 {
		products = append(products, revised(product(fmt.Sprintf("p-%03d", i), fmt.Sprintf("Lamp %d", i), "office", 1000, 1, ""), int64(100+i)))
	}
	cat := newFakeCatalog(t, products)
	ix, b := newTestIndexer(t, cat)
	ctx := context.Background()
	if _, err := ix.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	// The catalog moved p-001 on to revision 300; its event is still on
	// the way, and an older one (revision 250) arrives during the rebuild.
	changed := slices.Clone(products)
	changed[1] = revised(product("p-001", "Desk Fan", "office", 1000, 1, ""), 300)
	cat.set(changed)
	gate := make(chan struct{})
	cat.mu.Lock()
	cat.gate = gate
	cat.mu.Unlock()
	before := cat.requests.Load()
	done := make(chan error, 1)
	go func() { _, err := ix.Reindex(ctx); done <- err }()
	eventually(t, "the rebuild reads page 2", func() bool { return cat.requests.Load() >= before+2 })
	older := revised(product("p-001", "Space Heater", "office", 1000, 1, ""), 250)
	if err := ix.Handle(ctx, upserted(t, older)); err != nil {
		t.Fatal(err)
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, b, "heater"); len(got) != 0 {
		t.Errorf("the older change was replayed over what the rebuild read: q=heater gives %v", got)
	}
	if got := searchIDs(t, b, "fan"); !slices.Equal(got, []string{"p-001"}) {
		t.Errorf("q=fan gives %v, want p-001 as the rebuild read it", got)
	}
}
