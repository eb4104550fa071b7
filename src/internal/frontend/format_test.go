package frontend

import (
	"fmt"
	"net/url"
	"regexp"
	"testing"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		cents    int64
		currency string
		want     string
	}{
		{0, "USD", "$0.00"},
		{5, "USD", "$0.05"},
		{1999, "USD", "$19.99"},
		{123456789, "USD", "$1,234,567.89"},
		{100000, "EUR", "€1,000.00"},
		{-250, "GBP", "-£2.50"},
		{1500, "JPY", "1,500 JPY"},
		{995, "CHF", "9.95 CHF"},
	} {
		if got := formatMoney(tc.cents, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", tc.cents, tc.currency, got, tc.want)
		}
	}
}

func TestHighlightKeepsOnlyMarkTags(t *testing.T) {
	got := string(highlight(`<mark>Mug</mark> <script>alert(1)</script> & co`))
	want := `<mark>Mug</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; co`
	if got != want {
		t.Fatalf("highlight = %q, want %q", got, want)
	}
}

func TestHighlightDoesNotEscapeTwice(t *testing.T) {
	got := string(highlight(`Salt &amp; <mark>Pepper</mark> Mill`))
	if want := `Salt &amp; <mark>Pepper</mark> Mill`; got != want {
		t.Fatalf("highlight = %q, want %q", got, want)
	}
}

func TestCartSetCapsAndRemoves(t *testing.T) {
	var c Cart
	c.Set("a-1", 2, true)
	c.Set("a-1", 98, true)
	c.Set("b-2", 1, true)
	if c.Count() != 100 || c.Lines[0].Quantity != maxQuantity {
		t.Fatalf("cart %+v: want a-1 capped at %d plus one b-2", c, maxQuantity)
	}
	c.Set("a-1", 0, false)
	if len(c.Lines) != 1 || c.Lines[0].ProductID != "b-2" {
		t.Fatalf("cart %+v: want only b-2 left", c)
	}
	for i := range maxCartLines + 5 {
		c.Set("p-"+string(rune('a'+i%26))+string(rune('a'+i/26)), 1, true)
	}
	if len(c.Lines) != maxCartLines {
		t.Fatalf("cart has %d lines, want at most %d", len(c.Lines), maxCartLines)
	}
}

func TestOrderRejectionsGoNextToTheFieldTheyName(t *testing.T) {
	f := checkoutForm{Errors: map[string]string{}}
	f.attachProblem(&apiError{Status: 400, Code: "invalid_field", Message: "customer.email: must be a plain email address like name@example.com"})
	if got := f.Errors["email"]; got != "Must be a plain email address like name@example.com." {
		t.Fatalf("email error %q", got)
	}
	g := checkoutForm{Errors: map[string]string{}}
	g.attachProblem(&apiError{Status: 400, Code: "invalid_field", Message: "items[0].quantity: must be between 1 and 100, got 0"})
	if len(g.Errors) != 0 || g.Problem != "We could not place your order: items[0].quantity: must be between 1 and 100, got 0" {
		t.Fatalf("an error about no field must go above the form, got %+v", g)
	}
}

func TestFacetLinksNarrowAndWiden(t *testing.T) {
	var res SearchResult
	from, to := int64(2500), int64(5000)
	res.Facets.Category = []FacetValue{{Value: "coffee and tea", Count: 3}}
	res.Facets.Price = []PriceRange{{From: &from, To: &to, Count: 2}, {From: &to, Count: 1}}
	filters := url.Values{"q": {"mug"}, "category": {"kitchenware"}}
	active, cats, prices := facetLinks(filters, res)
	if len(active) != 1 || active[0].URL != "/search?q=mug" || active[0].Label != "Category: Kitchenware" {
		t.Fatalf("active filters %+v: want one removable category filter", active)
	}
	if cats[0].URL != "/search?category=coffee+and+tea&q=mug" || cats[0].Label != "Coffee and Tea" || cats[0].Count != 3 {
		t.Fatalf("category facet %+v", cats[0])
	}
	// The facet's upper bound is exclusive: $50.00 itself is not in it.
	if prices[0].URL != "/search?category=kitchenware&max_price=4999&min_price=2500&q=mug" || prices[0].Label != "$25.00 – $50.00" {
		t.Fatalf("price facet %+v", prices[0])
	}
	if prices[1].URL != "/search?category=kitchenware&min_price=5000&q=mug" || prices[1].Label != "$50.00 and up" {
		t.Fatalf("open price facet %+v", prices[1])
	}
}

func TestOrderRefIsShortStableAndSpread(t *testing.T) {
	pattern := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)
	seen := map[string]string{}
	for i := range 2000 {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		ref := orderRef(id)
		if !pattern.MatchString(ref) {
			t.Fatalf("reference %q of %s is not two groups of four Crockford characters", ref, id)
		}
		if ref != orderRef(id) {
			t.Fatalf("the reference of %s changes between calls", id)
		}
		if other, dup := seen[ref]; dup {
			t.Fatalf("orders %s and %s share the reference %s", other, id, ref)
		}
		seen[ref] = id
	}
}
