package frontend_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var regexMoney = regexp.MustCompile(`\$\d{1,3}(,\d{3})*\.\d{2}`)

func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// priceOf asks the catalog for a product's price in cents.
func priceOf(t *testing.T, catalogURL, id string) int64 {
	t.Helper()
	resp, err := http.Get(catalogURL + "/catalog/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var p struct {
		PriceCents int64 `json:"price_cents"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p.PriceCents
}

// money formats US cents the way a shopper reads them: $1,234.56.
func money(cents int64) string {
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("$%s.%02d", whole, cents%100)
}

func cartTotal(t *testing.T, p page) string {
	t.Helper()
	m := regexp.MustCompile(`data-testid="cart-total">([^<]+)<`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no cart total on the page:\n%s", p.body)
	}
	return m[1]
}

func TestCartAddUpdateRemove(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	add := s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "2"))
	wantStatus(t, add, http.StatusSeeOther)
	if loc := add.header.Get("Location"); loc != "/cart" {
		t.Fatalf("after adding, redirected to %q, want /cart", loc)
	}
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)

	cart := s.get("/cart")
	wantStatus(t, cart, http.StatusOK)
	wantContains(t, cart, `data-testid="cart-count">4<`, `value="2"`, "/product/kitchenware-007", "/product/books-001")
	kitchen := priceOf(t, cat, "kitchenware-007")
	books := priceOf(t, cat, "books-001")
	if got, want := cartTotal(t, cart), money(2*kitchen+2*books); got != want {
		t.Fatalf("cart total %s, want %s", got, want)
	}

	wantStatus(t, s.post("/cart/update", formOf("product_id", "kitchenware-007", "quantity", "5")), http.StatusSeeOther)
	cart = s.get("/cart")
	if got, want := cartTotal(t, cart), money(5*kitchen+2*books); got != want {
		t.Fatalf("after update, cart total %s, want %s", got, want)
	}
	wantStatus(t, s.post("/cart/remove", formOf("product_id", "books-001")), http.StatusSeeOther)
	cart = s.get("/cart")
	wantContains(t, cart, `data-testid="cart-count">5<`)
	if strings.Contains(cart.body, "/product/books-001") {
		t.Fatal("removed product is still in the cart")
	}
	wantStatus(t, s.post("/cart/update", formOf("product_id", "kitchenware-007", "quantity", "0")), http.StatusSeeOther)
	wantContains(t, s.get("/cart"), "Your cart is empty")
}

func TestCartRejectsBadInput(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	unknown := s.post("/cart/add", formOf("product_id", "kitchenware-999", "quantity", "1"))
	wantStatus(t, unknown, http.StatusNotFound)
	wantContains(t, unknown, "Page not found")
	for _, q := range []string{"0", "-3", "100", "two"} {
		bad := s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", q))
		wantStatus(t, bad, http.StatusBadRequest)
		wantContains(t, bad, "Quantity must be a whole number from 1 to 99")
	}
	wantContains(t, s.get("/cart"), "Your cart is empty")
}

func TestTamperedCartCookieIsAnEmptyCart(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "3")), http.StatusSeeOther)
	good := s.cookie("cart")
	if good == "" {
		t.Fatal("no cart cookie after adding")
	}
	// Flip one character of the signed value.
	tampered := []byte(good)
	i := len(tampered) / 2
	tampered[i] = map[bool]byte{true: 'A', false: 'B'}[tampered[i] != 'A']
	for _, value := range []string{string(tampered), "not-a-cookie", "%%%"} {
		s.setCookie("cart", value)
		p := s.get("/cart")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Your cart is empty", `data-testid="cart-count">0<`)
	}
}

// A form posted from another site is refused with a 403 page and changes
// nothing, whichever header says so: Sec-Fetch-Site (browsers since 2023)
// or, without it, an Origin other than the shop. Posts from the shop's own
// pages, and from clients that are no browser (no header), go through.
func TestFormPostFromAnotherSiteIs403(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	add := formOf("product_id", "kitchenware-007", "quantity", "1")
	for _, header := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Sec-Fetch-Site": {"same-site"}}, // a sibling subdomain is another site to the shop
		{"Origin": {"http://attacker.example"}},
		{"Sec-Fetch-Site": {"cross-site"}, "Origin": {s.base}},
	} {
		for _, path := range []string{"/cart/add", "/checkout", "/find-order", "/cart/remove"} {
			p := s.doWith(http.MethodPost, path, add, header)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "This form came from another site") {
				t.Errorf("POST %s with %v: %d, want the 403 page", path, header, p.status)
			}
		}
	}
	wantContains(t, s.get("/cart"), "Your cart is empty")
	for name, header := range map[string]http.Header{
		"same-origin":          {"Sec-Fetch-Site": {"same-origin"}},
		"typed by the shopper": {"Sec-Fetch-Site": {"none"}},
		"our origin":           {"Origin": {s.base}},
		"no browser":           {},
	} {
		if p := s.doWith(http.MethodPost, "/cart/add", add, header); p.status != http.StatusSeeOther {
			t.Errorf("%s: POST /cart/add answered %d, want 303", name, p.status)
		}
	}
	wantContains(t, s.get("/cart"), `data-testid="cart-count">4<`)
}
