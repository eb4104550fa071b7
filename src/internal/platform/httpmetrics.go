package platform

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

// httpMetrics records every routed request: the HTTP metrics the
// dashboards and alerts read (MetricHTTPRequests, MetricHTTPRequestDuration
// by status code, method and route, MetricHTTPInFlight by method; a
// service label), with the names, labels and buckets fiberprometheus
// records. It replaces that middleware because of what it cost on every
// request: it looked each series up by hashing its label values, built a
// string key per request, and attached a fresh exemplar to every
// observation that had a trace id, even one the sampler dropped (pointing
// at a trace that does not exist). Here each series is looked up once and
// kept, and a histogram bucket takes an exemplar of a sampled trace at
// most once a second: Prometheus keeps one per bucket and scrapes every
// 15 s or more, so more are never seen.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec
	skip     map[string]bool

	routesOnce sync.Once
	routes     map[routeKey]bool
	series     sync.Map // seriesKey -> *httpSeries
	gauges     sync.Map // method -> prometheus.Gauge
}

// httpBuckets are fiberprometheus's, so dashboards keep their quantiles.
var httpBuckets = []float64{
	1e-9, 2e-9, 5e-9, 1e-8, 2e-8, 5e-8, 1e-7, 2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5,
	1e-4, 2e-4, 5e-4, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60,
}

type routeKey struct{ method, path string }

type seriesKey struct {
	status       int
	method, path string
}

// httpSeries is one status, method and route's counter and histogram, and
// when each bucket last took an exemplar (Unix nanoseconds).
type httpSeries struct {
	requests  prometheus.Counter
	duration  prometheus.Observer
	exemplars []atomic.Int64
}

func newHTTPMetrics(reg prometheus.Registerer, service string, skip ...string) *httpMetrics {
	labels := prometheus.Labels{"service": service}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricHTTPRequests,
			Help: "Count all http requests by status code, method and path.", ConstLabels: labels},
			[]string{"status_code", "method", "path"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: MetricHTTPRequestDuration,
			Help: "Duration of all HTTP requests by status code, method and path.", ConstLabels: labels, Buckets: httpBuckets},
			[]string{"status_code", "method", "path"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricHTTPInFlight,
			Help: "All the requests in progress", ConstLabels: labels}, []string{"method"}),
		skip: map[string]bool{},
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	for _, p := range skip {
		m.skip[p] = true
	}
	return m
}

// handler is the middleware. Requests that match no route (a 404 from the
// catch-all) and the skipped paths are not recorded, as before.
func (m *httpMetrics) handler(c *fiber.Ctx) error {
	method := c.Method() // an immutable copy (platform.NewApp)
	gauge := m.gauge(method)
	gauge.Inc()
	defer gauge.Dec()
	start := time.Now()
	err := c.Next()

	path := c.Route().Path
	if path == "/" {
		path = c.Path()
	}
	path = routePath(path)
	m.routesOnce.Do(func() { m.routes = registeredRoutes(c.App()) })
	if !m.routes[routeKey{method, path}] || m.skip[path] {
		return err
	}
	status := c.Response().StatusCode()
	if err != nil {
		status = fiber.StatusInternalServerError
		if e, ok := err.(*fiber.Error); ok {
			status = e.Code
		}
	}
	s := m.seriesOf(seriesKey{status, method, path})
	s.requests.Inc()
	elapsed := time.Since(start).Seconds()
	if sc := trace.SpanContextFromContext(c.UserContext()); sc.IsSampled() && s.takeExemplar(elapsed) {
		s.duration.(prometheus.ExemplarObserver).ObserveWithExemplar(elapsed, prometheus.Labels{"traceID": sc.TraceID().String()})
		return err
	}
	s.duration.Observe(elapsed)
	return err
}

// routePath is a route's path without trailing slashes ("/" stays).
func routePath(p string) string {
	if p == "" || p == "/" {
		return p
	}
	if t := strings.TrimRight(p, "/"); t != "" {
		return t
	}
	return "/"
}

func registeredRoutes(app *fiber.App) map[routeKey]bool {
	routes := map[routeKey]bool{}
	for _, r := range app.GetRoutes(true) {
		routes[routeKey{r.Method, routePath(r.Path)}] = true
	}
	return routes
}

func (m *httpMetrics) gauge(method string) prometheus.Gauge {
	if g, ok := m.gauges.Load(method); ok {
		return g.(prometheus.Gauge)
	}
	g, _ := m.gauges.LoadOrStore(method, m.inFlight.WithLabelValues(method))
	return g.(prometheus.Gauge)
}

func (m *httpMetrics) seriesOf(k seriesKey) *httpSeries {
	if s, ok := m.series.Load(k); ok {
		return s.(*httpSeries)
	}
	code := strconv.Itoa(k.status)
	s, _ := m.series.LoadOrStore(k, &httpSeries{
		requests:  m.requests.WithLabelValues(code, k.method, k.path),
		duration:  m.duration.WithLabelValues(code, k.method, k.path),
		exemplars: make([]atomic.Int64, len(httpBuckets)+1),
	})
	return s.(*httpSeries)
}

// takeExemplar reports whether the bucket of v may take an exemplar now:
// its last one is at least a second old.
func (s *httpSeries) takeExemplar(v float64) bool {
	i, _ := slices.BinarySearch(httpBuckets, v)
	now := time.Now().UnixNano()
	last := s.exemplars[i].Load()
	return now-last >= int64(time.Second) && s.exemplars[i].CompareAndSwap(last, now)
}

// metricsHandler serves reg in the Prometheus text format, or OpenMetrics
// (with the exemplars) to a scraper that asks for it.
func metricsHandler(reg prometheus.Gatherer) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
}
