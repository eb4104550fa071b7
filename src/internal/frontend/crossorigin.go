package frontend

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// errCrossSite is the page a form posted from another site gets.
var errCrossSite = &pageError{status: http.StatusForbidden, title: "This form came from another site",
	message: "For your security we accept forms only from the shop's own pages. Go to the shop, reload the page and try again."}

// newCrossOriginProtection is the storefront's defence against cross-site
// request forgery: net/http's CrossOriginProtection, which refuses a post
// a browser marks as coming from another site (Sec-Fetch-Site, sent by
// every browser since 2023; else an Origin that is not the Host). Pages
// carry no token and set no cookie for it, so a product page is the same
// bytes for every shopper (a signed token cookie per cookieless visit was
// most of that page's cost, docs/benchmarks.md). Cookies are also
// SameSite=Lax, and the CSP allows forms to post only to the shop.
// PUBLIC_URL's origin is trusted besides, for a proxy that rewrites Host.
func newCrossOriginProtection(publicURL string) (*http.CrossOriginProtection, error) {
	p := http.NewCrossOriginProtection()
	if publicURL == "" {
		return p, nil
	}
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, fmt.Errorf("PUBLIC_URL: %w", err)
	}
	if err := p.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
		return nil, fmt.Errorf("PUBLIC_URL: %w", err)
	}
	return p, nil
}

// refuseCrossSite answers a cross-site form post with a 403 page. Only the
// headers the check reads are copied into the request it is given.
func refuseCrossSite(p *http.CrossOriginProtection) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), URL: &url.URL{Path: c.Path()}, Header: http.Header{}}
		for _, name := range []string{"Sec-Fetch-Site", "Origin"} {
			if v := c.Get(name); v != "" {
				r.Header.Set(name, v)
			}
		}
		if p.Check(r) != nil {
			return errCrossSite
		}
		return c.Next()
	}
}
