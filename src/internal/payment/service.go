package payment

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// Service is a running payment service. Open builds it for the payment
// binary and the all-in-one runner alike.
type Service struct {
	Store    Store
	Provider Provider
	App      *fiber.App
	Outbox   *outbox.Memory // the embedded outbox; nil on PostgreSQL

	logger   *slog.Logger
	relayBox mq.Outbox
	events   *mq.Metrics
	charger  charger
	tracer   trace.TracerProvider // nil: tracing off
	close    func()
}

// Open connects the store cfg selects (PostgreSQL when DATABASE_URL is set,
// else memory) and the provider, and builds the HTTP app.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	svc := &Service{logger: logger, close: func() {}, tracer: cfg.Tracer, Provider: NewTestProvider()}
	if cfg.Provider == "stripe" {
		p, err := openStripe(cfg)
		if err != nil {
			return nil, err
		}
		svc.Provider = p
	}
	reg := platform.NewRegistry()
	cfg.Database.Tracer = cfg.Tracer
	backing, err := outbox.OpenBacking(ctx, cfg.Database, "payment", reg, Migrate, logger)
	if err != nil {
		return nil, err
	}
	svc.Outbox, svc.relayBox, svc.close = backing.Memory, backing.Box, backing.Close
	if backing.Pool != nil {
		svc.Store = NewPostgresStore(backing.Pool)
	} else {
		svc.Store = NewMemoryStore(backing.Memory)
	}
	logger.InfoContext(ctx, "payment provider", "provider", svc.Provider.Name())
	svc.events = mq.NewMetrics(reg)
	mq.RegisterOutboxMetrics(reg, svc.relayBox)
	svc.charger = charger{store: svc.Store, provider: svc.Provider, timeout: cfg.ProviderTimeout, metrics: NewMetrics(reg), logger: logger}
	svc.App = platform.NewApp("payment", cfg.Base, logger, reg, platform.Checks{"store": svc.Store.Ping})
	Routes(svc.App, svc.Store, svc.Provider, cfg.ProviderTimeout, cfg.AdminToken)
	return svc, nil
}

// Subscribe starts the payment service's consumer on bus: it records,
// charges and refunds on the saga's events. Call it before Run and before
// serving.
func (s *Service) Subscribe(ctx context.Context, bus mq.Bus) error {
	return mq.SubscribeAll(ctx, bus, s.events, s.tracer, s.charger.subscription())
}

// Run relays the payment service's outbox to bus until ctx ends.
func (s *Service) Run(ctx context.Context, bus mq.Bus) error {
	return mq.NewRelay(s.relayBox, bus, s.events, mq.RelayOptions{Logger: s.logger, Tracer: s.tracer}).Run(ctx)
}

// Close releases the store's connections, after the HTTP server has
// drained and the bus has stopped.
func (s *Service) Close() { s.close() }
