package frontend_test

import (
	"net/http"
	"strings"
	"testing"
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
