package frontend_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Every page the storefront serves from its caches (backend answers and
// shared page content) over keep-alive connections is the page of its own
// URL: a cache key still pointing into Fiber's request buffer would change
// under the next request and show a shopper another page.
func TestCachedPagesBelongToTheirURLOverKeepAlive(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), deadURL(t)}, map[string]string{"BACKEND_CACHE_TTL": "1m"})

	var cats struct{ Categories []catalog.Category }
	getJSON(t, catalogURL+"/catalog/categories", &cats)
	want := map[string][]string{} // target -> product names it must show
	for _, cat := range cats.Categories {
		pages := (cat.Count + 11) / 12
		for n := 1; n <= min(pages, 3); n++ {
			var page catalog.Page
			getJSON(t, fmt.Sprintf("%s/catalog?category=%s&sort=name&page=%d&page_size=12", catalogURL, url.QueryEscape(cat.Name), n), &page)
			target := fmt.Sprintf("/category/%s?page=%d", strings.ReplaceAll(strings.ToLower(cat.Name), " ", "-"), n)
			for _, p := range page.Items {
				want[target] = append(want[target], p.Name)
				want["/product/"+url.PathEscape(p.ID)] = []string{p.Name}
			}
		}
	}
	targets := make([]string, 0, len(want))
	for target := range want {
		targets = append(targets, target)
	}
	testenv.KeepAliveRounds(t, site, 16, 4, targets, func(target string, status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d", status)
		}
		for _, name := range want[target] {
			if !strings.Contains(string(body), html.EscapeString(name)) {
				return fmt.Errorf("page does not show %q", name)
			}
		}
		return nil
	})
}

func getJSON(t *testing.T, target string, out any) {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", target, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
}
