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

	app, err := frontend.NewApp(cfg, logger, platform.NewRegistry())
	if err != nil {
		return err
	}
	return platform.ListenAndServe(ctx, logger, cfg.Host, cfg.Port, app, cfg.ShutdownTimeout)
}
