package catalog

import (
	"errors"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Config is everything the catalog service reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5001"`
	// Database selects PostgreSQL when DATABASE_URL is set, else the
	// embedded in-memory store.
	Database pg.Config
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// AdminToken is the bearer token of the admin endpoints; empty
	// disables them.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
	// SeedCatalog loads the bundled sample catalog into an empty store.
	SeedCatalog bool `env:"SEED_CATALOG" envDefault:"true"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	return errors.Join(platform.ValidatePort("PORT", c.Port), c.Base.Validate(), c.Database.Validate(), c.Broker.Validate())
}
