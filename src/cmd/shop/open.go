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

// opened is what a service's open gives openService: the service, its
// app, and its close for the teardown (nil when it holds nothing).
type opened[S any] struct {
	svc   S
	app   *fiber.App
	close func() error
}

// openService opens one service the same way for all five: its config from
// the environment on the port make run chose (fields points at the
// config's Base and Port), its tracer, then open with a logger of its own;
// the service's close goes to the teardown, and it gets its listener.
func openService[C platform.Validator, S any](ctx context.Context, o opener, name string, port int,
	fields func(*C) (*platform.Base, *int), open func(C, *slog.Logger) (opened[S], error),
) (S, endpoint, error) {
	var none S
	cfg, err := platform.LoadConfig[C](o.environ)
	if err != nil {
		return none, endpoint{}, fmt.Errorf("%s: %w", name, err)
	}
	base, configPort := fields(&cfg)
	*configPort = port
	if err := o.td.trace(ctx, o.logger, name, base); err != nil {
		return none, endpoint{}, err
	}
	s, err := open(cfg, o.logger.With("service", name))
	if err != nil {
		return none, endpoint{}, fmt.Errorf("%s: %w", name, err)
	}
	if s.close != nil {
		o.td.store(name, s.close)
	}
	ln, err := platform.Listen(ctx, base.Host, port)
	return s.svc, endpoint{name, s.app, ln, base.ShutdownTimeout}, err
}

func (o opener) catalog(ctx context.Context, port int) (*catalog.Service, endpoint, error) {
	return openService(ctx, o, "catalog", port,
		func(c *catalog.Config) (*platform.Base, *int) { return &c.Base, &c.Port },
		func(cfg catalog.Config, logger *slog.Logger) (opened[*catalog.Service], error) {
			svc, err := catalog.Open(ctx, cfg, logger)
			if err != nil {
				return opened[*catalog.Service]{}, err
			}
			return opened[*catalog.Service]{svc, svc.App, func() error { svc.Close(); return nil }}, nil
		})
}

func (o opener) payment(ctx context.Context, port int) (*payment.Service, endpoint, error) {
	return openService(ctx, o, "payment", port,
		func(c *payment.Config) (*platform.Base, *int) { return &c.Base, &c.Port },
		func(cfg payment.Config, logger *slog.Logger) (opened[*payment.Service], error) {
			svc, err := payment.Open(ctx, cfg, logger)
			if err != nil {
				return opened[*payment.Service]{}, err
			}
			return opened[*payment.Service]{svc, svc.App, func() error { svc.Close(); return nil }}, nil
		})
}

// order opens the order service. Beside the traces, make run keeps the
// shoppers' emails in a mailbox shown at /mail, unless SMTP_HOST sends
// them to a real server: the mailbox is returned then, else nil.
func (o opener) order(ctx context.Context, port int) (*order.Service, endpoint, *order.Mailbox, error) {
	var mailbox *order.Mailbox
	svc, ep, err := openService(ctx, o, "order", port,
		func(c *order.Config) (*platform.Base, *int) { return &c.Base, &c.Port },
		func(cfg order.Config, logger *slog.Logger) (opened[*order.Service], error) {
			if o.td.recorder != nil && cfg.Mail.Host == "" {
				mailbox = &order.Mailbox{}
				cfg.Mail.Mailbox = mailbox
			}
			svc, err := order.Open(ctx, cfg, logger)
			if err != nil {
				return opened[*order.Service]{}, err
			}
			return opened[*order.Service]{svc, svc.App, func() error { svc.Close(); return nil }}, nil
		})
	return svc, ep, mailbox, err
}

func (o opener) search(ctx context.Context, port int) (*search.Service, endpoint, error) {
	return openService(ctx, o, "search", port,
		func(c *search.Config) (*platform.Base, *int) { return &c.Base, &c.Port },
		func(cfg search.Config, logger *slog.Logger) (opened[*search.Service], error) {
			svc, err := search.Open(cfg, logger)
			if err != nil {
				return opened[*search.Service]{}, err
			}
			return opened[*search.Service]{svc, svc.App, svc.Close}, nil
		})
}

// frontend builds the storefront over the other services' listeners.
func (o opener) frontend(ctx context.Context, port int, catalogEP, searchEP, orderEP endpoint) (endpoint, error) {
	_, ep, err := openService(ctx, o, "frontend", port,
		func(c *frontend.Config) (*platform.Base, *int) { return &c.Base, &c.Port },
		func(cfg frontend.Config, logger *slog.Logger) (opened[struct{}], error) {
			cfg.CatalogURL, cfg.SearchURL, cfg.OrderURL = localURL(catalogEP.ln), localURL(searchEP.ln), localURL(orderEP.ln)
			app, err := frontend.NewApp(cfg, logger, platform.NewRegistry())
			return opened[struct{}]{app: app}, err
		})
	return ep, err
}
