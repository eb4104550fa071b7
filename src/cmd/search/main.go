// Command search serves product search on port 5002.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
	"github.com/shop-platform/shop/src/internal/search"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := platform.LoadConfig[search.Config](env.ToMap(os.Environ()))
	if err != nil {
		return err
	}
	logger, closeLog, err := platform.NewLogger("search", cfg.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", "search")
	logger.InfoContext(ctx, "starting", "config", cfg)
	tracer, stopTracing, err := tracing.Start(ctx, cfg.Trace, "search", logger)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: the spans of the shutdown go out too.
	defer stopTracing()
	cfg.Tracer = tracer

	svc, err := search.Open(cfg, logger)
	if err != nil {
		return err
	}
	defer func() { _ = svc.Close() }()
	bus, err := openBus(cfg.Broker, logger)
	if err != nil {
		return err
	}
	defer func() { _ = bus.Close() }()

	return platform.ListenAndServe(ctx, logger, cfg.Base, cfg.Port, svc.App,
		func(ctx context.Context) error { return svc.Run(ctx, bus) })
}

// openBus connects to RabbitMQ when AMQP_URL is set. Without it the search
// binary alone has no publisher to hear from: it keeps an in-process bus so
// it still serves, and follows the catalog only through rebuilds.
func openBus(cfg mq.Config, logger *slog.Logger) (mq.Bus, error) {
	if cfg.URL == "" {
		logger.Warn("AMQP_URL is not set: product changes reach the index only through POST /search/reindex")
	}
	bus, err := mq.Open(cfg, mq.Options{ConnectionName: "search", Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("event bus: %w", err)
	}
	return bus, nil
}
