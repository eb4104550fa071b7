package frontend

import (
	"errors"
	"fmt"

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
	// CookieSecret signs the cart and CSRF cookies; at least 32 bytes. When
	// empty a random one is made at start, so carts do not survive a restart
	// and replicas do not share them: set it in production.
	CookieSecret platform.Secret `env:"COOKIE_SECRET"`
	// CookieSecure marks cookies Secure (HTTPS only).
	CookieSecure bool `env:"COOKIE_SECURE" envDefault:"false"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT must be 1-65535, got %d", c.Port))
	}
	if c.CookieSecret != "" && len(c.CookieSecret) < 32 {
		errs = append(errs, errors.New("COOKIE_SECRET must be at least 32 bytes"))
	}
	errs = append(errs, c.Base.Validate(),
		platform.ValidateURL("CATALOG_URL", c.CatalogURL),
		platform.ValidateURL("SEARCH_URL", c.SearchURL),
		platform.ValidateURL("ORDER_URL", c.OrderURL))
	return errors.Join(errs...)
}
