package search

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, referred to by the dashboards and alert rules.
const (
	MetricIndexDocuments = "search_index_documents"
	MetricEvents         = "search_index_events_total"
	MetricQueryDuration  = "search_query_duration_seconds"
	MetricReindex        = "search_reindex_total"
	MetricZeroResults    = "search_zero_results_total"
)

// metrics are the search service's business metrics.
type metrics struct {
	events  *prometheus.CounterVec   // labels: type, result (ok|error|ignored)
	queries *prometheus.HistogramVec // labels: kind (search|suggest), result (ok|error)
	reindex *prometheus.CounterVec   // labels: result (ok|error)
	zero    prometheus.Counter       // searches that found nothing
}

func newMetrics(reg prometheus.Registerer, backend Backend) *metrics {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricEvents, Help: "Product events applied to the search index, by type and result.",
		}, []string{"type", "result"}),
		queries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricQueryDuration, Help: "Time the index took to answer a search or suggest query.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"kind", "result"}),
		reindex: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricReindex, Help: "Index rebuilds from the catalog, by result.",
		}, []string{"result"}),
	}
	m.zero = prometheus.NewCounter(prometheus.CounterOpts{
		Name: MetricZeroResults, Help: "Searches that found no product: what shoppers look for and the shop does not have (or cannot find).",
	})
	docs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: MetricIndexDocuments, Help: "Products in the live search index.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := backend.Count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	reg.MustRegister(m.events, m.queries, m.reindex, m.zero, docs)
	return m
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
