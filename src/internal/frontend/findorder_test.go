package frontend_test

import (
	"net/http"
	"strings"
	"testing"
)

// placeOrder checks out the shopper's cart and returns the order page.
func placeOrder(t *testing.T, s *shopper) page {
	t.Helper()
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	placed := s.post("/checkout", checkoutFields())
	wantStatus(t, placed, http.StatusSeeOther)
	return s.get(placed.header.Get("Location"))
}

func TestFindMyOrderLeadsToTheOrderByReferenceAndEmail(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	ref := orderRefPattern.FindStringSubmatch(placeOrder(t, newShopper(t, site)).body)
	if ref == nil {
		t.Fatal("the order page shows no reference")
	}
	// Another browser: no cart, no cookie, only the email and reference.
	other := newShopper(t, site)
	wantContains(t, other.get("/find-order"), `<label for="reference">Order reference</label>`)
	found := other.post("/find-order", formOf("reference", strings.ToLower(ref[1]), "email", "ADA@example.com"))
	wantStatus(t, found, http.StatusSeeOther)
	if !orderPath.MatchString(found.header.Get("Location")) {
		t.Fatalf("found order redirected to %q, want its page", found.header.Get("Location"))
	}
	wantContains(t, other.get(found.header.Get("Location")), ref[1])
}

// Whether the reference exists with another email or not at all, the
// shopper reads the same message.
func TestFindMyOrderAnswersTheSameWhetherTheReferenceExistsOrNot(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	ref := orderRefPattern.FindStringSubmatch(placeOrder(t, newShopper(t, site)).body)[1]
	s := newShopper(t, site)
	var answers []string
	for _, ref := range []string{ref, "SHP-ZZZZZZ"} {
		miss := s.post("/find-order", formOf("reference", ref, "email", "eve@example.com"))
		wantStatus(t, miss, http.StatusSeeOther)
		p := s.get(miss.header.Get("Location"))
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "We could not find an order with that reference and email")
		answers = append(answers, strings.ReplaceAll(p.body, ref, "REF"))
	}
	if answers[0] != answers[1] {
		t.Fatal("the pages for a known and an unknown reference differ")
	}
}

func TestFindMyOrderIsRateLimited(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, map[string]string{"FIND_ORDER_RATE_LIMIT": "2"})
	s := newShopper(t, site)
	for range 2 {
		wantStatus(t, s.post("/find-order", formOf("reference", "SHP-ZZZZZZ", "email", "eve@example.com")), http.StatusSeeOther)
	}
	p := s.post("/find-order", formOf("reference", "SHP-ZZZZZZ", "email", "eve@example.com"))
	wantStatus(t, p, http.StatusTooManyRequests)
	wantContains(t, p, "Please wait a minute")
}
