// Command catalog serves the product catalog on port 5001.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/caarlos0/env/v11"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
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

	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	logger.InfoContext(ctx, "serving", "addr", ln.Addr().String())
	err = platform.Serve(ctx, svc.App, ln, cfg.ShutdownTimeout)
	logger.InfoContext(ctx, "stopped", "error", err)
	return err
}
