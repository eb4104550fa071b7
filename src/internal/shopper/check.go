package shopper

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var heading = regexp.MustCompile(`<h1[^>]*>([^<]+)</h1>`)

// Check is a shopper's visit with every step verified, the one `probe
// journey` makes through a cluster's storefront Service: the home page, a
// product page, a search with a typo that still finds that product, two
// products in the cart and the cart holding them, the checkout, and the
// order page until the saga has confirmed the order. It says what it saw
// on say.
func (s *Shopper) Check(say func(format string, a ...any)) error {
	home, err := s.get(s.stop, "home", "/")
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range productLink.FindAllStringSubmatch(home.body, -1) {
		if !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	if len(ids) < 2 {
		return fmt.Errorf("home page lists %d products, want at least 2", len(ids))
	}
	say("home: %d products", len(ids))

	prod, err := s.get(s.stop, "product", "/product/"+ids[0])
	if err != nil {
		return err
	}
	name := heading.FindStringSubmatch(prod.body)
	if name == nil {
		return fmt.Errorf("product page of %s has no <h1> name", ids[0])
	}
	words := strings.FieldsFunc(strings.ToLower(html.UnescapeString(name[1])), func(r rune) bool { return !unicode.IsLetter(r) })
	longest := slices.MaxFunc(append(words, ""), func(a, b string) int { return len(a) - len(b) })
	if len(longest) < 5 {
		return fmt.Errorf("no word of %q is long enough to misspell", name[1])
	}
	typo := misspell(longest, 1, len(longest)/2)
	found, err := s.get(s.stop, "search", "/search?q="+url.QueryEscape(typo))
	if err != nil {
		return err
	}
	if !strings.Contains(found.body, `href="/product/`+ids[0]+`"`) {
		return fmt.Errorf("search for %q (a typo of %q) did not find product %s", typo, name[1], ids[0])
	}
	say("search: %q found %q", typo, name[1])

	for i, id := range ids[:2] {
		ok, err := s.addToCart(id, i+1)
		if err != nil {
			return fmt.Errorf("adding %s to the cart: %w", id, err)
		}
		if !ok {
			return fmt.Errorf("product %s has no add button: out of stock", id)
		}
	}
	cart, err := s.get(s.stop, "cart", "/cart")
	if err != nil {
		return err
	}
	for _, id := range ids[:2] {
		if !strings.Contains(cart.body, `href="/product/`+id+`"`) {
			return fmt.Errorf("the cart does not hold product %s", id)
		}
	}
	say("cart: 2 products")

	id, err := s.checkout()
	if err != nil {
		return err
	}
	say("checkout: order %s", id)
	status, err := s.follow(id, false)
	if err != nil {
		return err
	}
	if status != "confirmed" {
		return fmt.Errorf("order %s was %s", id, status)
	}
	say("order %s confirmed", id)
	return nil
}

// Order places one order through the JSON APIs, as helm test's `probe
// order` does, and follows it until it is final: confirmed or rejected
// both prove the saga ran over the broker.
func (s *Shopper) Order(say func(format string, a ...any)) error {
	status, err := s.api(1)
	if err != nil {
		return err
	}
	say("order %s", status)
	return nil
}
