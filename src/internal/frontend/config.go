package frontend

import (
	"errors"
	"fmt"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Config is everything the storefront reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5004"`
	// CatalogURL, SearchURL and OrderURL are the services the storefront
	// calls.
	CatalogURL string `env:"CATALOG_URL" envDefault:"http://localhost:5001"`
	SearchURL  string `env:"SEARCH_URL" envDefault:"http://localhost:5002"`
	OrderURL   string `env:"ORDER_URL" envDefault:"http://localhost:5003"`
	// CookieSecret signs the cart cookie and encrypts the checkout form
	// kept between a post and its page; at least 32 bytes. When empty a
	// random one is made at start, so carts do not survive a restart
	// and replicas do not share them: set it in production.
	CookieSecret platform.Secret `env:"COOKIE_SECRET"`
	// CookieSecure marks cookies Secure (HTTPS only).
	CookieSecure bool `env:"COOKIE_SECURE" envDefault:"false"`
	// BackendTimeout bounds each call to another service, so a slow backend
	// cannot hold a page past the request deadline.
	BackendTimeout time.Duration `env:"BACKEND_TIMEOUT" envDefault:"2s"`
	// BackendCacheTTL keeps successful catalog and search answers this long,
	// so a busy page does not call the same backend URL many times a second;
	// 0 turns the cache off.
	BackendCacheTTL time.Duration `env:"BACKEND_CACHE_TTL" envDefault:"1s"`
	// CheckoutRateLimit is how many checkout submissions one client address
	// may make per minute; behind a proxy, set TRUSTED_PROXIES so the
	// address is the shopper's (X-Forwarded-For), not the proxy's.
	CheckoutRateLimit int `env:"CHECKOUT_RATE_LIMIT" envDefault:"10"`
	// FindOrderRateLimit is how many "find my order" attempts one client
	// address may make per minute: few enough that guessing references
	// and emails is hopeless, enough for a shopper who mistypes.
	FindOrderRateLimit int `env:"FIND_ORDER_RATE_LIMIT" envDefault:"5"`
	// PublicURL is the shop's address as shoppers and search engines see
	// it (https://shop.example.com), for canonical links, the sitemap and
	// robots.txt. When empty, each request's own scheme and host are used.
	PublicURL string `env:"PUBLIC_URL"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	errs := []error{platform.ValidatePort("PORT", c.Port)}
	if c.CookieSecret != "" && len(c.CookieSecret) < 32 {
		errs = append(errs, errors.New("COOKIE_SECRET must be at least 32 bytes"))
	}
	if c.BackendTimeout <= 0 {
		errs = append(errs, fmt.Errorf("BACKEND_TIMEOUT must be positive, got %s", c.BackendTimeout))
	}
	if c.BackendCacheTTL < 0 {
		errs = append(errs, fmt.Errorf("BACKEND_CACHE_TTL must not be negative, got %s", c.BackendCacheTTL))
	}
	if c.CheckoutRateLimit < 1 {
		errs = append(errs, fmt.Errorf("CHECKOUT_RATE_LIMIT must be at least 1, got %d", c.CheckoutRateLimit))
	}
	if c.FindOrderRateLimit < 1 {
		errs = append(errs, fmt.Errorf("FIND_ORDER_RATE_LIMIT must be at least 1, got %d", c.FindOrderRateLimit))
	}
	errs = append(errs, c.Base.Validate(),
		platform.ValidateURL("CATALOG_URL", c.CatalogURL),
		platform.ValidateURL("SEARCH_URL", c.SearchURL),
		platform.ValidateURL("ORDER_URL", c.OrderURL))
	if c.PublicURL != "" {
		errs = append(errs, platform.ValidateURL("PUBLIC_URL", c.PublicURL))
	}
	return errors.Join(errs...)
}
