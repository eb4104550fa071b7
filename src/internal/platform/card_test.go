package platform

import (
	"errors"
	"testing"
	"time"
)

var cardNow = time.Date(2026, time.June, 15, 0, 0, 0, 0, time.UTC)

func TestCheckCardAcceptsTheTestCards(t *testing.T) {
	for _, n := range []string{"4242424242424242", "4000000000000002", "4000000000009995", "4000000000000119", "4000000000003220", "5555555555554444", "378282246310005"} {
		if err := CheckCard(Card{Number: n, ExpMonth: 6, ExpYear: 2026, CVC: "123"}, cardNow); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestCheckCardNamesTheWrongField(t *testing.T) {
	good := Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	cases := []struct {
		name  string
		edit  func(*Card)
		field string
	}{
		{"missing number", func(c *Card) { c.Number = "" }, "card_number"},
		{"letters", func(c *Card) { c.Number = "4242x24242424242" }, "card_number"},
		{"too short", func(c *Card) { c.Number = "42424242424" }, "card_number"},
		{"too long", func(c *Card) { c.Number = "42424242424242424242" }, "card_number"},
		{"failed Luhn", func(c *Card) { c.Number = "4242424242424241" }, "card_number"},
		{"month 13", func(c *Card) { c.ExpMonth = 13 }, "exp_month"},
		{"month 0", func(c *Card) { c.ExpMonth = 0 }, "exp_month"},
		{"expired year", func(c *Card) { c.ExpYear = 2025 }, "exp_year"},
		{"expired this year", func(c *Card) { c.ExpYear, c.ExpMonth = 2026, 5 }, "exp_month"},
		{"impossible year", func(c *Card) { c.ExpYear = 2047 }, "exp_year"},
		{"short CVC", func(c *Card) { c.CVC = "12" }, "cvc"},
		{"long CVC", func(c *Card) { c.CVC = "12345" }, "cvc"},
		{"letters in CVC", func(c *Card) { c.CVC = "12a" }, "cvc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			var ce *CardError
			if err := CheckCard(c, cardNow); !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("got %v, want an error on %s", err, tc.field)
			}
		})
	}
}

func TestCardKeepsOnlyBrandAndLast4InLogs(t *testing.T) {
	c := Card{Number: "4242424242424242", CVC: "123"}
	if c.Brand() != "visa" || c.Last4() != "4242" || c.LogValue().String() != "card ending 4242" {
		t.Fatalf("brand %q last4 %q log %q", c.Brand(), c.Last4(), c.LogValue().String())
	}
}
