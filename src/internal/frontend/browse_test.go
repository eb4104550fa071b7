package frontend_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestHomeListsCategoriesAndProductsWithPrices(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, `href="/category/audio-equipment"`, "Audio Equipment", "Featured products",
		"360 products", `rel="next"`, "Page 1 of 30")
	if !regexMoney.MatchString(p.body) {
		t.Fatalf("no price formatted like $1,234.56 on the home page")
	}
	next := s.get("/?page=2")
	wantStatus(t, next, http.StatusOK)
	wantContains(t, next, "Page 2 of 30", `rel="prev"`)
}

func TestSecurityHeadersOnPages(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	p := newShopper(t, site).get("/")
	for header, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
	} {
		if got := p.header.Get(header); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", header, got, want)
		}
	}
}

// Browsing sets no cookie, a page with a form (the product's add to cart)
// included: the cross-site check needs no token, so a cached page is the
// same bytes for every shopper.
func TestBrowsingSetsNoCookieAndSharesPages(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, startSearch(t, catalogURL), deadURL(t)}, map[string]string{"BACKEND_CACHE_TTL": "1m"})
	first, second := newShopper(t, site), newShopper(t, site)
	for _, path := range []string{"/", "/category/books", "/search?q=table", "/product/kitchenware-007"} {
		a, b := first.get(path), second.get(path)
		wantStatus(t, a, http.StatusOK)
		if c := append(a.header.Values("Set-Cookie"), b.header.Values("Set-Cookie")...); len(c) > 0 {
			t.Errorf("GET %s set cookies %q", path, c)
		}
		if a.body != b.body {
			t.Errorf("GET %s differs between two shoppers", path)
		}
	}
	wantContains(t, first.get("/product/kitchenware-007"), `action="/cart/add"`)
}

func TestCategoryPageShowsOnlyThatCategory(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/category/coffee-and-tea?sort=price")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "<h1 id=\"heading\">Coffee and Tea</h1>", "30 products", `aria-current="page"`)
	if n := strings.Count(p.body, `<a href="/product/coffee-and-tea-`); n != 12 {
		t.Fatalf("want 12 coffee-and-tea products on the first page, got %d", n)
	}
	if strings.Contains(p.body, `<a href="/product/kitchenware-`) {
		t.Fatal("a kitchenware product is listed under coffee and tea")
	}
	missing := s.get("/category/no-such-category")
	wantStatus(t, missing, http.StatusNotFound)
	wantContains(t, missing, "Page not found", "that category")
}

func TestProductPageAndUnknownProduct(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/product/kitchenware-007")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, `action="/cart/add"`, `name="product_id" value="kitchenware-007"`, `<label for="quantity">`,
		`alt="`, `href="/category/kitchenware"`)
	for _, path := range []string{"/product/kitchenware-999", "/product/NOT_AN_ID", "/no/such/page"} {
		nf := s.get(path)
		wantStatus(t, nf, http.StatusNotFound)
		wantContains(t, nf, "Page not found", "Back to the shop")
		if ct := nf.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Fatalf("%s: 404 page is %q, want HTML", path, ct)
		}
	}
}

func TestProductImagesAreServedWithPlaceholderFallback(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	known := s.get("/static/products/books.svg")
	unknown := s.get("/static/products/new-category.svg")
	placeholder := s.get("/static/products/placeholder.svg")
	for _, p := range []page{known, unknown} {
		wantStatus(t, p, http.StatusOK)
		if ct := p.header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Fatalf("content type %q, want image/svg+xml", ct)
		}
	}
	if unknown.body != placeholder.body || known.body == placeholder.body {
		t.Fatal("unknown images must get the placeholder and known ones their own image")
	}
	wantStatus(t, s.get("/static/style.css"), http.StatusOK)
	wantStatus(t, s.get("/static/app.js"), http.StatusOK)
}

func TestCatalogDownIsA503PageAndNotReady(t *testing.T) {
	site := startFrontend(t, backendURLs{deadURL(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, path := range []string{"/", "/product/kitchenware-007", "/category/books"} {
		p := s.get(path)
		wantStatus(t, p, http.StatusServiceUnavailable)
		wantContains(t, p, "<h1>We&#39;ll be right back</h1>", "catalog")
	}
	ready := s.get("/ready")
	wantStatus(t, ready, http.StatusServiceUnavailable)
	wantContains(t, ready, `"catalog"`)
	wantStatus(t, s.get("/health"), http.StatusOK)
}

func TestBreakerOpensAfterRepeatedFailures(t *testing.T) {
	site := startFrontend(t, backendURLs{deadURL(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	// Each page tries the catalog three times (two retries): two pages make
	// six failures in a row, past the breaker's five.
	s.get("/")
	s.get("/")
	m := s.get("/metrics")
	wantContains(t, m, `shop_frontend_backend_breaker_open{backend="catalog"} 1`,
		`shop_frontend_backend_request_seconds_count{backend="catalog",outcome="breaker_open"}`)
	wantStatus(t, s.get("/"), http.StatusServiceUnavailable)
}

func TestMetricsRecordPageRenderLatency(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	s.get("/")
	s.get("/product/nope-1")
	m := s.get("/metrics")
	wantContains(t, m, `shop_frontend_page_render_seconds_count{page="home",status="200"} 1`,
		`shop_frontend_page_render_seconds_count{page="error",status="404"} 1`)
}

func TestPagesStayUnder100KB(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	s.post("/cart/add", formOf("product_id", "books-001", "quantity", "2"))
	for _, path := range []string{"/", "/category/books", "/product/books-001", "/cart", "/checkout", "/static/style.css", "/static/app.js"} {
		p := s.get(path)
		wantStatus(t, p, http.StatusOK)
		if len(p.body) > 100_000 {
			t.Errorf("%s is %d bytes, over 100 KB", path, len(p.body))
		}
	}
}

func TestCachedPagesStillShowEachShoppersOwnCart(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, map[string]string{"BACKEND_CACHE_TTL": "1m"})
	alice, bob := newShopper(t, site), newShopper(t, site)
	wantStatus(t, alice.post("/cart/add", formOf("product_id", "books-001", "quantity", "3")), http.StatusSeeOther)
	for _, path := range []string{"/", "/category/books", "/", "/category/books"} {
		wantContains(t, alice.get(path), `data-testid="cart-count">3<`)
		wantContains(t, bob.get(path), `data-testid="cart-count">0<`)
	}
}

func TestSearchDownTheShopStillBrowses(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/search?q=mug")
	wantStatus(t, p, http.StatusServiceUnavailable)
	wantContains(t, p, "Search is unavailable", `href="/category/kitchenware"`, `value="mug"`)
	wantStatus(t, s.get("/"), http.StatusOK)
	wantStatus(t, s.get("/product/kitchenware-007"), http.StatusOK)
	suggest := s.get("/suggest?q=mu")
	wantStatus(t, suggest, http.StatusOK)
	if strings.TrimSpace(suggest.body) != `{"suggestions":[]}` {
		t.Fatalf("suggest with search down answered %s, want an empty list", suggest.body)
	}
	wantStatus(t, s.get("/ready"), http.StatusOK)
}

func TestFeaturedIsTheNewestInStockOfEachCategory(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	// The newest product of books sells out: the selection skips it.
	var newest struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	resp, err := http.Get(cat + "/catalog?category=books&sort=-updated&page_size=2")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&newest); err != nil || len(newest.Items) != 2 {
		t.Fatalf("reading the newest books: %v", err)
	}
	_ = resp.Body.Close()
	setStock(t, cat, newest.Items[0].ID, 0)

	home := newShopper(t, site).get("/")
	wantStatus(t, home, http.StatusOK)
	section := regexp.MustCompile(`(?s)data-testid="featured">(.*?)</section>`).FindStringSubmatch(home.body)
	if section == nil {
		t.Fatalf("no featured section on the home page:\n%s", home.body)
	}
	ids := regexp.MustCompile(`<a href="/product/([a-z0-9-]+)">`).FindAllStringSubmatch(section[1], -1)
	if len(ids) != 12 {
		t.Fatalf("%d featured products, want one from each of the 12 categories", len(ids))
	}
	seen := map[string]bool{}
	for _, m := range ids {
		p := catalogProduct(t, cat, m[1])
		category := p["category"].(string)
		if seen[category] || p["stock"].(float64) == 0 {
			t.Fatalf("featured %s: a second pick from %s, or out of stock (%v)", m[1], category, p["stock"])
		}
		seen[category] = true
	}
	if !seen["books"] || !strings.Contains(section[1], `/product/`+newest.Items[1].ID+`"`) ||
		strings.Contains(section[1], `/product/`+newest.Items[0].ID+`"`) {
		t.Fatalf("the books pick is not the newest book in stock (%s):\n%s", newest.Items[1].ID, section[1])
	}
	// Later pages list all products, without the selection.
	if p := newShopper(t, site).get("/?page=2"); strings.Contains(p.body, `data-testid="featured"`) {
		t.Fatal("the featured selection repeats on page 2")
	}
}
