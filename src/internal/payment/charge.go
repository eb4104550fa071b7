package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Source is the CloudEvents source of the payment service's events.
const Source = "/shop/payment"

// ChargeQueue is the payment service's queue, shared by its replicas.
const ChargeQueue = "payment.charge"

// Metric names, referred to by dashboards and alert rules.
const (
	// MetricOutcomes counts payments by outcome: captured, declined,
	// failed, refunded.
	MetricOutcomes = "shop_payments_total"
	// MetricUnknown counts charges whose outcome the provider did not
	// give in time (each resolved by asking it).
	MetricUnknown = "shop_payment_unknown_outcomes_total"
)

// Metrics count payments through the saga.
type Metrics struct {
	outcomes *prometheus.CounterVec
	unknown  prometheus.Counter
}

// NewMetrics registers the payment metrics on reg, every outcome at 0 so a
// ratio has its denominator from the start.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricOutcomes, Help: "Payments by outcome (captured, declined, failed, refunded)."}, []string{"outcome"}),
		unknown:  prometheus.NewCounter(prometheus.CounterOpts{Name: MetricUnknown, Help: "Charges whose outcome was unknown (timeout) and was asked of the provider."}),
	}
	for _, s := range []Status{Captured, Declined, Failed, Refunded} {
		m.outcomes.WithLabelValues(string(s))
	}
	reg.MustRegister(m.outcomes, m.unknown)
	return m
}

// charger handles the payment service's events.
type charger struct {
	store    Store
	provider Provider
	timeout  time.Duration
	metrics  *Metrics
	logger   *slog.Logger
}

func (c charger) subscription() mq.Subscription {
	return mq.Subscription{Queue: ChargeQueue, Types: []string{events.OrderCreated, events.StockReserved, events.OrderCancelled}, Handler: c.handle}
}

func (c charger) handle(ctx context.Context, e events.Envelope) error {
	switch e.Type {
	case events.OrderCreated:
		return c.record(ctx, e)
	case events.StockReserved:
		return c.charge(ctx, e)
	case events.OrderCancelled:
		return c.refund(ctx, e)
	}
	return mq.Permanent(fmt.Errorf("payment does not handle %s", e.Type))
}

// record keeps what an order owes and with which card, until its stock is
// reserved.
func (c charger) record(ctx context.Context, e events.Envelope) error {
	var d events.OrderCreatedData
	if err := e.Decode(&d); err != nil {
		return mq.Permanent(err)
	}
	if d.OrderID == "" || d.TotalCents < 0 || len(d.Currency) != 3 {
		return mq.Permanent(fmt.Errorf("order.created %s without an order id, a total or a currency", e.ID))
	}
	_, err := c.store.Record(ctx, Payment{OrderID: d.OrderID, MethodID: d.PaymentMethodID, AmountCents: d.TotalCents, Currency: d.Currency, CreatedAt: now(), UpdatedAt: now()})
	return err
}

// errNotRecorded is a stock.reserved that overtook its order.created: the
// retry finds the payment recorded.
var errNotRecorded = errors.New("no payment recorded for this order yet")

// charge authorises and captures a reserved order's total, once.
func (c charger) charge(ctx context.Context, e events.Envelope) error {
	var d events.StockReservedData
	if err := e.Decode(&d); err != nil {
		return mq.Permanent(err)
	}
	p, err := c.store.Get(ctx, d.OrderID)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("order %s: %w", d.OrderID, errNotRecorded)
	}
	if err != nil || p.Status != Pending {
		return err
	}
	o := declined(CodeNoPaymentMethod)
	if p.MethodID != "" {
		if o, err = c.chargeOnce(ctx, p); err != nil {
			return err
		}
	}
	var ev events.Envelope
	if o.Status == Captured {
		ev, err = events.New(Source, events.PaymentCaptured, events.PaymentCapturedData{OrderID: p.OrderID, PaymentID: o.ChargeID, AmountCents: p.AmountCents, Currency: p.Currency})
	} else {
		ev, err = events.New(Source, events.PaymentDeclined, events.PaymentDeclinedData{OrderID: p.OrderID, Code: o.Code, Reason: o.Reason})
	}
	if err != nil {
		return mq.Permanent(err)
	}
	moved, err := c.store.Settle(ctx, p.OrderID, o, ev)
	if moved {
		c.metrics.outcomes.WithLabelValues(string(o.Status)).Inc()
		c.logger.InfoContext(ctx, "payment settled", "order_id", p.OrderID, "status", o.Status, "code", o.Code)
	}
	return err
}

// chargeOnce charges p under its order id. A charge whose answer does not
// come in time may have happened: the provider is asked, by the same key,
// before anything else; if it has no answer either, the event is retried,
// and the retry's charge under the same key cannot charge twice.
func (c charger) chargeOnce(ctx context.Context, p Payment) (Outcome, error) {
	req := ChargeRequest{Key: p.OrderID, MethodID: p.MethodID, AmountCents: p.AmountCents, Currency: p.Currency}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	o, err := c.provider.Charge(cctx, req)
	cancel()
	if err == nil {
		return o, nil
	}
	c.metrics.unknown.Inc()
	c.logger.WarnContext(ctx, "charge outcome unknown: asking the provider", "order_id", p.OrderID, "error", err)
	fctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	o, found, ferr := c.provider.Find(fctx, p.OrderID)
	switch {
	case ferr != nil:
		return Outcome{}, fmt.Errorf("order %s: %w: charging: %w; asking: %w", p.OrderID, errUnknownOutcome, err, ferr)
	case !found:
		return Outcome{}, fmt.Errorf("order %s: the provider has no charge after %w", p.OrderID, err)
	}
	return o, nil
}

// refund returns a cancelled order's capture. An order that was never
// captured (declined, or placed before payment) has nothing to refund.
func (c charger) refund(ctx context.Context, e events.Envelope) error {
	var d events.OrderCancelledData
	if err := e.Decode(&d); err != nil {
		return mq.Permanent(err)
	}
	p, err := c.store.Get(ctx, d.OrderID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil || p.Status != Captured {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	err = c.provider.Refund(rctx, "refund-"+p.OrderID, p.ChargeID, p.AmountCents)
	cancel()
	if err != nil {
		return fmt.Errorf("refunding order %s: %w", p.OrderID, err)
	}
	ev, err := events.New(Source, events.PaymentRefunded, events.PaymentRefundedData{OrderID: p.OrderID, AmountCents: p.AmountCents, Currency: p.Currency})
	if err != nil {
		return mq.Permanent(err)
	}
	moved, err := c.store.Refund(ctx, p.OrderID, ev)
	if moved {
		c.metrics.outcomes.WithLabelValues(string(Refunded)).Inc()
	}
	return err
}
