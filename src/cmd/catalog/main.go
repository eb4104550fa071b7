// Command catalog serves the product catalog on port 5001.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
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

	ln, err := platform.Listen(ctx, cfg.Host, cfg.Port)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "serving", "addr", ln.Addr().String())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(gctx, bus) })
	g.Go(func() error { return platform.Serve(gctx, svc.App, ln, cfg.ShutdownTimeout) })
	err = g.Wait()
	logger.InfoContext(ctx, "stopped", "error", err)
	return err
}
