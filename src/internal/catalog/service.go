package catalog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// Service is a running catalog: its store and its HTTP app. Open builds it
// for both the catalog binary and the all-in-one shop runner, so the two
// cannot drift apart.
type Service struct {
	Store  Store
	App    *fiber.App
	Outbox *outbox.Memory // the embedded outbox; nil on PostgreSQL
	close  func()

	logger   *slog.Logger
	relayBox mq.Outbox // the outbox the relay drains: Outbox or the table
	metrics  *mq.Metrics
	reserved *prometheus.CounterVec
	tracer   trace.TracerProvider // nil: tracing off
}

// Open connects the store chosen by cfg (PostgreSQL when DATABASE_URL is
// set, else memory), migrates and seeds it, and builds the HTTP app.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	svc := &Service{close: func() {}, logger: logger, tracer: cfg.Tracer}
	reg := platform.NewRegistry()
	cfg.Database.Tracer = cfg.Tracer
	backing, err := outbox.OpenBacking(ctx, cfg.Database, "catalog", reg, Migrate, logger)
	if err != nil {
		return nil, err
	}
	svc.Outbox, svc.relayBox = backing.Memory, backing.Box
	if backing.Pool != nil {
		cached := NewCachedStore(NewPostgresStore(backing.Pool))
		listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
		listening := make(chan struct{})
		go func() {
			defer close(listening)
			cached.Listen(listenCtx, backing.Pool, logger)
		}()
		svc.Store = cached
		svc.close = func() {
			stopListening()
			<-listening
			backing.Close()
		}
	} else {
		svc.Store = NewMemoryStore(backing.Memory)
	}
	if cfg.SeedCatalog {
		if err := seed(ctx, svc.Store, logger); err != nil {
			svc.Close()
			return nil, err
		}
	}
	svc.metrics, svc.reserved = mq.NewMetrics(reg), newReservationCounter(reg)
	mq.RegisterOutboxMetrics(reg, svc.relayBox)
	svc.App = NewApp(cfg, svc.Store, logger, reg)
	return svc, nil
}

// NewApp builds the catalog's HTTP app over store.
func NewApp(cfg Config, store Store, logger *slog.Logger, reg *prometheus.Registry) *fiber.App {
	app := platform.NewApp("catalog", cfg.Base, logger, reg, platform.Checks{"store": store.Ping})
	Routes(app, store, cfg.AdminToken)
	return app
}

func seed(ctx context.Context, store Store, logger *slog.Logger) error {
	products, err := SeedProducts()
	if err != nil {
		return err
	}
	n, err := store.SeedIfEmpty(ctx, products)
	if err != nil {
		return fmt.Errorf("seeding catalog: %w", err)
	}
	if n > 0 {
		logger.InfoContext(ctx, "seeded empty catalog", "products", n)
	}
	return nil
}

// Subscribe starts the catalog's consumers on bus: it reserves stock for
// the orders it receives and releases it when their payment is declined or
// they are cancelled. Call it before Run and before serving.
func (s *Service) Subscribe(ctx context.Context, bus mq.Bus) error {
	return mq.SubscribeAll(ctx, bus, s.metrics, s.tracer, reserveSubscription(s.Store, s.reserved), releaseSubscription(s.Store, s.reserved))
}

// Run relays the catalog's outbox to bus until ctx ends.
func (s *Service) Run(ctx context.Context, bus mq.Bus) error {
	return mq.NewRelay(s.relayBox, bus, s.metrics, mq.RelayOptions{Logger: s.logger, Tracer: s.tracer}).Run(ctx)
}

// Close releases the store's connections. Call it after the HTTP server
// has drained.
func (s *Service) Close() { s.close() }
