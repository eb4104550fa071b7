package catalog

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// ReleaseQueue is the catalog's queue of compensations: a declined
// payment or a cancelled order puts the reserved stock back. Replicas
// share it.
const ReleaseQueue = "catalog.release-stock"

// releaseSubscription is the catalog's compensation subscription. Both
// event types name the order; Store.Release puts its stock back once per
// order, whichever comes and however often.
func releaseSubscription(store Store, reservations *prometheus.CounterVec) mq.Subscription {
	return mq.Subscription{Queue: ReleaseQueue, Types: []string{events.OrderCancelled, events.PaymentDeclined}, Handler: func(ctx context.Context, e events.Envelope) error {
		var d struct {
			OrderID string `json:"order_id"`
		}
		if err := e.Decode(&d); err != nil {
			return mq.Permanent(err)
		}
		if d.OrderID == "" {
			return mq.Permanent(fmt.Errorf("%s %s without an order id", e.Type, e.ID))
		}
		released, err := store.Release(ctx, d.OrderID)
		if released {
			reservations.WithLabelValues("released").Inc()
		}
		return err
	}}
}
