package payment

import (
	"errors"
	"fmt"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Config is everything the payment service reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5005"`
	// Database selects PostgreSQL when DATABASE_URL is set, else the
	// embedded in-memory store.
	Database pg.Config
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// AdminToken guards the list of payments; empty disables it.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
	// Provider is "test" (built in, no network: docs/payment.md lists its
	// cards) or "stripe".
	Provider string `env:"PAYMENT_PROVIDER" envDefault:"test"`
	// StripeKey is the Stripe secret key (a Kubernetes Secret in the chart).
	StripeKey platform.Secret `env:"STRIPE_SECRET_KEY"`
	// StripeURL overrides Stripe's API address (stripe-mock in the tests).
	StripeURL string `env:"STRIPE_API_URL"`
	// ProviderTimeout bounds each provider call; a charge that runs out of
	// it has an unknown outcome, resolved by asking the provider.
	ProviderTimeout time.Duration `env:"PROVIDER_TIMEOUT" envDefault:"5s"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	errs := []error{platform.ValidatePort("PORT", c.Port)}
	errs = append(errs, c.Base.Validate(), c.Database.Validate(), c.Broker.Validate())
	switch c.Provider {
	case "test":
	case "stripe":
		if c.StripeKey == "" {
			errs = append(errs, errors.New("STRIPE_SECRET_KEY is required with PAYMENT_PROVIDER=stripe"))
		}
		if c.StripeURL != "" {
			errs = append(errs, platform.ValidateURL("STRIPE_API_URL", c.StripeURL))
		}
	default:
		errs = append(errs, fmt.Errorf("PAYMENT_PROVIDER must be test or stripe, got %q", c.Provider))
	}
	if c.ProviderTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PROVIDER_TIMEOUT must be positive, got %s", c.ProviderTimeout))
	}
	return errors.Join(errs...)
}
