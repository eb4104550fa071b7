// Command catalog serves the product catalog on port 5001.
package main

import (
	"context"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
)

func main() { service.Main("catalog", run) }

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[catalog.Config](environ)
	if err != nil {
		return err
	}
	spec := service.Spec{Name: "catalog", Config: cfg, Base: &cfg.Base, Port: cfg.Port, Broker: cfg.Broker}
	return service.Run(ctx, spec, func(ctx context.Context, logger *slog.Logger) (service.Service, error) {
		svc, err := catalog.Open(ctx, cfg, logger)
		if err != nil {
			return service.Service{}, err
		}
		return service.Service{App: svc.App, Subscribe: svc.Subscribe, Work: svc.Run, Close: svc.Close}, nil
	})
}
