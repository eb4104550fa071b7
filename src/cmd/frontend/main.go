// Command frontend serves the storefront on port 5004.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "frontend:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := platform.LoadConfig[frontend.Config](env.ToMap(os.Environ()))
	if err != nil {
		return err
	}
	logger, closeLog, err := platform.NewLogger("frontend", cfg.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", "frontend")
	logger.InfoContext(ctx, "starting", "config", cfg)
	tracer, stopTracing, err := tracing.Start(ctx, cfg.Trace, "frontend", logger)
	if err != nil {
		return err
	}
	// Deferred first, so it runs last: the spans of the shutdown go out too.
	defer stopTracing()
	cfg.Tracer = tracer

	app, err := frontend.NewApp(cfg, logger, platform.NewRegistry())
	if err != nil {
		return err
	}
	return platform.ListenAndServe(ctx, logger, cfg.Base, cfg.Port, app)
}
