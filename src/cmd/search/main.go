// Command search serves product search on port 5002.
package main

import (
	"context"
	"log/slog"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/service"
	"github.com/shop-platform/shop/src/internal/search"
)

func main() { service.Main("search", run) }

func run(ctx context.Context, environ map[string]string) error {
	cfg, err := platform.LoadConfig[search.Config](environ)
	if err != nil {
		return err
	}
	spec := service.Spec{Name: "search", Config: cfg, Base: &cfg.Base, Port: cfg.Port, Broker: cfg.Broker}
	return service.Run(ctx, spec, func(_ context.Context, logger *slog.Logger) (service.Service, error) {
		// Without a broker the search binary alone has no publisher to
		// hear from: it keeps an in-process bus so it still serves, and
		// follows the catalog only through rebuilds.
		if cfg.Broker.URL == "" {
			logger.Warn("AMQP_URL is not set: product changes reach the index only through POST /search/reindex")
		}
		svc, err := search.Open(cfg, logger)
		if err != nil {
			return service.Service{}, err
		}
		return service.Service{App: svc.App, Subscribe: svc.Subscribe, Work: svc.Run, Close: func() { _ = svc.Close() }}, nil
	})
}
