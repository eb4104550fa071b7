package order

import (
	"errors"
	"fmt"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Config is everything the order service reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5003"`
	// Database selects PostgreSQL when DATABASE_URL is set, else the
	// embedded in-memory store.
	Database pg.Config
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// CatalogURL is where authoritative prices are looked up.
	CatalogURL string `env:"CATALOG_URL" envDefault:"http://localhost:5001"`
	// CatalogTimeout bounds each price lookup.
	CatalogTimeout time.Duration `env:"CATALOG_TIMEOUT" envDefault:"2s"`
	// PaymentURL is where cards are tokenised.
	PaymentURL string `env:"PAYMENT_URL" envDefault:"http://localhost:5005"`
	// PaymentTimeout bounds each tokenisation.
	PaymentTimeout time.Duration `env:"PAYMENT_TIMEOUT" envDefault:"5s"`
	// AdminToken guards POST /orders/{id}/ship; empty disables it.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT must be 1-65535, got %d", c.Port))
	}
	errs = append(errs, c.Base.Validate(), c.Database.Validate(), c.Broker.Validate(), platform.ValidateURL("CATALOG_URL", c.CatalogURL), platform.ValidateURL("PAYMENT_URL", c.PaymentURL))
	if c.PaymentTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PAYMENT_TIMEOUT must be positive, got %s", c.PaymentTimeout))
	}
	if c.CatalogTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CATALOG_TIMEOUT must be positive, got %s", c.CatalogTimeout))
	}
	return errors.Join(errs...)
}
