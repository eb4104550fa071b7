package frontend_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/search"
)

// startSearch runs the search service on its embedded index, filled from
// the catalog at catalogURL, and waits until the initial load is done.
func startSearch(t testing.TB, catalogURL string) string {
	t.Helper()
	cfg, err := platform.LoadConfig[search.Config](map[string]string{"CATALOG_URL": catalogURL})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := search.Open(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := mq.NewMemory(mq.Options{Logger: quietLogger()})
	if err := svc.Subscribe(ctx, bus); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, bus) }()
	searchURL := serveAPI(t, svc.App)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("search stopped with %v", err)
		}
		_ = bus.Close()
		_ = svc.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(searchURL + "/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return searchURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("search never became ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSearchWithATypoFindsTheProduct(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, startSearch(t, catalogURL), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/search?q=thermometr")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "Results for “thermometr”", `href="/product/kitchenware-007"`, "<mark>", "Category</h2>", "Price</h2>")

	// A category facet narrows the results and shows as a removable filter.
	narrowed := s.get("/search?category=kitchenware&q=thermometr")
	wantStatus(t, narrowed, http.StatusOK)
	wantContains(t, narrowed, "Category: Kitchenware", `href="/search?q=thermometr"`, `href="/product/kitchenware-007"`)
	if strings.Contains(narrowed.body, `<a href="/product/books-`) {
		t.Fatal("the kitchenware filter still lists books")
	}
}

func TestSearchPagesAndEscapesTheQuery(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, startSearch(t, catalogURL), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
	wantStatus(t, p, http.StatusOK)
	if strings.Contains(p.body, "<script>alert(1)") {
		t.Fatal("the query is echoed unescaped")
	}
	wantContains(t, p, "&lt;script&gt;alert(1)&lt;/script&gt;")
	many := s.get("/search?q=the")
	wantStatus(t, many, http.StatusOK)
	if strings.Contains(many.body, `rel="next"`) {
		wantContains(t, s.get("/search?q=the&page=2"), "Page 2 of", `rel="prev"`)
	}
}

func TestAutocompleteSuggestsProductNames(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, startSearch(t, catalogURL), deadURL(t)}, nil)
	p := newShopper(t, site).get("/suggest?q=therm")
	wantStatus(t, p, http.StatusOK)
	var body struct {
		Suggestions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"suggestions"`
	}
	if err := json.Unmarshal([]byte(p.body), &body); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range body.Suggestions {
		found = found || s.ID == "kitchenware-007"
	}
	if !found {
		t.Fatalf("suggestions for %q do not include the Harbor & Pine Instant-Read Meat Thermometer: %+v", "therm", body.Suggestions)
	}
}
