// Command order serves the order API on port 5003 and runs the order side
// of the stock saga.
package main

import (
	"context"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
)

func main() { service.Main("order", run) }

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[order.Config](environ)
	if err != nil {
		return err
	}
	spec := service.Spec{Name: "order", Config: cfg, Base: &cfg.Base, Port: cfg.Port, Broker: cfg.Broker}
	return service.Run(ctx, spec, func(ctx context.Context, logger *slog.Logger) (service.Service, error) {
		svc, err := order.Open(ctx, cfg, logger)
		if err != nil {
			return service.Service{}, err
		}
		return service.Service{App: svc.App, Subscribe: svc.Subscribe, Work: svc.Run, Close: svc.Close}, nil
	})
}
