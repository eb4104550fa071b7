package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Reservation is what Store.Reserve did with an order.created event.
type Reservation struct {
	// Applied is false when the event had been applied before (a
	// redelivery): nothing changed and no event was recorded.
	Applied bool
	// Reserved tells whether the stock was taken; if not, Reason says why.
	Reserved bool
	Reason   string
}

// reserveConsumer names the catalog's stock reservation in processed_events.
const reserveConsumer = "catalog.reserve-stock"

// ReserveQueue is the catalog's queue of order.created events. Replicas
// share it, competing for orders.
const ReserveQueue = "catalog.reserve-stock"

// wanted sums an order's quantities per product (an order's lines are
// distinct, but the catalog does not rely on it) and lists the products in
// id order, the order rows are locked in so concurrent orders never deadlock.
func wanted(lines []events.OrderLine) ([]string, map[string]int) {
	want := map[string]int{}
	for _, l := range lines {
		want[l.ProductID] += l.Quantity
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, want
}

// shortage explains why the stock in have cannot serve want, or is "".
func shortage(ids []string, want map[string]int, have map[string]int) string {
	for _, id := range ids {
		n, ok := have[id]
		switch {
		case !ok:
			return fmt.Sprintf("product %s does not exist", id)
		case n < want[id]:
			return fmt.Sprintf("insufficient stock for product %s: %d requested, %d available", id, want[id], n)
		}
	}
	return ""
}

// outcomeEvent is stock.reserved, or stock.rejected when reason is set.
func outcomeEvent(orderID, reason string) (events.Envelope, error) {
	var e events.Envelope
	var err error
	if reason == "" {
		e, err = events.New(Source, events.StockReserved, events.StockReservedData{OrderID: orderID})
	} else {
		e, err = events.New(Source, events.StockRejected, events.StockRejectedData{OrderID: orderID, Reason: reason})
	}
	if err != nil {
		return e, fmt.Errorf("building event: %w", err)
	}
	return e, nil
}

// validOrder checks an order.created payload before any stock moves.
func validOrder(o events.OrderCreatedData) error {
	if o.OrderID == "" || len(o.Lines) == 0 {
		return errors.New("order.created without an order id or lines")
	}
	for _, l := range o.Lines {
		if l.ProductID == "" || l.Quantity < 1 {
			return fmt.Errorf("order %s has a line without a product or with quantity %d", o.OrderID, l.Quantity)
		}
	}
	return nil
}

// reserveSubscription is the catalog's subscription: order.created events
// on ReserveQueue, shared by its replicas.
func reserveSubscription(store Store, reservations *prometheus.CounterVec) mq.Subscription {
	return mq.Subscription{Queue: ReserveQueue, Types: []string{events.OrderCreated}, Handler: reserveHandler(store, reservations)}
}

// reserveHandler applies order.created events to store. A payload that
// cannot be an order is dead-lettered at once: no retry can fix it.
func reserveHandler(store Store, reservations *prometheus.CounterVec) mq.Handler {
	return func(ctx context.Context, e events.Envelope) error {
		var o events.OrderCreatedData
		if err := e.Decode(&o); err != nil {
			return mq.Permanent(err)
		}
		if err := validOrder(o); err != nil {
			return mq.Permanent(err)
		}
		r, err := store.Reserve(ctx, e.ID, o)
		if err != nil || !r.Applied {
			return err
		}
		if r.Reserved {
			reservations.WithLabelValues("reserved").Inc()
		} else {
			reservations.WithLabelValues("rejected").Inc()
		}
		return nil
	}
}
