// Command payment serves the payment API on port 5005 and runs the payment
// side of the order saga: it charges reserved orders and refunds cancelled
// ones through the configured provider.
package main

import (
	"context"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
)

func main() { service.Main("payment", run) }

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[payment.Config](environ)
	if err != nil {
		return err
	}
	spec := service.Spec{Name: "payment", Config: cfg, Base: &cfg.Base, Port: cfg.Port, Broker: cfg.Broker}
	return service.Run(ctx, spec, func(ctx context.Context, logger *slog.Logger) (service.Service, error) {
		svc, err := payment.Open(ctx, cfg, logger)
		if err != nil {
			return service.Service{}, err
		}
		return service.Service{App: svc.App, Subscribe: svc.Subscribe, Work: svc.Run, Close: svc.Close}, nil
	})
}
