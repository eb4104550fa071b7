package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/search"
)

// endpoint is one service's HTTP side: its app on its listener, and how
// long its requests in flight may take to drain.
type endpoint struct {
	name    string
	app     *fiber.App
	ln      net.Listener
	timeout time.Duration
}

// opener opens the services one by one from the environment, each with its
// tracer, and hands what must be closed to td.
type opener struct {
	logger  *slog.Logger
	environ map[string]string
	td      *teardown
}

func (o opener) catalog(ctx context.Context, cfg catalog.Config, port int) (*catalog.Service, endpoint, error) {
	if err := o.td.trace(ctx, o.logger, "catalog", &cfg.Base); err != nil {
		return nil, endpoint{}, err
	}
	svc, err := catalog.Open(ctx, cfg, o.logger.With("service", "catalog"))
	if err != nil {
		return nil, endpoint{}, fmt.Errorf("catalog: %w", err)
	}
	o.td.store("catalog", func() error { svc.Close(); return nil })
	ln, err := platform.Listen(ctx, cfg.Host, port)
	return svc, endpoint{"catalog", svc.App, ln, cfg.ShutdownTimeout}, err
}

func (o opener) payment(ctx context.Context, port int) (*payment.Service, endpoint, error) {
	cfg, err := platform.LoadConfig[payment.Config](o.environ)
	if err != nil {
		return nil, endpoint{}, fmt.Errorf("payment: %w", err)
	}
	cfg.Port = port
	if err := o.td.trace(ctx, o.logger, "payment", &cfg.Base); err != nil {
		return nil, endpoint{}, err
	}
	svc, err := payment.Open(ctx, cfg, o.logger.With("service", "payment"))
	if err != nil {
		return nil, endpoint{}, fmt.Errorf("payment: %w", err)
	}
	o.td.store("payment", func() error { svc.Close(); return nil })
	ln, err := platform.Listen(ctx, cfg.Host, port)
	return svc, endpoint{"payment", svc.App, ln, cfg.ShutdownTimeout}, err
}

// order opens the order service. Beside the traces, make run keeps the
// shoppers' emails in a mailbox shown at /mail, unless SMTP_HOST sends
// them to a real server: the mailbox is returned then, else nil.
func (o opener) order(ctx context.Context, port int) (*order.Service, endpoint, *order.Mailbox, error) {
	cfg, err := platform.LoadConfig[order.Config](o.environ)
	if err != nil {
		return nil, endpoint{}, nil, fmt.Errorf("order: %w", err)
	}
	cfg.Port = port
	if err := o.td.trace(ctx, o.logger, "order", &cfg.Base); err != nil {
		return nil, endpoint{}, nil, err
	}
	var mailbox *order.Mailbox
	if o.td.recorder != nil && cfg.Mail.Host == "" {
		mailbox = &order.Mailbox{}
		cfg.Mail.Mailbox = mailbox
	}
	svc, err := order.Open(ctx, cfg, o.logger.With("service", "order"))
	if err != nil {
		return nil, endpoint{}, nil, fmt.Errorf("order: %w", err)
	}
	o.td.store("order", func() error { svc.Close(); return nil })
	ln, err := platform.Listen(ctx, cfg.Host, port)
	return svc, endpoint{"order", svc.App, ln, cfg.ShutdownTimeout}, mailbox, err
}

func (o opener) search(ctx context.Context, port int) (*search.Service, endpoint, error) {
	cfg, err := platform.LoadConfig[search.Config](o.environ)
	if err != nil {
		return nil, endpoint{}, fmt.Errorf("search: %w", err)
	}
	cfg.Port = port
	if err := o.td.trace(ctx, o.logger, "search", &cfg.Base); err != nil {
		return nil, endpoint{}, err
	}
	svc, err := search.Open(cfg, o.logger.With("service", "search"))
	if err != nil {
		return nil, endpoint{}, fmt.Errorf("search: %w", err)
	}
	o.td.store("search", svc.Close)
	ln, err := platform.Listen(ctx, cfg.Host, port)
	return svc, endpoint{"search", svc.App, ln, cfg.ShutdownTimeout}, err
}

// frontend builds the storefront over the other services' listeners.
func (o opener) frontend(ctx context.Context, port int, catalogEP, searchEP, orderEP endpoint) (endpoint, error) {
	cfg, err := platform.LoadConfig[frontend.Config](o.environ)
	if err != nil {
		return endpoint{}, fmt.Errorf("frontend: %w", err)
	}
	cfg.Port = port
	cfg.CatalogURL, cfg.SearchURL, cfg.OrderURL = localURL(catalogEP.ln), localURL(searchEP.ln), localURL(orderEP.ln)
	if err := o.td.trace(ctx, o.logger, "frontend", &cfg.Base); err != nil {
		return endpoint{}, err
	}
	app, err := frontend.NewApp(cfg, o.logger.With("service", "frontend"), platform.NewRegistry())
	if err != nil {
		return endpoint{}, fmt.Errorf("frontend: %w", err)
	}
	ln, err := platform.Listen(ctx, cfg.Host, port)
	return endpoint{"frontend", app, ln, cfg.ShutdownTimeout}, err
}
