package order

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// The event an order writes validates against the AsyncAPI document, and
// its type is the one the document's send operations for order name.
func TestEmittedEventsMatchTheAsyncAPIDocument(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	if status, body, _ := post(t, app, validBody, "application/json", nil); status != 202 {
		t.Fatalf("placing an order: %d %s", status, body)
	}
	pending, err := box.Pending(context.Background(), 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("outbox %v, %v; want one event", pending, err)
	}
	raw, err := json.Marshal(pending[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(raw); err != nil {
		t.Errorf("the order service wrote an event the document does not describe: %v\n%s", err, raw)
	}
	if sent := doc.Sent("order"); len(sent) != 2 || !slices.Equal(sent[pending[0].Type], []string{pending[0].Type}) {
		t.Errorf("the order service wrote %s; the document's send operations for it name %v", pending[0].Type, sent)
	}
	var placed CreateAnswer
	if _, body, _ := post(t, app, validBody, "application/json", nil); json.Unmarshal([]byte(body), &placed) != nil {
		t.Fatalf("placing an order: %s", body)
	}
	confirm(t, app, placed.OrderID)
	if resp := app.do(t, "POST", "/orders/"+placed.OrderID+"/cancel", ""); resp.StatusCode != 202 {
		t.Fatalf("cancelling: %d", resp.StatusCode)
	}
	pending, _ = box.Pending(context.Background(), 10)
	cancelled := pending[len(pending)-1]
	raw, _ = json.Marshal(cancelled)
	if err := doc.Validate(raw); err != nil || cancelled.Type != events.OrderCancelled {
		t.Errorf("the order service wrote an order.cancelled the document does not describe: %v\n%s", err, raw)
	}
}

// The order service's consumer accepts every example of every type the
// document delivers on its queue, and applies it: the example order is
// confirmed by payment.captured and rejected, with the reason, by
// stock.rejected and payment.declined.
func TestSettleConsumerAcceptsEveryExampleOfTheAsyncAPIDocument(t *testing.T) {
	doc := apitest.LoadEvents(t, events.AsyncAPI())
	probe := settleSubscription(nil, nil)
	received := doc.Received("order")
	types := slices.Sorted(slices.Values(probe.Types))
	if len(received) != 1 || !slices.Equal(received[probe.Queue], types) {
		t.Fatalf("the document delivers %v to order; it subscribes to %v on %s", received, types, probe.Queue)
	}
	for eventType, want := range map[string]Status{events.PaymentCaptured: Confirmed, events.StockRejected: Rejected, events.PaymentDeclined: Rejected} {
		for _, raw := range doc.Examples(eventType) {
			var e events.Envelope
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			var data struct {
				OrderID string `json:"order_id"`
			}
			if err := e.Decode(&data); err != nil {
				t.Fatal(err)
			}
			box := &outbox.Memory{}
			store := NewMemoryStore(box)
			o := Order{ID: data.OrderID, Status: Pending, Currency: "USD", CreatedAt: now(), UpdatedAt: now()}
			created, err := events.New(Source, events.OrderCreated, createdEvent(o))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.Create(context.Background(), o, created, "", ""); err != nil {
				t.Fatal(err)
			}
			handler := settleSubscription(store, NewMetrics(prometheus.NewRegistry())).Handler
			if err := handler(context.Background(), e); err != nil {
				t.Errorf("the order service refused the example %s: %v", raw, err)
			}
			if got, _ := store.Get(context.Background(), data.OrderID); got.Status != want {
				t.Errorf("after the example %s the order is %s, want %s", eventType, got.Status, want)
			}
		}
	}
}
