package frontend

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Metric names, referred to by the dashboards and alert rules.
const (
	MetricPageSeconds    = "shop_frontend_page_render_seconds"
	MetricBackendSeconds = "shop_frontend_backend_request_seconds"
	MetricBreakerOpen    = "shop_frontend_backend_breaker_open"
)

// metrics are the storefront's own measurements, beside the HTTP metrics
// every service has.
type metrics struct {
	page        *prometheus.HistogramVec
	backend     *prometheus.HistogramVec
	breakerOpen *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		page: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricPageSeconds,
			Help:    "Time to build and render a storefront page, backend calls included, by page and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"page", "status"}),
		backend: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricBackendSeconds,
			Help:    "Duration of calls to the catalog, search and order services, by outcome (ok, client_error, unavailable, breaker_open).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"backend", "outcome"}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricBreakerOpen,
			Help: "1 while the circuit breaker in front of a backend is open (calls fail fast), else 0.",
		}, []string{"backend"}),
	}
	reg.MustRegister(m.page, m.backend, m.breakerOpen)
	return m
}

func (m *metrics) observeBackend(ctx context.Context, backend, outcome string, d time.Duration) {
	platform.Observe(ctx, m.backend.WithLabelValues(backend, outcome), d.Seconds())
}
