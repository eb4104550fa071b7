package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform"
)

// FuzzParseProductInput feeds the body of PUT /catalog/{id} arbitrary
// bytes: each is refused with a 4xx naming no Go type, or accepted as a
// product whose text holds nothing CheckText refuses and whose numbers are
// within their limits.
func FuzzParseProductInput(f *testing.F) {
	f.Add([]byte(`{"name":"Kettle","category":"kitchenware","price_cents":2599,"currency":"USD","stock":3}`))
	f.Add([]byte(`{"name":"No price","category":"books","currency":"USD"}`))
	f.Add([]byte("{\"name\":\"Caf\xe9\",\"category\":\"x\",\"price_cents\":1,\"currency\":\"USD\",\"stock\":1}"))
	f.Add([]byte(`{"name":"a\u202e","category":"x","price_cents":1,"currency":"USD","stock":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := ParseProductInput(body)
		if err == nil {
			for _, text := range []string{in.Name, in.Category, in.Image} {
				if platform.CheckText(text, false) != nil {
					t.Fatalf("accepted text %q", text)
				}
			}
			if strings.TrimSpace(in.Name) == "" || in.PriceCents < 0 || in.PriceCents > MaxPriceCents || in.Stock < 0 || in.Stock > MaxStock {
				t.Fatalf("accepted an invalid product: %+v", in)
			}
			return
		}
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Status < 400 || pe.Status > 499 || pe.Message == "" ||
			strings.Contains(pe.Message, "catalog.") || strings.Contains(pe.Message, "int64") {
			t.Fatalf("body %q: error %v is not a 4xx client error in the API's terms", body, err)
		}
	})
}
