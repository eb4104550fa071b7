package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// placeOrder is a shopper's checkout through the storefront: a product into
// the cart, the checkout form posted. It returns the order id.
func placeOrder(t *testing.T, s *shopUnderTest) string {
	t.Helper()
	var page struct {
		Items []struct {
			ID    string `json:"id"`
			Stock int    `json:"stock"`
		} `json:"items"`
	}
	resp, err := http.Get(s.catalog + "/catalog?page_size=20")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(page.Items, func(p struct {
		ID    string `json:"id"`
		Stock int    `json:"stock"`
	}) bool {
		return p.Stock > 0
	})
	if i < 0 {
		t.Fatal("no product in stock to order")
	}
	product := page.Items[i].ID

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		resp, err := client.PostForm(s.frontend+path, form)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
		return resp
	}
	post("/cart/add", url.Values{"product_id": {product}, "quantity": {"1"}})
	resp = post("/checkout", url.Values{
		"name": {"Ada Lovelace"}, "email": {"ada@example.com"},
		"line1": {"12 St James's Square"}, "city": {"London"}, "postal_code": {"SW1Y 4JH"}, "country": {"GB"},
		"card_number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"2040"}, "cvc": {"123"},
	})
	id, ok := strings.CutPrefix(resp.Request.URL.Path, "/orders/")
	if !ok {
		t.Fatalf("the checkout ended on %s, not an order page", resp.Request.URL)
	}
	return id
}
