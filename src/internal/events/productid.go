package events

import (
	"fmt"
	"regexp"
	"slices"
)

// MaxProductIDLen is the longest product id.
const MaxProductIDLen = 64

// productIDPattern: lowercase letters, digits and dashes, starting with a
// letter or digit. Ids appear unescaped in URLs (/catalog/{id},
// /product/{id}) and in events, so they are kept to URL-safe characters.
var productIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

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
	case !productIDPattern.MatchString(id):
		return fmt.Errorf("product id %q must be lowercase letters, digits or dashes, starting with a letter or digit", id)
	case slices.Contains(reservedProductIDs, id):
		return fmt.Errorf("product id %q is reserved: it is a catalog route", id)
	}
	return nil
}
