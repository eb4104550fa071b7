package mq

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sethvargo/go-retry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// Outbox is what the relay needs of an outbox: outbox.Postgres or
// outbox.Memory.
type Outbox = outbox.Box

// RelayOptions tune a relay; zero values give the defaults.
type RelayOptions struct {
	// Batch is how many events one claim takes (default 100).
	Batch int
	// Poll is how often the relay looks for due events when nothing woke
	// it: retries fall due, and notifications can be lost (default 1s).
	Poll time.Duration
	// PublishTimeout bounds the wait for one batch's confirms (default 10s).
	PublishTimeout time.Duration
	// Logger receives failures.
	Logger *slog.Logger
	// Tracer, when set, makes each publish of an event that carries a
	// trace context a span in that trace.
	Tracer trace.TracerProvider
}

// Relay moves events from a service's outbox to the bus. Any number of
// relays may run on one outbox (one per replica): each claims its own rows.
type Relay struct {
	box     Outbox
	bus     Bus
	metrics *Metrics
	opts    RelayOptions
}

// NewRelay returns a relay from box to bus, counting on m (optional).
func NewRelay(box Outbox, bus Bus, m *Metrics, opts RelayOptions) *Relay {
	if opts.Batch < 1 {
		opts.Batch = 100
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Relay{box: box, bus: bus, metrics: orDiscard(m), opts: opts}
}

// Run relays until ctx ends. A full batch is followed by the next at once;
// otherwise the relay waits for a new event, the poll interval, or, while
// the broker or the database is out, a growing backoff.
func (r *Relay) Run(ctx context.Context) error {
	wake := r.box.Wake(ctx)
	if p, ok := r.box.(pruner); ok {
		go r.prune(ctx, p)
	}
	newBackoff := func() retry.Backoff { return platform.Backoff(100*time.Millisecond, 2*time.Second) }
	backoff, failed := newBackoff(), false
	for ctx.Err() == nil {
		n, outage, err := r.once(ctx)
		switch {
		case ctx.Err() != nil:
			return nil //nolint:nilerr // a failure caused by shutting down is not one
		case err != nil || outage:
			if err != nil {
				r.opts.Logger.WarnContext(ctx, "outbox relay failed; retrying", "error", err)
			}
			failed = true
			platform.Pause(ctx, backoff)
			continue
		}
		if failed {
			backoff, failed = newBackoff(), false
		}
		if n == r.opts.Batch {
			continue
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(r.opts.Poll):
		}
	}
	return nil
}

// pruner is an outbox that keeps sent events (outbox.Postgres) and so
// needs them deleted now and then.
type pruner interface {
	Prune(ctx context.Context, retention time.Duration) error
}

// Retention is how long sent events and processed-event records are kept:
// for an operator to inspect, and far beyond any redelivery.
const Retention = 7 * 24 * time.Hour

func (r *Relay) prune(ctx context.Context, p pruner) {
	for {
		if err := p.Prune(ctx, Retention); err != nil && ctx.Err() == nil {
			r.opts.Logger.WarnContext(ctx, "pruning the outbox failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Minute):
		}
	}
}

// once relays one batch and tells whether the bus was unreachable.
func (r *Relay) once(ctx context.Context) (int, bool, error) {
	outage := false
	n, err := r.box.Relay(ctx, r.opts.Batch, func(ctx context.Context, list []events.Envelope) []error {
		errs := r.publish(ctx, list)
		for _, err := range errs {
			if errors.Is(err, platform.ErrUnavailable) {
				outage = true
			}
		}
		return errs
	})
	return n, outage, err
}

// publish sends a batch concurrently, so confirms are awaited together.
func (r *Relay) publish(ctx context.Context, list []events.Envelope) []error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.PublishTimeout)
	defer cancel()
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, e := range list {
		wg.Go(func() { errs[i] = r.publishOne(ctx, e) })
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			// An outage is logged by the bus, once; an event nobody is bound
			// to yet (a consumer not deployed) shows in the backlog metrics.
			if !errors.Is(err, platform.ErrUnavailable) && !errors.Is(err, ErrUnroutable) {
				r.opts.Logger.WarnContext(ctx, "event not published; will retry", "event_id", list[i].ID, "event_type", list[i].Type, "error", err)
			}
		}
	}
	r.metrics.published.Add(float64(len(list) - failed))
	r.metrics.publishFailures.Add(float64(failed))
	return errs
}

// publishOne publishes e, as a span in e's trace when there is one to join
// and tracing is on. The event then carries the publish span's context, so
// its consumers' spans are children of the publish; the outbox row keeps
// the writer's. The gap before the span is the time the event waited in
// the outbox, also recorded as an attribute.
func (r *Relay) publishOne(ctx context.Context, e events.Envelope) error {
	if r.opts.Tracer == nil || e.TraceParent == "" {
		return r.bus.Publish(ctx, e)
	}
	ctx, span := r.opts.Tracer.Tracer(instrumentation).Start(e.TraceContext(ctx), "publish "+e.Type,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			semconv.MessagingSystemRabbitMQ,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingDestinationName(events.Exchange),
			semconv.MessagingMessageID(e.ID),
			attribute.Int64("shop.outbox.wait_ms", time.Since(e.Time).Milliseconds()),
		))
	defer span.End()
	e.TraceParent, e.TraceState = "", ""
	err := r.bus.Publish(ctx, e.WithTrace(ctx))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// RegisterOutboxMetrics exposes box's backlog and the age of its oldest
// unsent event on reg, read at each scrape.
func RegisterOutboxMetrics(reg prometheus.Registerer, box Outbox) {
	reg.MustRegister(outboxCollector{box: box})
}

type outboxCollector struct{ box Outbox }

var (
	backlogDesc = prometheus.NewDesc(MetricOutboxBacklog, "Events in the outbox not yet published.", nil, nil)
	ageDesc     = prometheus.NewDesc(MetricOutboxOldestAge, "Age of the oldest unpublished outbox event (0 when none).", nil, nil)
)

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- backlogDesc; ch <- ageDesc }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.box.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(backlogDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(s.Backlog))
	ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, s.OldestAge.Seconds())
}
