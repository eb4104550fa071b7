package pg

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names, referred to by the dashboards in monitoring/.
const (
	MetricPoolConnections    = "shop_db_pool_connections"
	MetricPoolMaxConnections = "shop_db_pool_max_connections"
	MetricPoolWaitSeconds    = "shop_db_pool_acquire_wait_seconds_total"
)

// RegisterPoolMetrics exposes pool's connection counts on reg, read from
// the pool's own statistics at each scrape: a pool that sits at its maximum
// with a growing wait is what a slow or overloaded database looks like.
func RegisterPoolMetrics(reg prometheus.Registerer, pool *pgxpool.Pool) {
	reg.MustRegister(poolCollector{pool: pool})
}

type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConnsDesc = prometheus.NewDesc(MetricPoolConnections, "Connections of the PostgreSQL pool by state (acquired: in use, idle, constructing).", []string{"state"}, nil)
	poolMaxDesc   = prometheus.NewDesc(MetricPoolMaxConnections, "Largest number of connections the PostgreSQL pool may open (DATABASE_MAX_CONNS).", nil, nil)
	poolWaitDesc  = prometheus.NewDesc(MetricPoolWaitSeconds, "Time spent waiting for a free PostgreSQL connection.", nil, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConnsDesc
	ch <- poolMaxDesc
	ch <- poolWaitDesc
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMaxDesc, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
