// Command frontend serves the storefront on port 5004.
package main

import (
	"context"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
)

func main() { service.Main("frontend", run) }

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[frontend.Config](environ)
	if err != nil {
		return err
	}
	spec := service.Spec{Name: "frontend", Config: cfg, Base: &cfg.Base, Port: cfg.Port}
	return service.Run(ctx, spec, func(_ context.Context, logger *slog.Logger) (service.Service, error) {
		app, err := frontend.NewApp(cfg, logger, platform.NewRegistry())
		return service.Service{App: app}, err
	})
}
