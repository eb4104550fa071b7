// Package service runs one of the shop's services as a process of its own:
// what every src/cmd/<service>/main.go does around the service itself, in
// the order a graceful shutdown needs. A service's main is its config and
// what its package opens:
//
//	func main() { service.Main("catalog", run) }
//
//	func run(ctx context.Context, environ map[string]string) error {
//		cfg, err := platform.LoadConfig[catalog.Config](environ)
//		...
//		return service.Run(ctx, service.Spec{Name: "catalog", Config: cfg, Base: &cfg.Base, Port: cfg.Port, Broker: cfg.Broker}, open)
//	}
//
// It lives apart from package platform because it starts tracing and the
// bus (packages tracing and mq), which import platform.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/caarlos0/env/v11"
	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// Main runs run with the process's environment until SIGINT or SIGTERM,
// and exits 1 with the error, prefixed by the service's name, if it fails.
func Main(name string, run func(ctx context.Context, environ map[string]string) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, env.ToMap(os.Environ()))
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Spec is what Run needs of a service's configuration. Base points into
// the service's config, so the tracer Run sets up reaches what open builds
// from that config.
type Spec struct {
	Name string
	// Config is logged at start (secrets are masked).
	Config any
	Base   *platform.Base
	Port   int
	// Broker is the bus Service.Work runs on: RabbitMQ when its URL is
	// set, else the in-process bus.
	Broker mq.Config
}

// Service is what a service's package opened.
type Service struct {
	App *fiber.App
	// Subscribe, when set, starts the service's consumers on the bus
	// before the server and Work start, so nothing the service is asked to
	// do can publish an event before its own queues exist.
	Subscribe func(ctx context.Context, bus mq.Bus) error
	// Work, when set, runs beside the server on the bus until shutdown
	// (relays, indexing).
	Work func(ctx context.Context, bus mq.Bus) error
	// Close, when set, closes the service's stores after the bus.
	Close func()
}

// Run starts the logger and tracing, the service open returns and its bus,
// serves until ctx ends (platform.ListenAndServe drains the Kubernetes
// way), then closes in reverse: the bus before the stores its handlers
// write to, tracing last so the spans of the shutdown go out too.
func Run(ctx context.Context, spec Spec, open func(ctx context.Context, logger *slog.Logger) (Service, error)) error {
	logger, closeLog, err := platform.NewLogger(spec.Name, *spec.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()
	logger = logger.With("service", spec.Name)
	logger.InfoContext(ctx, "starting", "config", spec.Config)
	tracer, stopTracing, err := tracing.Start(ctx, spec.Base.Trace, spec.Name, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	spec.Base.Tracer = tracer

	svc, err := open(ctx, logger)
	if err != nil {
		return err
	}
	if svc.Close != nil {
		defer svc.Close()
	}
	var workers []func(context.Context) error
	if svc.Work != nil || svc.Subscribe != nil {
		bus, err := mq.Open(spec.Broker, mq.Options{ConnectionName: spec.Name, Logger: logger})
		if err != nil {
			return fmt.Errorf("event bus: %w", err)
		}
		defer func() { _ = bus.Close() }()
		if svc.Subscribe != nil {
			if err := svc.Subscribe(ctx, bus); err != nil {
				return err
			}
		}
		if svc.Work != nil {
			workers = append(workers, func(ctx context.Context) error { return svc.Work(ctx, bus) })
		}
	}
	return platform.ListenAndServe(ctx, logger, *spec.Base, spec.Port, svc.App, workers...)
}
