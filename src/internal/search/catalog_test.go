package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

func collect(t *testing.T, c *CatalogClient) ([]string, error) {
	t.Helper()
	var got []string
	_, err := c.Each(context.Background(), func(p events.Product) error {
		got = append(got, p.ID)
		return nil
	})
	return got, err
}

func TestCatalogClientPagesThroughEveryProduct(t *testing.T) {
	var products []events.Product
	for i := range 250 {
		products = append(products, product(fmt.Sprintf("p-%03d", i), "Thing", "misc", 100, 1, ""))
	}
	cat := newFakeCatalog(t, products)
	got, err := collect(t, NewCatalogClient(cat.URL, time.Second, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 || got[0] != "p-000" || got[249] != "p-249" {
		t.Errorf("read %d products (%v...), want all 250 in order", len(got), got[:min(3, len(got))])
	}
	if n := cat.requests.Load(); n != 3 {
		t.Errorf("%d page requests, want 3 pages of 100", n)
	}
}

func TestCatalogClientRetriesAnUnavailableCatalog(t *testing.T) {
	cat := newFakeCatalog(t, fixture())
	cat.failures = 2
	got, err := collect(t, NewCatalogClient(cat.URL, time.Second, nil))
	if err != nil || len(got) != 20 {
		t.Fatalf("after two 503s: %d products, %v; want all 20", len(got), err)
	}
	cat.failures = 3
	if _, err := collect(t, NewCatalogClient(cat.URL, time.Second, nil)); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("after three 503s: %v, want the catalog reported unavailable", err)
	}
}

func TestCatalogClientGivesUpOnASlowCatalog(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	start := time.Now()
	_, err := collect(t, NewCatalogClient(slow.URL, 100*time.Millisecond, nil))
	if !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("slow catalog: %v, want unavailable after the timeouts", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s, want about three timeouts of 100ms plus pauses", d)
	}
}

func TestCatalogClientDoesNotRetryARefusal(t *testing.T) {
	var refused atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused.Add(1)
		http.Error(w, `{"error":{"code":"invalid_page_size"}}`, http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	_, err := collect(t, NewCatalogClient(srv.URL, time.Second, nil))
	if err == nil || errors.Is(err, platform.ErrUnavailable) || refused.Load() != 1 {
		t.Errorf("a 400 from the catalog: %v after %d requests, want one request and a plain error", err, refused.Load())
	}
}
