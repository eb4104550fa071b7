package frontend_test

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReservedAndUnknownProductIDsAre404s(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, id := range []string{"categories", "kitchenware-999", "-leading-dash"} {
		p := s.get("/product/" + id)
		wantStatus(t, p, http.StatusNotFound)
		wantContains(t, p, "Page not found", "We could not find that product")
		if strings.Contains(p.body, `action="/cart/add"`) {
			t.Fatalf("/product/%s offers an add-to-cart form for a product that does not exist", id)
		}
	}
}

func TestAddingAnUnknownProductSaysSoAndLeavesTheCart(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, id := range []string{"categories", "kitchenware-999"} {
		p := s.post("/cart/add", formOf("product_id", id, "quantity", "1"))
		wantStatus(t, p, http.StatusNotFound)
		wantContains(t, p, "We could not find that product")
	}
	cart := s.get("/cart")
	wantContains(t, cart, `data-testid="cart-count">0<`, "Your cart is empty")
	if strings.Contains(cart.body, "out of stock") {
		t.Fatal("the cart reports a nameless product out of stock")
	}
	soldOut := s.get("/cart?soldout=categories")
	if strings.Contains(soldOut.body, " is out of stock right now") {
		t.Fatal("the cart's sold-out notice names a reserved id as a product")
	}
}

var canonicalPattern = regexp.MustCompile(`<link rel="canonical" href="([^"]+)">`)

func canonicalOf(t *testing.T, p page) string {
	t.Helper()
	m := canonicalPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no canonical link on the page:\n%.500s", p.body)
	}
	return html.UnescapeString(m[1])
}

func TestEveryPageHasACanonicalLinkWithoutSortOrFilters(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil)
	s := newShopper(t, site)
	for path, want := range map[string]string{
		"/":                    site + "/",
		"/?page=2&sort=-price": site + "/?page=2",
		"/category/books?sort=price&utm_source=x": site + "/category/books",
		"/product/kitchenware-007":                site + "/product/kitchenware-007",
		"/search?q=kettle&category=appliances":    site + "/search?q=kettle",
		"/cart":                                   site + "/cart",
		"/no/such/page":                           site + "/no/such/page",
	} {
		if got := canonicalOf(t, s.get(path)); got != want {
			t.Errorf("%s: canonical %q, want %q", path, got, want)
		}
	}
}

func TestCanonicalLinksUsePublicURL(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)},
		map[string]string{"PUBLIC_URL": "https://shop.example.com/"})
	s := newShopper(t, site)
	if got := canonicalOf(t, s.get("/category/books")); got != "https://shop.example.com/category/books" {
		t.Fatalf("canonical %q, want the public address", got)
	}
	wantContains(t, s.get("/robots.txt"), "Sitemap: https://shop.example.com/sitemap.xml")
}

func TestRobotsKeepsCrawlersOutOfShopperPages(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	p := newShopper(t, site).get("/robots.txt")
	wantStatus(t, p, http.StatusOK)
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("robots.txt is %q, want text/plain", ct)
	}
	wantContains(t, p, "User-agent: *", "Disallow: /cart\n", "Disallow: /checkout\n", "Disallow: /orders/\n",
		"Sitemap: "+site+"/sitemap.xml")
}

func TestSitemapListsHomeCategoriesAndEveryProduct(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	p := newShopper(t, site).get("/sitemap.xml")
	wantStatus(t, p, http.StatusOK)
	var set struct {
		XMLName xml.Name
		URLs    []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(p.body), &set); err != nil {
		t.Fatalf("sitemap.xml is not XML: %v", err)
	}
	if set.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || set.XMLName.Local != "urlset" {
		t.Fatalf("root element %v, want the sitemaps.org urlset", set.XMLName)
	}
	counts := map[string]int{}
	seen := map[string]bool{}
	for _, u := range set.URLs {
		if seen[u.Loc] {
			t.Fatalf("%s listed twice", u.Loc)
		}
		seen[u.Loc] = true
		rest, ok := strings.CutPrefix(u.Loc, site+"/")
		if !ok {
			t.Fatalf("sitemap URL %q is not an absolute URL of the shop", u.Loc)
		}
		kind, _, _ := strings.Cut(rest, "/")
		counts[kind]++
		if kind == "product" {
			if _, err := time.Parse(time.RFC3339, u.LastMod); err != nil {
				t.Fatalf("%s: lastmod %q is not a W3C datetime", u.Loc, u.LastMod)
			}
		}
	}
	if counts[""] != 1 || counts["category"] != 12 || counts["product"] != 360 {
		t.Fatalf("sitemap lists %v, want the home page, 12 categories and 360 products", counts)
	}
	if !seen[site+"/category/audio-equipment"] || !seen[site+"/product/kitchenware-007"] {
		t.Fatal("sitemap lacks a known category or product")
	}
	for _, u := range set.URLs {
		if r := newShopper(t, site).get(strings.TrimPrefix(u.Loc, site)); r.status != http.StatusOK {
			t.Fatalf("sitemap lists %s, which answers %d", u.Loc, r.status)
		}
		if strings.Contains(u.Loc, "/product/") {
			break // one product page stands for the rest
		}
	}
}

var jsonLDPattern = regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)

func TestProductPageHasSchemaOrgProductData(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	p := newShopper(t, site).get("/product/kitchenware-007")
	m := jsonLDPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("the product page has no JSON-LD")
	}
	var ld struct {
		Context string `json:"@context"`
		Type    string `json:"@type"`
		Name    string `json:"name"`
		SKU     string `json:"sku"`
		Image   string `json:"image"`
		URL     string `json:"url"`
		Offers  struct {
			Type          string `json:"@type"`
			Price         string `json:"price"`
			PriceCurrency string `json:"priceCurrency"`
			Availability  string `json:"availability"`
		} `json:"offers"`
	}
	if err := json.Unmarshal([]byte(m[1]), &ld); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, m[1])
	}
	cents := priceOf(t, cat, "kitchenware-007")
	wantPrice := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	if ld.Context != "https://schema.org" || ld.Type != "Product" || ld.SKU != "kitchenware-007" ||
		ld.Name != "Harbor & Pine Instant-Read Meat Thermometer" || ld.URL != site+"/product/kitchenware-007" {
		t.Fatalf("JSON-LD product %+v", ld)
	}
	if !strings.HasPrefix(ld.Image, site+"/static/products/") || !strings.HasSuffix(ld.Image, ".svg") {
		t.Fatalf("JSON-LD image %q, want an absolute URL of the product's image", ld.Image)
	}
	if ld.Offers.Type != "Offer" || ld.Offers.Price != wantPrice || ld.Offers.PriceCurrency != "USD" ||
		ld.Offers.Availability != "https://schema.org/InStock" {
		t.Fatalf("JSON-LD offer %+v, want %s USD in stock", ld.Offers, wantPrice)
	}
}

func TestCartSaysWhichProductWasJustAddedOnce(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	add := s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "2"))
	wantStatus(t, add, http.StatusSeeOther)
	if loc := add.header.Get("Location"); loc != "/cart" {
		t.Fatalf("after adding, redirected to %q, want /cart", loc)
	}
	cart := s.get("/cart")
	wantContains(t, cart, `<p class="notice" role="status">Added “Harbor &amp; Pine Instant-Read Meat Thermometer” to your cart.</p>`)
	if again := s.get("/cart"); strings.Contains(again.body, "Added “") {
		t.Fatal("reloading the cart repeats the added notice")
	}
	other := newShopper(t, site)
	other.setCookie("added", "kitchenware-007")
	if p := other.get("/cart"); strings.Contains(p.body, "Added “") {
		t.Fatal("the cart says a product was added that is not in it")
	}
}

var gridPricePattern = regexp.MustCompile(`<span class="price">\$([\d,]+)\.(\d{2})</span>`)

// gridPrices are the prices of a result grid, in cents, in page order.
func gridPrices(t *testing.T, p page) []int64 {
	t.Helper()
	var out []int64
	for _, m := range gridPricePattern.FindAllStringSubmatch(p.body, -1) {
		var whole, cents int64
		if _, err := fmt.Sscan(strings.ReplaceAll(m[1], ",", ""), &whole); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscan(m[2], &cents); err != nil {
			t.Fatal(err)
		}
		out = append(out, whole*100+cents)
	}
	return out
}

func TestSearchResultsSortByPriceAndKeepTheSort(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, sort := range []string{"price", "-price"} {
		p := s.get("/search?q=steel&sort=" + sort)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<option value="`+sort+`" selected>`, `<input type="hidden" name="q" value="steel">`)
		prices := gridPrices(t, p)
		if len(prices) < 5 {
			t.Fatalf("q=steel shows %d results, want a page to sort", len(prices))
		}
		if !slices.IsSortedFunc(prices, func(a, b int64) int {
			if sort == "-price" {
				return cmp.Compare(b, a)
			}
			return cmp.Compare(a, b)
		}) {
			t.Fatalf("q=steel&sort=%s lists prices %v, not in that order", sort, prices)
		}
		if !strings.Contains(p.body, "sort="+url.QueryEscape(sort)) {
			t.Fatalf("the facet and page links of a sorted search drop the sort")
		}
	}
	relevance := s.get("/search?q=steel&sort=bogus")
	wantStatus(t, relevance, http.StatusOK)
	wantContains(t, relevance, `<option value="" selected>Best match</option>`)
}
