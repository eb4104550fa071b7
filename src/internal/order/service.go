package order

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// Metric names, referred to by dashboards and alert rules.
const (
	MetricCreated   = "shop_orders_created_total"
	MetricConfirmed = "shop_orders_confirmed_total"
	MetricRejected  = "shop_orders_rejected_total"
	MetricCancelled = "shop_orders_cancelled_total"
)

// Metrics count orders through the saga.
type Metrics struct {
	created, confirmed, rejected, cancelled prometheus.Counter
}

// NewMetrics registers the order metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Metrics{
		created:   c(MetricCreated, "Orders accepted (pending)."),
		confirmed: c(MetricConfirmed, "Orders confirmed: their stock was reserved and their payment captured."),
		rejected:  c(MetricRejected, "Orders rejected: their stock could not be reserved or their payment was declined."),
		cancelled: c(MetricCancelled, "Orders cancelled by the shopper: refunded, stock released."),
	}
	reg.MustRegister(m.created, m.confirmed, m.rejected, m.cancelled)
	return m
}

// SettleQueue is the order service's queue of stock outcomes.
const SettleQueue = "order.settle"

// Service is a running order service. Open builds it for the order binary
// and the all-in-one runner alike.
type Service struct {
	Store  Store
	App    *fiber.App
	Outbox *outbox.Memory // the embedded outbox; nil on PostgreSQL

	logger   *slog.Logger
	relayBox mq.Outbox
	events   *mq.Metrics
	orders   *Metrics
	tracer   trace.TracerProvider // nil: tracing off
	mail     *MailRelay           // nil: email off
	close    func()
}

// Open connects the store cfg selects (PostgreSQL when DATABASE_URL is set,
// else memory), migrates it and builds the HTTP app.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Service, error) {
	svc := &Service{logger: logger, close: func() {}, tracer: cfg.Tracer}
	reg := platform.NewRegistry()
	cfg.Database.Tracer = cfg.Tracer
	backing, err := outbox.OpenBacking(ctx, cfg.Database, "order", reg, Migrate, logger)
	if err != nil {
		return nil, err
	}
	svc.Outbox, svc.relayBox, svc.close = backing.Memory, backing.Box, backing.Close
	if backing.Pool != nil {
		svc.Store = NewPostgresStore(backing.Pool)
	} else {
		svc.Store = NewMemoryStore(backing.Memory)
	}
	if m := cfg.Mail.mailer(); m != nil {
		queue := svc.Store.(MailQueue)
		queue.EnableMail()
		svc.mail = &MailRelay{Queue: queue, Mailer: m, From: cfg.Mail.From, Logger: logger, Every: time.Second}
		logger.InfoContext(ctx, "order email: on", "smtp_host", cfg.Mail.Host)
	}
	svc.events, svc.orders = mq.NewMetrics(reg), NewMetrics(reg)
	mq.RegisterOutboxMetrics(reg, svc.relayBox)
	svc.App = platform.NewApp("order", cfg.Base, logger, reg, platform.Checks{"store": svc.Store.Ping})
	Routes(svc.App, placer{store: svc.Store, prices: NewCatalogClient(cfg.CatalogURL, cfg.CatalogTimeout, cfg.Tracer),
		cards: NewPaymentClient(cfg.PaymentURL, cfg.PaymentTimeout, cfg.Tracer), metrics: svc.orders}, cfg.AdminToken)
	return svc, nil
}

// Subscribe starts the order service's consumer on bus: it settles orders
// on the saga's outcomes. Call it before Run and before serving.
func (s *Service) Subscribe(ctx context.Context, bus mq.Bus) error {
	return mq.SubscribeAll(ctx, bus, s.events, s.tracer, settleSubscription(s.Store, s.orders))
}

// Run relays the order service's outbox to bus, and sends its emails when
// they are on, until ctx ends.
func (s *Service) Run(ctx context.Context, bus mq.Bus) error {
	g, ctx := errgroup.WithContext(ctx)
	if s.mail != nil {
		g.Go(func() error { return s.mail.Run(ctx) })
	}
	g.Go(func() error {
		return mq.NewRelay(s.relayBox, bus, s.events, mq.RelayOptions{Logger: s.logger, Tracer: s.tracer}).Run(ctx)
	})
	return g.Wait()
}

// settleSubscription is the order service's subscription: the saga's
// outcomes on SettleQueue, shared by its replicas. stock.reserved is the
// payment service's cue, not the order's: an order is confirmed once its
// payment is captured.
func settleSubscription(store Store, m *Metrics) mq.Subscription {
	return mq.Subscription{Queue: SettleQueue, Types: []string{events.StockRejected, events.PaymentCaptured, events.PaymentDeclined}, Handler: settleHandler(store, m)}
}

// settleHandler moves orders to confirmed or rejected.
func settleHandler(store Store, m *Metrics) mq.Handler {
	return func(ctx context.Context, e events.Envelope) error {
		var orderID, reason, payment string
		status := Confirmed
		switch e.Type {
		case events.StockRejected:
			var d events.StockRejectedData
			if err := e.Decode(&d); err != nil {
				return mq.Permanent(err)
			}
			orderID, reason, status = d.OrderID, d.Reason, Rejected
		case events.PaymentDeclined:
			var d events.PaymentDeclinedData
			if err := e.Decode(&d); err != nil {
				return mq.Permanent(err)
			}
			orderID, reason, status, payment = d.OrderID, d.Reason, Rejected, PaymentDeclined
			if d.Code == "processing_error" {
				payment = PaymentFailed
			}
		default:
			var d events.PaymentCapturedData
			if err := e.Decode(&d); err != nil {
				return mq.Permanent(err)
			}
			orderID, payment = d.OrderID, PaymentCaptured
		}
		moved, err := store.Settle(ctx, e.ID, orderID, status, reason, payment)
		if err != nil || !moved {
			return err
		}
		if status == Confirmed {
			m.confirmed.Inc()
		} else {
			m.rejected.Inc()
		}
		return nil
	}
}

// Close releases the store's connections, after the HTTP server has
// drained and the bus has stopped.
func (s *Service) Close() { s.close() }
