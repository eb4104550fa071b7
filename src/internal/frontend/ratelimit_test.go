package frontend_test

import (
	"net/http"
	"net/url"
	"testing"
)

// forwardedFor adds the X-Forwarded-For header a proxy in front of the
// storefront would, naming the shopper it received the request from.
type forwardedFor string

func (f forwardedFor) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Forwarded-For", string(f))
	return http.DefaultTransport.RoundTrip(req)
}

// Shoppers behind one proxy (an Ingress, the Istio gateway: every request
// comes from its address) each get their own checkout limit when the proxy
// is trusted; from an untrusted peer the header is ignored, so a client
// cannot dodge the limit by inventing addresses.
func TestCheckoutLimitIsPerShopperBehindATrustedProxy(t *testing.T) {
	// A fresh form each time.
	bad := func() url.Values {
		f := checkoutFields()
		f.Set("email", "")
		return f
	}
	catalogURL := startCatalog(t)

	behindProxy := startFrontend(t, backendURLs{catalogURL, deadURL(t), deadURL(t)},
		map[string]string{"CHECKOUT_RATE_LIMIT": "2", "TRUSTED_PROXIES": "127.0.0.0/8"})
	var shoppers []*shopper
	for _, addr := range []string{"203.0.113.1", "203.0.113.2", "198.51.100.3"} {
		s := newShopper(t, behindProxy)
		s.http.Transport = forwardedFor(addr)
		wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
		shoppers = append(shoppers, s)
	}
	for _, s := range shoppers {
		for range 2 {
			wantStatus(t, s.post("/checkout", bad()), http.StatusSeeOther)
		}
	}
	for _, s := range shoppers {
		wantStatus(t, s.post("/checkout", bad()), http.StatusTooManyRequests)
	}

	untrusted := startFrontend(t, backendURLs{catalogURL, deadURL(t), deadURL(t)},
		map[string]string{"CHECKOUT_RATE_LIMIT": "2"})
	for i, addr := range []string{"203.0.113.1", "203.0.113.2", "198.51.100.3"} {
		s := newShopper(t, untrusted)
		s.http.Transport = forwardedFor(addr)
		wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
		want := http.StatusSeeOther
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		wantStatus(t, s.post("/checkout", bad()), want)
	}
}
