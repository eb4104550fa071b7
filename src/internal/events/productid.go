package events

import (
	"fmt"
	"slices"
)

// MaxProductIDLen is the longest product id.
const MaxProductIDLen = 64

// wellFormed: lowercase letters, digits and dashes, starting with a letter
// or digit. Ids appear unescaped in URLs (/catalog/{id}, /product/{id}) and
// in events, so they are kept to URL-safe characters. A loop over the bytes
// rather than a regular expression: the storefront asks on every product
// page, and the regular expression was 7 % of that page's CPU time.
func wellFormed(id string) bool {
	if id == "" || id[0] == '-' {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// reservedProductIDs are path segments the catalog routes itself under
// /catalog/: a product with such an id could be stored but never fetched.
var reservedProductIDs = []string{"categories"}

// CheckProductID is the one definition of a product id, shared by the
// catalog (which refuses to store others) and the order service (which
// refuses to order them): the error says what is wrong.
func CheckProductID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("a product id is required")
	case len(id) > MaxProductIDLen:
		return fmt.Errorf("product id %q is longer than %d characters", id, MaxProductIDLen)
	case !wellFormed(id):
		return fmt.Errorf("product id %q must be lowercase letters, digits or dashes, starting with a letter or digit", id)
	case slices.Contains(reservedProductIDs, id):
		return fmt.Errorf("product id %q is reserved: it is a catalog route", id)
	}
	return nil
}

// ValidProductID reports whether CheckProductID accepts id, without saying
// why not: for the storefront, which answers a malformed id in a URL or a
// cookie with a 404 or by dropping it. An accepted id costs no allocation;
// only a refusal builds its error.
func ValidProductID(id string) bool { return CheckProductID(id) == nil }
