package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// searchIDs asks the search service of s for q and lists the hit ids.
func (s *shopUnderTest) searchIDs(t *testing.T, q string) []string {
	t.Helper()
	status, body := s.do(t, http.MethodGet, s.search+"/search?q="+url.QueryEscape(q), nil, nil)
	var res struct {
		Hits []struct {
			ID string `json:"id"`
		} `json:"hits"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &res) != nil {
		t.Fatalf("search %q: %d %s", q, status, body)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

// first is the best hit for q, or "".
func (s *shopUnderTest) first(t *testing.T, q string) string {
	t.Helper()
	if ids := s.searchIDs(t, q); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func eventuallyFound(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCatalogChangesReachSearchThroughRabbitMQ changes a product through
// the catalog's admin API, on PostgreSQL, and finds the change through the
// search service: outbox, relay, RabbitMQ, the search indexer's queue.
func TestCatalogChangesReachSearchThroughRabbitMQ(t *testing.T) {
	s := startRealShop(t)
	eventuallyFound(t, "search is ready", func() bool {
		status, _ := s.do(t, http.MethodGet, s.search+"/ready", nil, nil)
		return status == http.StatusOK
	})
	admin := map[string]string{"Authorization": "Bearer " + s.token}
	put := func(name string) {
		status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/e2e-teapot", map[string]any{
			"name": name, "category": "kitchen", "price_cents": 3200, "currency": "USD", "stock": 4,
		}, admin)
		if status/100 != 2 {
			t.Fatalf("PUT /catalog/e2e-teapot: %d %s", status, body)
		}
	}

	// The seeded catalog may hold near misses (fuzzy matches): the
	// product must come first, and be absent once renamed or deleted.
	put("Glacier Teapot")
	eventuallyFound(t, "the new product is found", func() bool { return s.first(t, "glacier teapot") == "e2e-teapot" })
	put("Ember Teapot")
	eventuallyFound(t, "the renamed product is found by its new name only", func() bool {
		return s.first(t, "ember teapot") == "e2e-teapot" && !slices.Contains(s.searchIDs(t, "glacier"), "e2e-teapot")
	})
	if status, body := s.do(t, http.MethodDelete, s.catalog+"/catalog/e2e-teapot", nil, admin); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	eventuallyFound(t, "the deleted product is gone", func() bool {
		return !slices.Contains(s.searchIDs(t, "ember teapot"), "e2e-teapot")
	})
}

// TestCatalogChangesReachSearchInProcess is the same journey on the
// embedded default `make run` uses: memory store, in-process bus, bleve.
func TestCatalogChangesReachSearchInProcess(t *testing.T) {
	catalogPort, searchPort := testenv.FreePort(t), testenv.FreePort(t)
	s := &shopUnderTest{
		catalog: fmt.Sprintf("http://127.0.0.1:%d", catalogPort), search: fmt.Sprintf("http://127.0.0.1:%d", searchPort),
		token: "embedded-test-token", done: make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Output
	go func() {
		s.done <- run(ctx, map[string]string{
			"CATALOG_PORT": fmt.Sprint(catalogPort), "SEARCH_PORT": fmt.Sprint(searchPort),
			"ORDER_PORT": fmt.Sprint(testenv.FreePort(t)), "PAYMENT_PORT": fmt.Sprint(testenv.FreePort(t)), "FRONTEND_PORT": fmt.Sprint(testenv.FreePort(t)),
			"HOST": "127.0.0.1", "LOG_LEVEL": "error", "ADMIN_TOKEN": s.token,
		}, &out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("shop stopped with %v\n%s", err, out.String())
		}
	})
	eventuallyFound(t, "search is ready with the seeded catalog", func() bool {
		resp, err := http.Get(s.search + "/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if ids := s.searchIDs(t, "mug"); len(ids) == 0 {
		t.Errorf("q=mug found nothing in the seeded catalog")
	}
	status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/e2e-kettle", map[string]any{
		"name": "Quartz Kettle", "category": "kitchen", "price_cents": 4500, "currency": "USD", "stock": 2,
	}, map[string]string{"Authorization": "Bearer " + s.token})
	if status/100 != 2 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	eventuallyFound(t, "the new product is found", func() bool { return s.first(t, "quartz kettle") == "e2e-kettle" })
}
