// Command catalog serves the product catalog on port 5001.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := platform.LoadConfig[catalog.Config](env.ToMap(os.Environ()))
	if err != nil {
		return err
	}
	logger, closeLog, err := platform.NewLogger("catalog", cfg.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", "catalog")
	logger.InfoContext(ctx, "starting", "config", cfg)
	tracer, stopTracing, err := tracing.Start(ctx, cfg.Trace, "catalog", logger)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: the spans of the shutdown go out too.
	defer stopTracing()
	cfg.Tracer = tracer

	svc, err := catalog.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()

	bus, err := mq.Open(cfg.Broker, mq.Options{ConnectionName: "catalog", Logger: logger})
	if err != nil {
		return err
	}
	// Handlers in flight finish before the store's connections close.
	defer func() { _ = bus.Close() }()

	return platform.ListenAndServe(ctx, logger, cfg.Base, cfg.Port, svc.App,
		func(ctx context.Context) error { return svc.Run(ctx, bus) })
}
