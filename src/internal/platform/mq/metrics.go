package mq

import "github.com/prometheus/client_golang/prometheus"

// Metric names, referred to by dashboards and alert rules.
const (
	MetricPublished        = "shop_outbox_published_total"
	MetricPublishFailures  = "shop_outbox_publish_failures_total"
	MetricOutboxBacklog    = "shop_outbox_backlog_events"
	MetricOutboxOldestAge  = "shop_outbox_oldest_unsent_age_seconds"
	MetricConsumed         = "shop_consumer_processed_total"
	MetricConsumerFailures = "shop_consumer_failed_total"
	MetricRedelivered      = "shop_consumer_redelivered_total"
	MetricDeadLettered     = "shop_consumer_dead_lettered_total"
	MetricConsumerUp       = "shop_consumer_up"
)

// Metrics counts what one service's relay and consumers do. Each service
// registers its own on its own registry and hands it to its relay and
// subscriptions; where none is given, counts go to a private registry.
type Metrics struct {
	published       prometheus.Counter
	publishFailures prometheus.Counter
	processed       *prometheus.CounterVec
	failed          *prometheus.CounterVec
	redelivered     *prometheus.CounterVec
	deadLettered    *prometheus.CounterVec
	up              *prometheus.GaugeVec
}

// NewMetrics registers the event metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	perQueue := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"queue"})
	}
	m := &Metrics{
		published:       prometheus.NewCounter(prometheus.CounterOpts{Name: MetricPublished, Help: "Outbox events published and confirmed by the broker."}),
		publishFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: MetricPublishFailures, Help: "Outbox events whose publication failed and will be retried."}),
		processed:       perQueue(MetricConsumed, "Events handled and acknowledged."),
		failed:          perQueue(MetricConsumerFailures, "Handler failures (each is retried or dead-lettered)."),
		redelivered:     perQueue(MetricRedelivered, "Deliveries of events seen before (after a failure or a lost connection)."),
		deadLettered:    perQueue(MetricDeadLettered, "Events moved to the dead-letter queue."),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricConsumerUp, Help: "1 while the consumer of the queue is receiving deliveries, 0 while it cannot (no broker, no channel).",
		}, []string{"queue"}),
	}
	reg.MustRegister(m.published, m.publishFailures, m.processed, m.failed, m.redelivered, m.deadLettered, m.up)
	return m
}

// initQueue makes queue's series exist from the start, at 0 and with the
// consumer's state, so rates and alerts over them see a consumer that has
// never failed rather than no consumer at all.
func (m *Metrics) initQueue(queue string, up bool) {
	for _, c := range []*prometheus.CounterVec{m.processed, m.failed, m.redelivered, m.deadLettered} {
		c.WithLabelValues(queue)
	}
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues(queue).Set(v)
}

// orDiscard returns m, or metrics nobody scrapes when m is nil.
func orDiscard(m *Metrics) *Metrics {
	if m == nil {
		return NewMetrics(prometheus.NewRegistry())
	}
	return m
}
