package frontend_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// checkoutFields is a correctly filled-in checkout form.
func checkoutFields() url.Values {
	return formOf("name", "Ada Lovelace", "email", "ada@example.com", "line1", "12 Analytical Way",
		"city", "London", "postal_code", "N1 9GU", "country", "GB",
		"card_number", "4242 4242 4242 4242", "exp_month", "12", "exp_year", "2040", "cvc", "123")
}

// fieldError returns the message shown next to a field, checking that the
// field points at it for screen readers.
func fieldError(t *testing.T, p page, field string) string {
	t.Helper()
	input := regexp.MustCompile(`<(?:input|select) id="` + field + `"[^>]*>`).FindString(p.body)
	if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, `aria-describedby="`+field+`-error"`) {
		return ""
	}
	m := regexp.MustCompile(`<p class="field-error" id="` + field + `-error">([^<]*)</p>`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestCheckoutShowsValidationMessagesNextToFields(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	form := s.get("/checkout")
	wantStatus(t, form, http.StatusOK)
	wantContains(t, form, `<label for="email">Email</label>`, `name="nonce"`)

	bad := checkoutFields()
	bad.Set("email", "ada-at-example")
	bad.Set("city", "")
	bad.Set("country", "XX")
	p := s.post("/checkout", bad)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if got := fieldError(t, p, "email"); !strings.Contains(got, "email address like name@example.com") {
		t.Fatalf("email error %q", got)
	}
	if got := fieldError(t, p, "city"); got != "Enter your town or city." {
		t.Fatalf("city error %q", got)
	}
	if got := fieldError(t, p, "country"); got == "" {
		t.Fatal("no error next to the country")
	}
	if got := fieldError(t, p, "name"); got != "" {
		t.Fatalf("the good name field shows an error: %q", got)
	}
	// What the shopper typed is kept.
	wantContains(t, p, `value="ada-at-example"`, `value="Ada Lovelace"`)
}

func TestCheckoutWithOrderServiceDownKeepsTheCart(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "2")), http.StatusSeeOther)
	p := s.post("/checkout", checkoutFields())
	wantStatus(t, p, http.StatusServiceUnavailable)
	wantContains(t, p, "ordering is unavailable right now", `value="ada@example.com"`)
	wantContains(t, s.get("/cart"), `data-testid="cart-count">2<`)
}

func TestCheckoutOfAnEmptyCartGoesToTheCart(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	for _, p := range []page{s.get("/checkout"), s.post("/checkout", checkoutFields())} {
		wantStatus(t, p, http.StatusSeeOther)
		if loc := p.header.Get("Location"); loc != "/cart" {
			t.Fatalf("redirected to %q, want /cart", loc)
		}
	}
}

func TestCheckoutIsRateLimited(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, map[string]string{"CHECKOUT_RATE_LIMIT": "3"})
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	bad := checkoutFields()
	bad.Set("email", "")
	for range 3 {
		wantStatus(t, s.post("/checkout", bad), http.StatusUnprocessableEntity)
	}
	p := s.post("/checkout", bad)
	wantStatus(t, p, http.StatusTooManyRequests)
	wantContains(t, p, "Please wait a minute")
	// Browsing is not limited.
	wantStatus(t, s.get("/cart"), http.StatusOK)
}

func TestOrderPageForUnknownOrder(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	p := s.get("/orders/not..valid")
	wantStatus(t, p, http.StatusNotFound)
	down := s.get("/orders/abc-123")
	wantStatus(t, down, http.StatusServiceUnavailable)
	wantContains(t, down, "order")
}
