package frontend_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// adminToken is the catalog admin token the test services run with.
const adminToken = "test-admin-token"

// catalogProduct reads a product from the catalog as a shopper's browser
// never does: straight from the service.
func catalogProduct(t *testing.T, catalogURL, id string) map[string]any {
	t.Helper()
	resp, err := http.Get(catalogURL + "/catalog/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// setStock changes a product's stock through the catalog's admin API, as a
// warehouse update (or another shopper's order) does.
func setStock(t *testing.T, catalogURL, id string, stock int) {
	t.Helper()
	p := catalogProduct(t, catalogURL, id)
	in := map[string]any{"stock": stock}
	for _, k := range []string{"name", "description", "category", "price_cents", "currency", "image"} {
		in[k] = p[k]
	}
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPut, catalogURL+"/catalog/"+id, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the stock of %s: catalog answered %d", id, resp.StatusCode)
	}
}

func quantityInCart(t *testing.T, p page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="qty-` + id + `"[^>]*value="(\d+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no quantity field for %s in the cart:\n%s", id, p.body)
	}
	return m[1]
}

func TestQuantitiesAreCappedAtTheStock(t *testing.T) {
	cat := startCatalog(t)
	setStock(t, cat, "appliances-002", 3)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)

	wantContains(t, s.get("/product/appliances-002"), `id="quantity" name="quantity" type="number" min="1" max="3"`)
	add := s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "50"))
	wantStatus(t, add, http.StatusSeeOther)
	capped := s.get(add.header.Get("Location"))
	if got := quantityInCart(t, capped, "appliances-002"); got != "3" {
		t.Fatalf("after adding 50 of a product with 3 in stock the cart holds %s, want 3", got)
	}
	name := catalogProduct(t, cat, "appliances-002")["name"].(string)
	wantContains(t, capped, "We have only 3 of "+name+" in stock, so your cart holds 3.", `max="3"`)

	// Adding more, or updating past the stock, stays at the stock.
	add = s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "1"))
	if got := quantityInCart(t, s.get(add.header.Get("Location")), "appliances-002"); got != "3" {
		t.Fatalf("adding one more to a full line gives %s, want 3", got)
	}
	s.post("/cart/update", formOf("product_id", "appliances-002", "quantity", "7"))
	if got := quantityInCart(t, s.get("/cart"), "appliances-002"); got != "3" {
		t.Fatalf("updating to 7 gives %s, want 3", got)
	}

	setStock(t, cat, "appliances-002", 0)
	s.post("/cart/remove", formOf("product_id", "appliances-002"))
	sold := s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "1"))
	wantStatus(t, sold, http.StatusSeeOther)
	cart := s.get(sold.header.Get("Location"))
	wantContains(t, cart, name+" is out of stock right now, so it was not added to your cart.")
	if strings.Contains(cart.body, `id="qty-appliances-002"`) {
		t.Fatal("a sold-out product went into the cart")
	}
}

func TestCartAndCheckoutWarnWhenStockDrops(t *testing.T) {
	cat := startCatalog(t)
	setStock(t, cat, "appliances-002", 3)
	site := startFrontend(t, backendURLs{cat, deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "3")), http.StatusSeeOther)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	cart := s.get("/cart")
	if strings.Contains(cart.body, "stock-warning") {
		t.Fatalf("the cart warns about stock while there is enough:\n%s", cart.body)
	}

	setStock(t, cat, "appliances-002", 1)
	cart = s.get("/cart")
	wantStatus(t, cart, http.StatusOK)
	wantContains(t, cart, "Only 1 left in stock: lower the quantity to check out.",
		"not in stock in the quantity in your cart")
	if n := strings.Count(cart.body, `data-testid="stock-warning"`); n != 1 {
		t.Fatalf("%d stock warnings in the cart, want 1 (the line with enough stock has none)", n)
	}

	form := s.get("/checkout")
	wantStatus(t, form, http.StatusOK)
	wantContains(t, form, "Only 1 left in stock", "lower their quantity, to place your order", "disabled")
}
