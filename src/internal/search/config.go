package search

import (
	"errors"
	"fmt"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Config is everything the search service reads from its environment.
type Config struct {
	platform.Base
	// Port is the HTTP port.
	Port int `env:"PORT" envDefault:"5002"`
	// ElasticsearchURL selects Elasticsearch when set, else the embedded
	// full-text index.
	ElasticsearchURL      string          `env:"ELASTICSEARCH_URL"`
	ElasticsearchUsername string          `env:"ELASTICSEARCH_USERNAME"`
	ElasticsearchPassword platform.Secret `env:"ELASTICSEARCH_PASSWORD"`
	// ElasticsearchCACert is the path of a PEM CA certificate to trust.
	ElasticsearchCACert string `env:"ELASTICSEARCH_CA_CERT"`
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// CatalogURL is where the index is rebuilt from.
	CatalogURL string `env:"CATALOG_URL" envDefault:"http://localhost:5001"`
	// AdminToken is the bearer token of POST /search/reindex.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
}

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT must be 1-65535, got %d", c.Port))
	}
	if c.ElasticsearchURL != "" {
		errs = append(errs, platform.ValidateURL("ELASTICSEARCH_URL", c.ElasticsearchURL))
	}
	errs = append(errs, c.Base.Validate(), c.Broker.Validate(), platform.ValidateURL("CATALOG_URL", c.CatalogURL))
	return errors.Join(errs...)
}
