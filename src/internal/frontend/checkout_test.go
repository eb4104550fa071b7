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
	p := s.afterCheckout(bad)
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
	// The summary, focused on load, links to each wrong field in the
	// form's order.
	wantContains(t, p, `id="error-summary" role="alert" tabindex="-1" autofocus`)
	links := regexp.MustCompile(`<li><a href="#([a-z_]+)">`).FindAllStringSubmatch(p.body, -1)
	if len(links) != 3 || links[0][1] != "email" || links[1][1] != "city" || links[2][1] != "country" {
		t.Fatalf("error summary links %v, want email, city, country", links)
	}
}

// afterCheckout posts the checkout form and follows its redirect back to
// the form, as a browser does after a refused order.
func (s *shopper) afterCheckout(form url.Values) page {
	s.t.Helper()
	p := s.post("/checkout", form)
	wantStatus(s.t, p, http.StatusSeeOther)
	if loc := p.header.Get("Location"); loc != "/checkout" {
		s.t.Fatalf("a refused checkout redirected to %q, want /checkout", loc)
	}
	back := s.get("/checkout")
	wantStatus(s.t, back, http.StatusOK)
	return back
}

// A refused checkout answers with a redirect (post/redirect/get): the page
// with the errors is a GET, so Back or reload never posts the form again,
// and the errors show once.
func TestCheckoutErrorsArePostRedirectGet(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	bad := checkoutFields()
	bad.Set("email", "nope")
	wantContains(t, s.afterCheckout(bad), "Enter an email address like name@example.com.")
	again := s.get("/checkout")
	if strings.Contains(again.body, "error-summary") || strings.Contains(again.body, `value="nope"`) {
		t.Fatal("the errors of the last post show again on the next visit")
	}
}

func TestCheckoutNeedsARegionAndAPhoneWhereTheCountryDoes(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	us := checkoutFields()
	us.Set("country", "US")
	if got := fieldError(t, s.afterCheckout(us), "region"); !strings.Contains(got, "state") {
		t.Fatalf("US address without a state: region error %q", got)
	}
	au := checkoutFields()
	au.Set("country", "AU")
	au.Set("region", "NSW")
	if got := fieldError(t, s.afterCheckout(au), "phone"); !strings.Contains(got, "customs") {
		t.Fatalf("Australian address without a phone: phone error %q", got)
	}
	short := checkoutFields()
	short.Set("phone", "12")
	gb := s.afterCheckout(short)
	if got := fieldError(t, gb, "phone"); got == "" {
		t.Fatal("a two-digit phone number was accepted")
	}
	if got := fieldError(t, gb, "region"); got != "" {
		t.Fatalf("a UK address without a region shows %q", got)
	}
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
		wantStatus(t, s.post("/checkout", bad), http.StatusSeeOther)
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
