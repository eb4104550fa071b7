package search

import (
	"errors"
	"fmt"
	"regexp"
	"time"

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
	// ElasticsearchIndex is the alias searches use; each rebuild creates
	// <alias>-<unix nanoseconds> behind it.
	ElasticsearchIndex string `env:"ELASTICSEARCH_INDEX" envDefault:"products"`
	// Broker selects RabbitMQ when AMQP_URL is set, else the in-process bus.
	Broker mq.Config
	// CatalogURL is where the index is rebuilt from.
	CatalogURL string `env:"CATALOG_URL" envDefault:"http://localhost:5001"`
	// CatalogTimeout bounds each page read from the catalog.
	CatalogTimeout time.Duration `env:"CATALOG_TIMEOUT" envDefault:"5s"`
	// ReindexInterval, when positive, rebuilds the index from the catalog
	// that often: a safety net for changes missed while the broker was
	// unreachable (a per-replica queue lives only as long as its connection).
	ReindexInterval time.Duration `env:"REINDEX_INTERVAL" envDefault:"0s"`
	// CacheTTL is how long a search or suggest answer may be reused (until
	// the index changes); 0 turns the answer cache off.
	CacheTTL time.Duration `env:"SEARCH_CACHE_TTL" envDefault:"2s"`
	// CacheSize is how many answers of each kind the cache keeps.
	CacheSize int `env:"SEARCH_CACHE_SIZE" envDefault:"4096"`
	// AdminToken is the bearer token of POST /search/reindex.
	AdminToken platform.Secret `env:"ADMIN_TOKEN"`
}

var indexNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,99}$`)

// Validate reports every setting that cannot work.
func (c Config) Validate() error {
	errs := []error{platform.ValidatePort("PORT", c.Port)}
	if c.ElasticsearchURL != "" {
		errs = append(errs, platform.ValidateURL("ELASTICSEARCH_URL", c.ElasticsearchURL))
	}
	if !indexNamePattern.MatchString(c.ElasticsearchIndex) {
		errs = append(errs, fmt.Errorf("ELASTICSEARCH_INDEX must be 1-100 lowercase letters, digits, '-' or '_', starting with a letter, got %q", c.ElasticsearchIndex))
	}
	if c.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("SEARCH_CACHE_TTL must not be negative, got %s", c.CacheTTL))
	}
	if c.CacheSize < 1 {
		errs = append(errs, fmt.Errorf("SEARCH_CACHE_SIZE must be at least 1, got %d", c.CacheSize))
	}
	if c.ReindexInterval < 0 {
		errs = append(errs, fmt.Errorf("REINDEX_INTERVAL must not be negative, got %s", c.ReindexInterval))
	}
	if c.CatalogTimeout <= 0 {
		errs = append(errs, fmt.Errorf("CATALOG_TIMEOUT must be positive, got %s", c.CatalogTimeout))
	}
	errs = append(errs, c.Base.Validate(), c.Broker.Validate(), platform.ValidateURL("CATALOG_URL", c.CatalogURL))
	return errors.Join(errs...)
}
