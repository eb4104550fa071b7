package frontend

import (
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
