package frontend_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stockNow reads a product's stock from the catalog.
func stockNow(t *testing.T, catalogURL, id string) int {
	t.Helper()
	return int(catalogProduct(t, catalogURL, id)["stock"].(float64))
}

// waitForStock polls the catalog until a product's stock is want: the
// release after a decline or a cancellation follows the order's status
// through the event bus.
func waitForStock(t *testing.T, catalogURL, id string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for stockNow(t, catalogURL, id) != want {
		if time.Now().After(deadline) {
			t.Fatalf("stock of %s is %d, want %d (released)", id, stockNow(t, catalogURL, id), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expiryError is the message next to the two expiry inputs, which both
// point at it.
func expiryError(p page) string {
	if strings.Count(p.body, `aria-describedby="exp-error"`) != 2 {
		return ""
	}
	m := regexp.MustCompile(`<p class="field-error" id="exp-error">([^<]*)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestCheckoutShowsCardErrorsNextToTheirFields(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	for _, tc := range []struct{ field, value, errorOn, mention string }{
		{"card_number", "4242 4242 4242 4241", "card_number", "not a valid card number"},
		{"card_number", "4242-abcd", "card_number", "only digits"},
		{"exp_month", "13", "exp", "1 to 12"},
		{"exp_year", "2020", "exp", "expired"},
		{"cvc", "12", "cvc", "3 or 4 digits"},
	} {
		form := checkoutFields()
		form.Set(tc.field, tc.value)
		p := s.afterCheckout(form)
		got := fieldError(t, p, tc.errorOn)
		if tc.errorOn == "exp" {
			got = expiryError(p)
		}
		if !strings.Contains(got, tc.mention) {
			t.Errorf("%s %q: the error next to %s is %q, want it to say %q", tc.field, tc.value, tc.errorOn, got, tc.mention)
		}
		if strings.Contains(p.body, `value="4242`) || strings.Contains(p.body, `value="123"`) {
			t.Errorf("the page sends the card number back:\n%s", p.body)
		}
	}
}

// A declined card rejects the order with a reason the shopper can act on,
// puts the reserved stock back and keeps the cart; another card then pays.
func TestDeclinedCardKeepsTheCartAndAnotherCardPays(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	before := stockNow(t, catalogURL, "books-001")
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "2")), http.StatusSeeOther)
	form := checkoutFields()
	form.Set("card_number", "4000 0000 0000 0002")
	placed := s.post("/checkout", form)
	wantStatus(t, placed, http.StatusSeeOther)
	p := waitForStatus(t, s, placed.header.Get("Location"))
	wantContains(t, p, "status-rejected", "Your card was declined: try another card.", "Your cart is kept")
	waitForStock(t, catalogURL, "books-001", before)
	if got := quantityInCart(t, s.get("/cart"), "books-001"); got != "2" {
		t.Fatalf("after the decline the cart holds %s, want the 2 the shopper chose", got)
	}

	form = checkoutFields()
	placed = s.post("/checkout", form)
	wantStatus(t, placed, http.StatusSeeOther)
	p = waitForStatus(t, s, placed.header.Get("Location"))
	wantContains(t, p, "status-confirmed", "visa ending 4242", `data-testid="cart-count">0<`)
	if got := stockNow(t, catalogURL, "books-001"); got != before-2 {
		t.Fatalf("stock %d after paying with another card, want %d", got, before-2)
	}
}

func TestConfirmedOrderCanBeCancelledFromItsPage(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	before := stockNow(t, catalogURL, "kitchenware-007")
	wantStatus(t, s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "1")), http.StatusSeeOther)
	placed := s.post("/checkout", checkoutFields())
	wantStatus(t, placed, http.StatusSeeOther)
	path := placed.header.Get("Location")
	wantContains(t, waitForStatus(t, s, path), "status-confirmed", `data-testid="cancel-order"`)

	cancelled := s.post(path+"/cancel", formOf())
	wantStatus(t, cancelled, http.StatusSeeOther)
	p := s.get(path)
	wantContains(t, p, `data-testid="order-cancelled"`, "refunded")
	if strings.Contains(p.body, `data-testid="cancel-order"`) {
		t.Fatal("a cancelled order still offers to cancel it")
	}
	waitForStock(t, catalogURL, "kitchenware-007", before)
}
