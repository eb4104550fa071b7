package platform

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Card is a payment card as a shopper types it. The order service checks
// it before any provider call and hands it to the payment service, which
// keeps only its brand and last four digits: the number and the CVC are
// never stored, logged or put in an event (docs/payment.md).
type Card struct {
	Number   string `json:"card_number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`
	Name     string `json:"name,omitempty"`
}

// LogValue keeps a card out of the logs whatever logs it.
func (c Card) LogValue() slog.Value { return slog.StringValue("card ending " + c.Last4()) }

// Card limits: ISO/IEC 7812 numbers are 12 to 19 digits, and no issuer
// prints an expiry more than 20 years ahead.
const (
	minCardDigits  = 12
	maxCardDigits  = 19
	maxYearsAhead  = 20
	maxCardNameLen = 200
)

// CardError names the field of a card that is wrong, so a form can show
// the message next to it.
type CardError struct {
	Field   string // card_number, exp_month, exp_year, cvc or name
	Message string
}

func (e *CardError) Error() string { return e.Field + ": " + e.Message }

// CheckCard validates c as of now: digits only, 12-19 of them, the Luhn
// check, a month 1-12, not expired, at most 20 years ahead, a CVC of 3-4
// digits. Spaces and dashes typed inside the number are the caller's to
// strip (NormalizeCardNumber).
func CheckCard(c Card, now time.Time) error {
	n := c.Number
	switch {
	case n == "":
		return &CardError{"card_number", "is required"}
	case !allDigits(n):
		return &CardError{"card_number", "must contain only digits"}
	case len(n) < minCardDigits || len(n) > maxCardDigits:
		return &CardError{"card_number", fmt.Sprintf("must be %d to %d digits, got %d", minCardDigits, maxCardDigits, len(n))}
	case !luhn(n):
		return &CardError{"card_number", "is not a valid card number (check the digits)"}
	case c.ExpMonth < 1 || c.ExpMonth > 12:
		return &CardError{"exp_month", fmt.Sprintf("must be 1 to 12, got %d", c.ExpMonth)}
	case c.ExpYear < now.Year() || c.ExpYear > now.Year()+maxYearsAhead:
		if c.ExpYear < now.Year() {
			return &CardError{"exp_year", "the card has expired"}
		}
		return &CardError{"exp_year", fmt.Sprintf("must be at most %d", now.Year()+maxYearsAhead)}
	case c.ExpYear == now.Year() && c.ExpMonth < int(now.Month()):
		return &CardError{"exp_month", "the card has expired"}
	case len(c.CVC) < 3 || len(c.CVC) > 4 || !allDigits(c.CVC):
		return &CardError{"cvc", "must be 3 or 4 digits"}
	case utf8.RuneCountInString(c.Name) > maxCardNameLen:
		return &CardError{"name", fmt.Sprintf("must be at most %d characters", maxCardNameLen)}
	}
	if err := CheckText(c.Name, false); err != nil {
		return &CardError{"name", err.Error()}
	}
	return nil
}

// NormalizeCardNumber drops the spaces and dashes people type between
// groups of digits.
func NormalizeCardNumber(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
}

// Last4 is the last four digits of the number (all of it if shorter).
func (c Card) Last4() string {
	if len(c.Number) <= 4 {
		return c.Number
	}
	return c.Number[len(c.Number)-4:]
}

// Brand names the card network from the number's prefix.
func (c Card) Brand() string {
	n := c.Number
	p := func(prefixes ...string) bool {
		for _, x := range prefixes {
			if strings.HasPrefix(n, x) {
				return true
			}
		}
		return false
	}
	switch {
	case p("4"):
		return "visa"
	case p("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"):
		return "mastercard"
	case p("34", "37"):
		return "amex"
	case p("6011", "65"):
		return "discover"
	}
	return "unknown"
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// luhn is the ISO/IEC 7812 check digit test.
func luhn(n string) bool {
	sum, double := 0, false
	for i := len(n) - 1; i >= 0; i-- {
		d := int(n[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
