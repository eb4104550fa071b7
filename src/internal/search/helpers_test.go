package search

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
)

// fakeCatalog serves GET /catalog pages the way the catalog service does,
// from a list the test controls, and can fail or stall on demand.
type fakeCatalog struct {
	*httptest.Server
	mu       sync.Mutex
	products []events.Product
	failures int           // answer 503 this many more times
	gate     chan struct{} // when set, page 2 and later wait for it to close
	requests atomic.Int32
}

func newFakeCatalog(t *testing.T, products []events.Product) *fakeCatalog {
	f := &fakeCatalog{products: products}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCatalog) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if r.URL.Path != "/catalog" {
		http.NotFound(w, r)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	f.mu.Lock()
	gate := f.gate
	if f.failures > 0 {
		f.failures--
		f.mu.Unlock()
		http.Error(w, `{"error":{"code":"unavailable","message":"database down"}}`, http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	if gate != nil && page > 1 {
		<-gate
	}
	f.mu.Lock()
	all := append([]events.Product(nil), f.products...)
	f.mu.Unlock()
	if page < 1 || size < 1 || size > 100 {
		http.Error(w, `{"error":{"code":"invalid_page","message":"bad page"}}`, http.StatusBadRequest)
		return
	}
	from, to := min((page-1)*size, len(all)), min(page*size, len(all))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"items": all[from:to], "total": len(all), "page": page, "page_size": size})
}

func (f *fakeCatalog) set(products []events.Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.products = products
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newTestIndexer is an indexer over a fresh embedded index reading from cat.
func newTestIndexer(t *testing.T, cat *fakeCatalog) (*Indexer, *Embedded) {
	t.Helper()
	b, err := NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	m := newMetrics(prometheus.NewRegistry(), b)
	return NewIndexer(b, NewCatalogClient(cat.URL, 2*time.Second, nil), quietLogger(), m, 0), b
}

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func upserted(t *testing.T, p events.Product) events.Envelope {
	t.Helper()
	e, err := events.New("catalog", events.ProductUpserted, p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func deleted(t *testing.T, id string) events.Envelope {
	t.Helper()
	e, err := events.New("catalog", events.ProductDeleted, events.ProductRemoved{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
