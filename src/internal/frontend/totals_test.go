package frontend_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// testID returns the text of the element with data-testid id.
func testID(t *testing.T, p page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`data-testid="` + id + `">([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no %s on the page:\n%s", id, p.body)
	}
	return m[1]
}

// The cart shows the order service's subtotal, shipping, VAT and total:
// below the free-shipping threshold, standard delivery to the US costs
// $4.99, and the US has no VAT.
func TestCartShowsSubtotalShippingTaxAndTotal(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	price := priceOf(t, catalogURL, "books-001")
	if price >= 5000 {
		t.Fatalf("books-001 costs %d: the test needs a product under the $50 free-shipping threshold", price)
	}
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	cart := s.get("/cart")
	if got := testID(t, cart, "subtotal"); got != money(price) {
		t.Fatalf("subtotal %s, want %s", got, money(price))
	}
	if got := testID(t, cart, "shipping"); got != "$4.99" {
		t.Fatalf("shipping %s, want $4.99 standard to the US", got)
	}
	if got := testID(t, cart, "tax"); got != "$0.00" {
		t.Fatalf("tax %s, want none in the US", got)
	}
	if got := testID(t, cart, "total"); got != money(price+499) {
		t.Fatalf("total %s, want %s", got, money(price+499))
	}
}

// At checkout the shopper's country and delivery choice price the order:
// express to the UK, VAT included at 20%.
func TestCheckoutPricesTheChosenDeliveryToTheChosenCountry(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	price := priceOf(t, catalogURL, "books-001")
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	form := s.get("/checkout")
	wantContains(t, form, `id="method-standard"`, `id="method-express"`, `data-testid="estimate-express">1–2 working days<`)
	express := checkoutFields()
	express.Set("method", "express")
	express.Set("action", "quote")
	p := s.afterCheckout(express)
	total := price + 2499
	tax := (total*2000*2 + 12000) / (2 * 12000)
	if got := testID(t, p, "total"); got != money(total) {
		t.Fatalf("express to the UK: total %s, want %s", got, money(total))
	}
	if got := testID(t, p, "tax"); got != money(tax) {
		t.Fatalf("express to the UK: VAT %s, want %s (20%% included)", got, money(tax))
	}
	wantContains(t, p, `value="express" checked`, "Express delivery to United Kingdom: 2–4 working days")
	if strings.Contains(p.body, "error-summary") {
		t.Fatalf("updating the totals showed errors:\n%s", p.body)
	}
}

// A sold-out line is not counted in the total, and "Place order" waits
// until the shopper removes it; an order posted anyway is not placed.
func TestSoldOutLinesAreLeftOutOfTheTotalAndBlockTheOrder(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "1")), http.StatusSeeOther)
	setStock(t, catalogURL, "appliances-002", 0)
	books := priceOf(t, catalogURL, "books-001")
	cart := s.get("/cart")
	if got := testID(t, cart, "subtotal"); got != money(books) {
		t.Fatalf("subtotal %s with a sold-out line, want %s (only the line in stock)", got, money(books))
	}
	wantContains(t, cart, "Out of stock now: remove it to check out.", "They are not counted in the total")
	form := s.get("/checkout")
	wantContains(t, form, `id="place-order" disabled`, "Remove the items that are out of stock")
	placed := s.post("/checkout", checkoutFields())
	if loc := placed.header.Get("Location"); loc != "/checkout" {
		t.Fatalf("placing with a sold-out line redirected to %q, want back to /checkout", loc)
	}
	wantContains(t, s.get("/checkout"), "not counted in the total")
	wantContains(t, s.get("/cart"), `data-testid="cart-count">2<`)
}

func TestA51stLineIsNotAddedAndTheCartSaysSo(t *testing.T) {
	catalogURL := startCatalog(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	ids := productIDs(t, catalogURL, 51)
	for _, id := range ids[:50] {
		wantStatus(t, s.post("/cart/add", formOf("product_id", id, "quantity", "1")), http.StatusSeeOther)
	}
	last := s.post("/cart/add", formOf("product_id", ids[50], "quantity", "1"))
	wantStatus(t, last, http.StatusSeeOther)
	cart := s.get(last.header.Get("Location"))
	wantContains(t, cart, "already has 50 different products, the most it can hold, so that one was not added")
	if strings.Contains(cart.body, fmt.Sprintf(`id="qty-%s"`, ids[50])) {
		t.Fatal("the 51st product went into the cart")
	}
}

// productIDs returns n ids of products in stock, from the catalog.
func productIDs(t *testing.T, catalogURL string, n int) []string {
	t.Helper()
	var ids []string
	for page := 1; len(ids) < n; page++ {
		resp, err := http.Get(fmt.Sprintf("%s/catalog?page=%d&page_size=50", catalogURL, page))
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Items []struct {
				ID    string `json:"id"`
				Stock int    `json:"stock"`
			} `json:"items"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		if err != nil || len(body.Items) == 0 {
			t.Fatalf("catalog page %d: %v, %d items; want %d products in stock", page, err, len(body.Items), n)
		}
		for _, p := range body.Items {
			if p.Stock > 0 && len(ids) < n {
				ids = append(ids, p.ID)
			}
		}
	}
	return ids
}
