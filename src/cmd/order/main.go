// Command order serves the order API on port 5003 and runs the order side
// of the stock saga.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, env.ToMap(os.Environ())); err != nil {
		fmt.Fprintln(os.Stderr, "order:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[order.Config](environ)
	if err != nil {
		return err
	}
	logger, closeLog, err := platform.NewLogger("order", cfg.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", "order")
	logger.InfoContext(ctx, "starting", "config", cfg)
	tracer, stopTracing, err := tracing.Start(ctx, cfg.Trace, "order", logger)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: the spans of the shutdown go out too.
	defer stopTracing()
	cfg.Tracer = tracer

	svc, err := order.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	bus, err := mq.Open(cfg.Broker, mq.Options{ConnectionName: "order", Logger: logger})
	if err != nil {
		return err
	}
	// Handlers in flight finish before the store's connections close.
	defer func() { _ = bus.Close() }()

	return platform.ListenAndServe(ctx, logger, cfg.Base, cfg.Port, svc.App,
		func(ctx context.Context) error { return svc.Run(ctx, bus) })
}
