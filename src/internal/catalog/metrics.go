package catalog

import "github.com/prometheus/client_golang/prometheus"

// Metric names, referred to by the dashboards and alert rules.
const (
	MetricStockReservations = "shop_stock_reservations_total"
)

// newReservationCounter counts the orders the catalog reserved stock for or
// rejected, by result (reserved, rejected); redeliveries are not counted.
func newReservationCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricStockReservations,
		Help: "Orders whose stock the catalog reserved or rejected, by result (reserved, rejected).",
	}, []string{"result"})
	c.WithLabelValues("reserved")
	c.WithLabelValues("rejected")
	reg.MustRegister(c)
	return c
}
