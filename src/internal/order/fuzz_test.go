package order

import (
	"errors"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform"
)

// FuzzParseCreateRequest feeds the create-order decoder and validator
// arbitrary bodies: each is accepted or refused with a 4xx, never a panic
// or an error the client would see as a 500.
func FuzzParseCreateRequest(f *testing.F) {
	f.Add([]byte(validBody))
	f.Add([]byte(`{"customer":{},"items":[]}`))
	f.Add([]byte(`{"items":[{"product_id":"a","quantity":-1}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseCreateRequest(body)
		if err == nil {
			if len(r.Items) == 0 || len(r.Items) > MaxLines || r.Customer.Email == "" {
				t.Fatalf("accepted an invalid request: %+v", r)
			}
			return
		}
		var pe *platform.Error
		if !errors.As(err, &pe) || pe.Status < 400 || pe.Status > 499 || pe.Message == "" {
			t.Fatalf("body %q: error %v is not a 4xx client error", body, err)
		}
	})
}
