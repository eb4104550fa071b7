package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// ready checks that every URL answers 2xx, retrying while services start.
func ready(ctx context.Context, c *client, urls []string) error {
	var failed []string
	for _, u := range urls {
		body, _, err := c.get(ctx, u)
		if err != nil {
			fmt.Printf("NOT ready: %v\n", err)
			failed = append(failed, u)
			continue
		}
		fmt.Printf("ready: %s %s\n", u, snippet([]byte(body)))
	}
	if len(failed) > 0 {
		return fmt.Errorf("not ready: %s", strings.Join(failed, ", "))
	}
	return nil
}

type product struct {
	ID    string `json:"id"`
	Stock int    `json:"stock"`
}

type orderView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// testCustomer is who the probe's orders are for; tests find them by its email.
func testCustomer(email string) map[string]any {
	return map[string]any{
		"email": email, "name": "Shop Probe",
		"address": map[string]string{"line1": "1 Test Street", "city": "London", "postal_code": "EC1A 1BB", "country": "GB"},
	}
}

func newKey(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// order places an order for the catalog's best-stocked product through the
// order API and follows the saga (over the broker, in the catalog) until
// the order is final.
func order(ctx context.Context, c *client, catalogURL, orderURL string, polls int) error {
	var page struct {
		Items []product `json:"items"`
	}
	body, _, err := c.get(ctx, catalogURL+"/catalog?page_size=50")
	if err != nil {
		return err
	}
	if err := jsonDecode(body, &page); err != nil {
		return fmt.Errorf("GET /catalog: %w", err)
	}
	if len(page.Items) == 0 {
		return fmt.Errorf("no product in %s/catalog", catalogURL)
	}
	best := slices.MaxFunc(page.Items, func(a, b product) int { return a.Stock - b.Stock })
	fmt.Printf("ordering product %s (stock %d)\n", best.ID, best.Stock)
	var created struct {
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	req := map[string]any{"customer": testCustomer("helm-test@example.com"), "items": []map[string]any{{"product_id": best.ID, "quantity": 1}}}
	header := http.Header{"Idempotency-Key": {newKey("helm-test-")}}
	code, err := c.postJSON(ctx, orderURL+"/create-order", header, req, &created)
	if err != nil {
		return err
	}
	if code != http.StatusAccepted || created.OrderID == "" {
		return fmt.Errorf("POST /create-order answered %d with order id %q, want 202 and an id", code, created.OrderID)
	}
	for range polls {
		var o orderView
		body, _, err := c.get(ctx, orderURL+"/orders/"+created.OrderID)
		if err != nil {
			return err
		}
		if err := jsonDecode(body, &o); err != nil {
			return err
		}
		fmt.Printf("order %s is %s %s\n", o.ID, o.Status, o.Reason)
		if o.Status == "confirmed" || o.Status == "rejected" {
			return nil
		}
		if err := sleep(ctx, c.pause); err != nil {
			return err
		}
	}
	return fmt.Errorf("order %s was neither confirmed nor rejected in time", created.OrderID)
}

var (
	productLink = regexp.MustCompile(`href="/product/([^"/?#]+)"`)
	csrfField   = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)
	nonceField  = regexp.MustCompile(`name="nonce" value="([^"]*)"`)
	heading     = regexp.MustCompile(`<h1[^>]*>([^<]+)</h1>`)
	orderPath   = regexp.MustCompile(`^/orders/([^/]+)$`)
)

// journey is a shopper's visit through the storefront alone: the home page,
// a product page, a search with a typo that still finds the product, two
// products in the cart, the checkout, and the order page until the saga has
// confirmed the order.
func journey(ctx context.Context, c *client, base string, polls int) error {
	home, _, err := c.get(ctx, base+"/")
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range productLink.FindAllStringSubmatch(home, -1) {
		if id := html.UnescapeString(m[1]); !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) < 2 {
		return fmt.Errorf("home page lists %d products, want at least 2", len(ids))
	}
	fmt.Printf("home: %d products\n", len(ids))

	page, _, err := c.get(ctx, base+"/product/"+url.PathEscape(ids[0]))
	if err != nil {
		return err
	}
	name := match(heading, page)
	if name == "" {
		return fmt.Errorf("product page of %s has no <h1> name", ids[0])
	}
	typo := misspell(name)
	if typo == "" {
		return fmt.Errorf("no word of %q is long enough to misspell", name)
	}
	found, _, err := c.get(ctx, base+"/search?q="+url.QueryEscape(typo))
	if err != nil {
		return err
	}
	if !strings.Contains(found, `href="/product/`+ids[0]+`"`) {
		return fmt.Errorf("search for %q (a typo of %q) did not find product %s", typo, name, ids[0])
	}
	fmt.Printf("search: %q found %q\n", typo, name)

	for i, id := range ids[:2] {
		page, _, err := c.get(ctx, base+"/product/"+url.PathEscape(id))
		if err != nil {
			return err
		}
		form := url.Values{"_csrf": {match(csrfField, page)}, "product_id": {id}, "quantity": {fmt.Sprint(i + 1)}}
		if _, _, err := c.postForm(ctx, base+"/cart/add", form); err != nil {
			return fmt.Errorf("adding %s to the cart: %w", id, err)
		}
	}
	cart, _, err := c.get(ctx, base+"/cart")
	if err != nil {
		return err
	}
	for _, id := range ids[:2] {
		if !strings.Contains(cart, `href="/product/`+id+`"`) {
			return fmt.Errorf("the cart does not hold product %s", id)
		}
	}
	fmt.Println("cart: 2 products")

	checkout, _, err := c.get(ctx, base+"/checkout")
	if err != nil {
		return err
	}
	form := url.Values{
		"_csrf": {match(csrfField, checkout)}, "nonce": {match(nonceField, checkout)},
		"name": {"E2E Shopper"}, "email": {"journey@e2e.example.com"}, "line1": {"1 Cluster Road"},
		"city": {"London"}, "postal_code": {"EC1A 1BB"}, "country": {"GB"},
	}
	_, final, err := c.postForm(ctx, base+"/checkout", form)
	if err != nil {
		return fmt.Errorf("checking out: %w", err)
	}
	id := match(orderPath, final.Path)
	if id == "" {
		return fmt.Errorf("checkout ended at %s, want /orders/{id}", final.Path)
	}
	fmt.Printf("checkout: order %s\n", id)
	for range polls {
		page, _, err := c.get(ctx, base+"/orders/"+id)
		if err != nil {
			return err
		}
		switch {
		case strings.Contains(page, "status-confirmed"):
			fmt.Printf("order %s confirmed\n", id)
			return nil
		case strings.Contains(page, "status-rejected"):
			return fmt.Errorf("order %s was rejected", id)
		}
		if err := sleep(ctx, c.pause); err != nil {
			return err
		}
	}
	return fmt.Errorf("order %s was not confirmed in time", id)
}

func match(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return html.UnescapeString(strings.TrimSpace(m[1]))
	}
	return ""
}

// misspell changes one letter in the middle of the longest word of name, the
// kind of typo the search must forgive.
func misspell(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) == 0 {
		return ""
	}
	word := []rune(strings.ToLower(slices.MaxFunc(words, func(a, b string) int { return len([]rune(a)) - len([]rune(b)) })))
	if len(word) < 5 {
		return ""
	}
	i := len(word) / 2
	if word[i] == 'x' {
		word[i] = 'z'
	} else {
		word[i] = 'x'
	}
	return string(word)
}

func jsonDecode(body string, v any) error {
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return errors.New("decoding " + snippet([]byte(body)) + ": " + err.Error())
	}
	return nil
}
