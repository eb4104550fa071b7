package shopper

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What a shopper reads off the storefront's pages: the links, hidden
// fields and status a person sees (src/internal/frontend/templates).
var (
	categoryLink = regexp.MustCompile(`href="/category/([a-z0-9-]+)"`)
	productLink  = regexp.MustCompile(`href="/product/([a-z0-9][a-z0-9-]*)"`)
	nonceField   = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
	orderStatus  = regexp.MustCompile(`class="status status-([a-z]+)"`)
	orderPath    = regexp.MustCompile(`^/orders/([A-Za-z0-9_-]+)$`)
	addForm      = `action="/cart/add"`
)

// Journey takes the named journey of Journeys.
func (s *Shopper) Journey(name string) error {
	switch name {
	case "browse":
		return s.browse()
	case "search":
		return s.search()
	case "buy":
		return s.buy()
	case "api":
		_, err := s.api(1 + s.rng.IntN(5))
		return err
	}
	return fmt.Errorf("unknown journey %q", name)
}

func (s *Shopper) pick(body string) string {
	ms := productLink.FindAllStringSubmatch(body, -1)
	if len(ms) == 0 {
		return ""
	}
	return ms[s.rng.IntN(len(ms))][1]
}

// browse: the home page, a category, a few products.
func (s *Shopper) browse() error {
	home, err := s.get(s.stop, "home", "/")
	if err != nil {
		return err
	}
	s.words.learn(home.body)
	cat := categoryLink.FindAllStringSubmatch(home.body, -1)
	if len(cat) == 0 {
		return s.unexpected("home", "no category link")
	}
	if err := s.think(); err != nil {
		return err
	}
	list, err := s.get(s.stop, "category", "/category/"+cat[s.rng.IntN(len(cat))][1])
	if err != nil {
		return err
	}
	s.words.learn(list.body)
	for range 1 + s.rng.IntN(3) {
		id := s.pick(list.body)
		if id == "" {
			return s.unexpected("category", "no product link")
		}
		if err := s.think(); err != nil {
			return err
		}
		if _, err := s.get(s.stop, "product", "/product/"+id); err != nil {
			return err
		}
	}
	return nil
}

// search: a query (sometimes misspelt, sometimes two words), then one of
// the results; finding nothing is an answer too.
func (s *Shopper) search() error {
	q := s.words.pick(s.rng)
	if s.rng.IntN(4) == 0 {
		q += " " + s.words.pick(s.rng)
	}
	if s.rng.Float64() < s.o.TypoRate {
		q = s.typo(q)
	}
	res, err := s.get(s.stop, "search", "/search?q="+url.QueryEscape(q))
	if err != nil {
		return err
	}
	s.words.learn(res.body)
	id := s.pick(res.body)
	if id == "" {
		return nil
	}
	if err := s.think(); err != nil {
		return err
	}
	_, err = s.get(s.stop, "product", "/product/"+id)
	return err
}

// buy: one or two products in the cart from the home page or a category,
// the cart, the checkout, and the order followed until it is final.
func (s *Shopper) buy() error {
	list, err := s.get(s.stop, "home", "/")
	if err != nil {
		return err
	}
	if cat := categoryLink.FindStringSubmatch(list.body); cat != nil && s.rng.IntN(2) == 0 {
		if err := s.think(); err != nil {
			return err
		}
		if list, err = s.get(s.stop, "category", "/category/"+cat[1]); err != nil {
			return err
		}
	}
	added := 0
	for range 1 + s.rng.IntN(2) {
		id := s.pick(list.body)
		if id == "" {
			return s.unexpected("listing", "no product link")
		}
		if err := s.think(); err != nil {
			return err
		}
		ok, err := s.addToCart(id, 1+s.rng.IntN(3))
		if err != nil {
			return err
		}
		if ok {
			added++
		}
	}
	if added == 0 {
		return nil
	}
	if err := s.think(); err != nil {
		return err
	}
	if _, err := s.get(s.stop, "cart", "/cart"); err != nil {
		return err
	}
	if err := s.think(); err != nil {
		return err
	}
	id, err := s.checkout()
	if err != nil || id == "" {
		return err
	}
	_, err = s.follow(id, false)
	return err
}

// placeBlocked marks a checkout page whose "Place order" waits for the
// shopper to remove sold-out lines (docs/frontend.md).
const placeBlocked = `id="place-order" disabled`

// cartLine finds the products of the cart page's remove forms.
var cartLine = regexp.MustCompile(`action="/cart/remove"[^>]*>\s*<input type="hidden" name="product_id" value="([^"]+)">`)

// giveUp empties the cart when a line sold out under the shopper: the
// storefront will not place the order until it is fixed, and a person
// would start again.
func (s *Shopper) giveUp() error {
	cart, err := s.get(s.stop, "cart", "/cart")
	if err != nil {
		return err
	}
	for _, m := range cartLine.FindAllStringSubmatch(cart.body, -1) {
		if _, err := s.postForm(s.stop, "cart_remove", "/cart/remove", url.Values{"product_id": {m[1]}}); err != nil {
			return err
		}
	}
	return nil
}

// addToCart opens the product's page and adds qty of it; false when it is
// out of stock: the page has no add button, or the last one sold between
// the page and the add, and the storefront sent the shopper to the cart
// saying so, with nothing added.
func (s *Shopper) addToCart(id string, qty int) (bool, error) {
	prod, err := s.get(s.stop, "product", "/product/"+id)
	if err != nil || !strings.Contains(prod.body, addForm) {
		return false, err
	}
	form := url.Values{"product_id": {id}, "quantity": {strconv.Itoa(qty)}}
	added, err := s.postForm(s.stop, "cart_add", "/cart/add", form)
	return err == nil && !strings.HasPrefix(added.location, soldOutRedirect), err
}

// soldOutRedirect begins where the storefront sends an add of a product
// that sold out since its page was shown.
const soldOutRedirect = "/cart?soldout="

// checkout fills in the checkout form and places the order.
func (s *Shopper) checkout() (string, error) {
	co, err := s.get(s.stop, "checkout_form", "/checkout")
	if err != nil {
		return "", err
	}
	if strings.Contains(co.body, placeBlocked) {
		return "", s.giveUp()
	}
	nonce := nonceField.FindStringSubmatch(co.body)
	if nonce == nil {
		return "", s.unexpected("checkout_form", "no nonce")
	}
	if err := s.think(); err != nil {
		return "", err
	}
	form := url.Values{"nonce": {nonce[1]}, "name": {"Load Shopper"}, "email": {s.email()},
		"line1": {"1 Test Street"}, "line2": {""}, "city": {"Testville"}, "postal_code": {"TE5 7ST"}, "country": {"GB"},
		"card_number": {s.card()}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"}}
	p, err := s.place(func() (page, error) { return s.postForm(s.hard, "checkout", "/checkout", form) })
	if err != nil {
		return "", err
	}
	m := orderPath.FindStringSubmatch(p.location)
	if p.location == "/checkout" {
		// Refused before any order was placed: a line sold out since the
		// form was shown (the form says so) or a field was refused.
		back, err := s.get(s.stop, "checkout_form", "/checkout")
		if err != nil || !strings.Contains(back.body, placeBlocked) {
			return "", errors.Join(err, s.unexpected("checkout", "the checkout was sent back to the form"))
		}
		return "", s.giveUp()
	}
	if m == nil {
		return "", s.unexpected("checkout", "redirected to "+p.location+", not to /orders/{id}")
	}
	s.rec.order(m[1], "pending")
	return m[1], nil
}

// place posts an order until it is accepted, fails for good, CheckoutRetries
// are spent or the run is over. A failure that may pass (a 5xx, a timeout,
// a dropped connection) is posted again, as a person presses the button
// again: the form's nonce, or the Idempotency-Key, makes the retry the same
// order, never a second one.
func (s *Shopper) place(post func() (page, error)) (page, error) {
	for attempt := 0; ; attempt++ {
		p, err := post()
		passing := p.status == 0 || p.status >= 500
		if err == nil || !passing || errors.Is(err, errStop) || attempt >= s.o.CheckoutRetries || s.stop.Err() != nil {
			return p, err
		}
		if !sleep(s.stop, time.Duration(attempt+1)*time.Second) {
			return p, errStop
		}
	}
}

// follow reloads the order's page, or asks the order API (api), as the
// page itself does while pending, until the order is confirmed or
// rejected or OrderTimeout passes; it returns the final status.
func (s *Shopper) follow(id string, api bool) (string, error) {
	deadline := time.Now().Add(s.o.OrderTimeout)
	for {
		status, err := s.status(id, api)
		if err == nil && status != "pending" {
			return status, nil
		}
		if s.hard.Err() != nil {
			return "", errStop
		}
		if time.Now().After(deadline) {
			s.rec.failure("order_unsettled")
			return "", fmt.Errorf("order %s still pending after %s", id, s.o.OrderTimeout)
		}
		if !sleep(s.hard, s.o.Poll) {
			return "", errStop
		}
	}
}

// status reads the order's status off its page, or from the order API.
func (s *Shopper) status(id string, api bool) (string, error) {
	var status string
	if api {
		p, err := s.get(s.hard, "api_order_status", s.o.OrderURL+"/orders/"+id)
		if err != nil {
			return "", err
		}
		var o struct {
			Status string `json:"status"`
		}
		if json.Unmarshal([]byte(p.body), &o) != nil || o.Status == "" {
			return "", s.unexpected("api_order_status", "no status in "+snippet(p.body))
		}
		status = o.Status
	} else {
		p, err := s.get(s.hard, "order_status", "/orders/"+id)
		if err != nil {
			return "", err
		}
		m := orderStatus.FindStringSubmatch(p.body)
		if m == nil {
			return "", s.unexpected("order_status", "no order status")
		}
		status = m[1]
	}
	s.rec.order(id, status)
	return status, nil
}

// product is a catalog entry as the api journey reads it.
type product struct {
	ID    string `json:"id"`
	Stock int    `json:"stock"`
}

// api is the journey of a client of the JSON APIs: a catalog page, a
// search, and an order of the page's best-stocked product placed with an
// Idempotency-Key and followed until it is final. It returns the order's
// final status.
func (s *Shopper) api(pageNo int) (string, error) {
	cat, err := s.get(s.stop, "api_catalog", s.o.CatalogURL+"/catalog?page_size=20&page="+strconv.Itoa(pageNo))
	if err != nil {
		return "", err
	}
	var list struct {
		Items []product `json:"items"`
	}
	if json.Unmarshal([]byte(cat.body), &list) != nil || len(list.Items) == 0 {
		return "", s.unexpected("api_catalog", "no products in "+snippet(cat.body))
	}
	if s.o.SearchURL != "" {
		q := s.words.pick(s.rng)
		if s.rng.Float64() < s.o.TypoRate {
			q = s.typo(q)
		}
		if _, err := s.get(s.stop, "api_search", s.o.SearchURL+"/search?q="+url.QueryEscape(q)); err != nil {
			return "", err
		}
	}
	if s.o.OrderURL == "" {
		return "", nil
	}
	item := slices.MaxFunc(list.Items, func(a, b product) int { return a.Stock - b.Stock })
	order := map[string]any{
		"customer": map[string]any{"email": s.email(), "name": "API Shopper",
			"address": map[string]string{"line1": "1 Test Street", "city": "Testville", "postal_code": "TE5 7ST", "country": "GB"}},
		"items":   []map[string]any{{"product_id": item.ID, "quantity": 1 + s.rng.IntN(2)}},
		"payment": map[string]any{"card_number": s.card(), "exp_month": 12, "exp_year": 2040, "cvc": "123"},
	}
	// One key per order: a retry after a lost answer is the same order.
	header := http.Header{"Idempotency-Key": {newKey()}}
	p, err := s.place(func() (page, error) {
		return s.postJSON(s.hard, "api_create_order", s.o.OrderURL+"/create-order", header, order, http.StatusAccepted)
	})
	if err != nil {
		return "", err
	}
	var created struct {
		OrderID string `json:"order_id"`
	}
	if json.Unmarshal([]byte(p.body), &created) != nil || created.OrderID == "" {
		return "", s.unexpected("api_create_order", "no order_id in "+snippet(p.body))
	}
	s.rec.order(created.OrderID, "pending")
	return s.follow(created.OrderID, true)
}

func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "shopper-" + hex.EncodeToString(b)
}

// The test provider's cards (docs/payment.md): one that pays, one that is
// declined.
const (
	payingCard    = "4242424242424242"
	decliningCard = "4000000000000002"
)

// card is the card of the shopper's next order: declining with the
// configured share.
func (s *Shopper) card() string {
	if s.rng.Float64() < s.o.DeclineRate {
		return decliningCard
	}
	return payingCard
}
