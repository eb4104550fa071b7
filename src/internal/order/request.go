package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// CreateRequest is the body of POST /create-order.
type CreateRequest struct {
	Customer Customer       `json:"customer"`
	Items    []RequestItem  `json:"items"`
	Shipping ShippingChoice `json:"shipping"`
	// Payment is the card; required. It goes to the payment service to be
	// tokenised and is never stored or logged here.
	Payment *platform.Card `json:"payment"`
}

// ShippingChoice is the delivery the shopper chose; the method defaults to
// standard.
type ShippingChoice struct {
	Method string `json:"method"`
}

// RequestItem is a line as the client sends it: prices come from the
// catalog, never from the client.
type RequestItem struct {
	ProductID string `json:"product_id"`
	// Quantity is a pointer so a missing or null quantity is told apart
	// from a zero one: the first is "required", the second out of range.
	Quantity *int `json:"quantity"`
}

// Limits of an order.
const (
	MaxLines       = 50
	MaxQuantity    = 100
	maxEmailLen    = 254
	maxNameLen     = 200
	maxLineLen     = 200
	maxCityLen     = 100
	maxPostalLen   = 20
	maxRegionLen   = 100
	MaxIdemKeyLen  = 200
	idempotencyHdr = "Idempotency-Key"
)

// invalid is a 400 naming the field that is wrong.
func invalid(field, format string, args ...any) *platform.Error {
	return platform.BadRequest("invalid_field", "%s: %s", field, fmt.Sprintf(format, args...))
}

// ParseCreateRequest decodes and validates a create-order body; every
// failure is a 4xx naming the field. The request it returns is normalised
// (trimmed, country upper-cased).
func ParseCreateRequest(body []byte) (CreateRequest, error) {
	var r CreateRequest
	if err := platform.DecodeJSONBytes(body, &r); err != nil {
		return r, err
	}
	r.normalize()
	return r, r.validate()
}

// normalize trims the spaces around each field. Only space characters
// (Unicode's Zs) are trimmed: a control character such as U+0085, which
// strings.TrimSpace would also drop, stays for validate to refuse.
func (r *CreateRequest) normalize() {
	c := &r.Customer
	for _, s := range []*string{&c.Email, &c.Name, &c.Phone, &c.Address.Line1, &c.Address.Line2, &c.Address.City, &c.Address.Region, &c.Address.PostalCode, &c.Address.Country} {
		*s = trimSpaces(*s)
	}
	c.Address.Country = strings.ToUpper(c.Address.Country)
	r.Shipping.normalize()
	for i := range r.Items {
		r.Items[i].ProductID = trimSpaces(r.Items[i].ProductID)
	}
	if r.Payment != nil {
		r.Payment.Number = platform.NormalizeCardNumber(r.Payment.Number)
		r.Payment.CVC = trimSpaces(r.Payment.CVC)
	}
}

func trimSpaces(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.Is(unicode.Zs, r) })
}

func (r CreateRequest) validate() error {
	c := r.Customer
	if err := validateEmail(c.Email); err != nil {
		return err
	}
	for _, f := range []struct {
		name, value string
		required    bool
		max         int
	}{
		{"customer.name", c.Name, true, maxNameLen},
		{"customer.address.line1", c.Address.Line1, true, maxLineLen},
		{"customer.address.line2", c.Address.Line2, false, maxLineLen},
		{"customer.address.city", c.Address.City, true, maxCityLen},
		{"customer.address.postal_code", c.Address.PostalCode, true, maxPostalLen},
	} {
		if err := validateText(f.name, f.value, f.required, f.max); err != nil {
			return err
		}
	}
	if err := validateCountry("customer.address.country", c.Address.Country); err != nil {
		return err
	}
	if err := validateText("customer.address.region", c.Address.Region, requiresRegion(c.Address.Country), maxRegionLen); err != nil {
		return err
	}
	if err := validatePhone(c.Phone, requiresPhone(c.Address.Country)); err != nil {
		return err
	}
	if err := r.Shipping.validate(); err != nil {
		return err
	}
	if err := validateItems(r.Items); err != nil {
		return err
	}
	return validatePayment(r.Payment)
}

// validatePayment checks the card before any call to the payment service,
// naming the field that is wrong (payment.card_number, ...).
func validatePayment(card *platform.Card) error {
	if card == nil {
		return invalid("payment", "is required: a card (card_number, exp_month, exp_year, cvc)")
	}
	var ce *platform.CardError
	if err := platform.CheckCard(*card, time.Now()); errors.As(err, &ce) {
		return invalid("payment."+ce.Field, "%s", ce.Message)
	}
	return nil
}

func validateCountry(field, code string) error {
	if !isCountry(code) {
		return invalid(field, "must be an ISO 3166-1 alpha-2 country code, like GB, got %q", code)
	}
	return nil
}

// requiresRegion: addresses in these countries need a state, province or
// territory for the carrier to deliver.
func requiresRegion(country string) bool {
	return country == "US" || country == "CA" || country == "AU"
}

// requiresPhone: a parcel to the world zone crosses customs, whose
// declaration needs the recipient's phone number.
func requiresPhone(country string) bool { return zoneOf(country).name == world.name }

// phonePattern is an international or national phone number as people
// type it: digits with spaces, dashes, dots, brackets and a leading +.
var phonePattern = regexp.MustCompile(`^\+?[0-9 ().-]{6,24}$`)

func validatePhone(phone string, required bool) error {
	const field = "customer.phone"
	switch {
	case phone == "" && required:
		return invalid(field, "is required for deliveries to this country (customs needs it)")
	case phone == "":
		return nil
	case !phonePattern.MatchString(phone) || countDigits(phone) < 6 || countDigits(phone) > 15:
		return invalid(field, "must be a phone number of 6 to 15 digits, like +44 20 7946 0958")
	}
	return nil
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func (s *ShippingChoice) normalize() {
	if s.Method == "" {
		s.Method = Standard
	}
}

func (s ShippingChoice) validate() error {
	if !slices.Contains(Methods, s.Method) {
		return invalid("shipping.method", "must be one of %s, got %q", strings.Join(Methods, ", "), s.Method)
	}
	return nil
}

func validateEmail(email string) error {
	const field = "customer.email"
	if email == "" {
		return invalid(field, "is required")
	}
	if err := platform.CheckText(email, false); err != nil {
		return invalid(field, "%s", err)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > maxEmailLen || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return invalid(field, "must be a plain email address like name@example.com")
	}
	return nil
}

func validateText(field, value string, required bool, max int) error {
	if err := platform.CheckText(value, false); err != nil {
		return invalid(field, "%s", err)
	}
	switch {
	case required && value == "":
		return invalid(field, "is required")
	case utf8.RuneCountInString(value) > max:
		return invalid(field, "must be at most %d characters", max)
	}
	return nil
}

func validateItems(items []RequestItem) error {
	if len(items) == 0 {
		return invalid("items", "an order needs at least one item")
	}
	if len(items) > MaxLines {
		return invalid("items", "an order has at most %d lines, got %d", MaxLines, len(items))
	}
	seen := make(map[string]int, len(items))
	for i, it := range items {
		field := fmt.Sprintf("items[%d]", i)
		if err := events.CheckProductID(it.ProductID); err != nil {
			return invalid(field+".product_id", "%s", err)
		}
		switch {
		case it.Quantity == nil:
			return invalid(field+".quantity", "is required")
		case *it.Quantity < 1 || *it.Quantity > MaxQuantity:
			return invalid(field+".quantity", "must be between 1 and %d, got %d", MaxQuantity, *it.Quantity)
		}
		if j, dup := seen[it.ProductID]; dup {
			return invalid(field+".product_id", "product %s is already in items[%d]; merge the lines", it.ProductID, j)
		}
		seen[it.ProductID] = i
	}
	return nil
}

// fingerprint identifies a request's content, to tell a retry (same key,
// same request) from a misuse of the key (same key, another request).
func (r CreateRequest) fingerprint() string {
	// The card enters as brand and last four digits only: a hash of a card
	// number is card data too.
	if r.Payment != nil {
		r.Payment = &platform.Card{Number: r.Payment.Brand() + r.Payment.Last4(), ExpMonth: r.Payment.ExpMonth, ExpYear: r.Payment.ExpYear, Name: r.Payment.Name}
	}
	raw, _ := json.Marshal(r)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// parseIdempotencyKey reads the optional Idempotency-Key header: absent,
// or 1 to MaxIdemKeyLen visible ASCII characters. A header that is present
// but empty or only whitespace (which the HTTP parser trims to nothing) is
// refused, not taken for no key: the client meant to make its request
// idempotent, and two orders would be placed.
func parseIdempotencyKey(h string, present bool) (string, error) {
	if !present {
		return "", nil
	}
	if h == "" || len(h) > MaxIdemKeyLen || strings.ContainsFunc(h, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "", platform.NewError(http.StatusBadRequest, "invalid_header",
			"%s: must be 1-%d visible ASCII characters", idempotencyHdr, MaxIdemKeyLen)
	}
	return h, nil
}
