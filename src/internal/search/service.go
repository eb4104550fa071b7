package search

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Service is a running search service: its index backend, the indexer
// that keeps it current and the HTTP app. Open builds it for both the search
// binary and the all-in-one shop runner.
type Service struct {
	Backend    Backend
	Indexer    *Indexer
	App        *fiber.App
	busMetrics *mq.Metrics
	tracer     trace.TracerProvider // nil: tracing off
}

// Open builds the backend chosen by cfg (Elasticsearch when
// ELASTICSEARCH_URL is set, else the embedded index) and the HTTP app. It
// contacts nothing: Run prepares the index and fills it.
func Open(cfg Config, logger *slog.Logger) (*Service, error) {
	var backend Backend
	if cfg.ElasticsearchURL != "" {
		e, err := openElastic(cfg, logger)
		if err != nil {
			return nil, err
		}
		backend = e
		logger.Info("search index: Elasticsearch", "alias", cfg.ElasticsearchIndex)
	} else {
		e, err := NewEmbedded()
		if err != nil {
			return nil, err
		}
		backend = e
		logger.Info("search index: embedded (bleve, in memory); set ELASTICSEARCH_URL for Elasticsearch")
	}
	if cfg.CacheTTL > 0 {
		backend = NewCached(backend, cfg.CacheSize, cfg.CacheTTL)
	}
	reg := platform.NewRegistry()
	m := newMetrics(reg, backend)
	ix := NewIndexer(backend, NewCatalogClient(cfg.CatalogURL, cfg.CatalogTimeout, cfg.Tracer), logger, m, cfg.ReindexInterval)
	app := platform.NewApp("search", cfg.Base, logger, reg, platform.Checks{
		"index":        backend.Ping,
		"initial_load": ix.Loaded,
	})
	Routes(app, backend, ix, m, cfg.AdminToken)
	return &Service{Backend: backend, Indexer: ix, App: app, busMetrics: mq.NewMetrics(reg), tracer: cfg.Tracer}, nil
}

// Subscribe subscribes the indexer to product events on bus. Call it
// before Run: subscribing first means no change made during the initial
// load is missed.
func (s *Service) Subscribe(ctx context.Context, bus mq.Bus) error {
	return mq.SubscribeAll(ctx, bus, s.busMetrics, s.tracer, s.Indexer.Subscription())
}

// Run prepares and fills the index and serves rebuilds until ctx ends.
func (s *Service) Run(ctx context.Context, _ mq.Bus) error {
	s.Indexer.Run(ctx)
	return nil
}

// Close releases the index. Call it after the HTTP server has drained and
// the bus is closed.
func (s *Service) Close() error { return s.Backend.Close() }
