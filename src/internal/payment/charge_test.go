package payment

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// sagaUnderTest is the payment service's event handling on the embedded
// store and the test provider.
type sagaUnderTest struct {
	charger  charger
	store    *MemoryStore
	box      *outbox.Memory
	provider *TestProvider
}

func newSaga(timeout time.Duration) sagaUnderTest {
	box := &outbox.Memory{}
	store, provider := NewMemoryStore(box), NewTestProvider()
	return sagaUnderTest{
		charger: charger{store: store, provider: provider, timeout: timeout, metrics: NewMetrics(prometheus.NewRegistry()), logger: slog.New(slog.DiscardHandler)},
		store:   store, box: box, provider: provider,
	}
}

func (s sagaUnderTest) deliver(t *testing.T, eventType string, data any) error {
	t.Helper()
	e, err := events.New("/shop/test", eventType, data)
	if err != nil {
		t.Fatal(err)
	}
	return s.charger.handle(context.Background(), e)
}

// order places an order paid with method and reserves its stock.
func (s sagaUnderTest) order(t *testing.T, method string) string {
	t.Helper()
	id := uuid.NewString()
	if err := s.deliver(t, events.OrderCreated, events.OrderCreatedData{OrderID: id, TotalCents: 2599, Currency: "USD", PaymentMethodID: method,
		Lines: []events.OrderLine{{ProductID: "kettle-1", Quantity: 1, UnitPriceCents: 2599}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.deliver(t, events.StockReserved, events.StockReservedData{OrderID: id}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (s sagaUnderTest) sent(t *testing.T) []events.Envelope {
	t.Helper()
	list, err := s.box.Pending(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestReservedOrderIsCapturedOnce(t *testing.T) {
	s := newSaga(time.Second)
	id := s.order(t, "pm_card_visa")
	if err := s.deliver(t, events.StockReserved, events.StockReservedData{OrderID: id}); err != nil {
		t.Fatalf("redelivered stock.reserved: %v", err)
	}
	p, _ := s.store.Get(context.Background(), id)
	sent := s.sent(t)
	if p.Status != Captured || s.provider.Charges() != 1 || len(sent) != 1 || sent[0].Type != events.PaymentCaptured {
		t.Fatalf("payment %+v, %d charges, events %v; want captured once with one payment.captured", p, s.provider.Charges(), sent)
	}
	var d events.PaymentCapturedData
	if err := sent[0].Decode(&d); err != nil || d.AmountCents != 2599 || d.Currency != "USD" || d.OrderID != id {
		t.Fatalf("payment.captured %+v %v", d, err)
	}
}

func TestDeclinedCardsAreDeclinedWithAReasonTheShopperCanActOn(t *testing.T) {
	for method, code := range map[string]string{
		"pm_card_chargeDeclined":                  CodeDeclined,
		"pm_card_chargeDeclinedInsufficientFunds": CodeInsufficientFunds,
		"pm_card_chargeDeclinedProcessingError":   CodeProcessingError,
		"":                                        CodeNoPaymentMethod,
	} {
		t.Run(code, func(t *testing.T) {
			s := newSaga(time.Second)
			id := s.order(t, method)
			sent := s.sent(t)
			if len(sent) != 1 || sent[0].Type != events.PaymentDeclined {
				t.Fatalf("events %v, want one payment.declined", sent)
			}
			var d events.PaymentDeclinedData
			if err := sent[0].Decode(&d); err != nil || d.OrderID != id || d.Code != code || d.Reason == "" {
				t.Fatalf("payment.declined %+v %v", d, err)
			}
			if s.provider.Charges() != 0 {
				t.Fatalf("%d charges captured for a declined card", s.provider.Charges())
			}
		})
	}
}

// The slow card's charge answers after the client gave up: its outcome
// is asked of the provider by the order id, and the order is captured
// once, not charged again.
func TestATimedOutChargeIsResolvedByAskingTheProvider(t *testing.T) {
	s := newSaga(50 * time.Millisecond)
	id := s.order(t, "pm_card_slow")
	if err := s.deliver(t, events.StockReserved, events.StockReservedData{OrderID: id}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.store.Get(context.Background(), id)
	if p.Status != Captured || s.provider.Charges() != 1 || len(s.sent(t)) != 1 {
		t.Fatalf("payment %+v, %d charges, %d events; want captured once", p, s.provider.Charges(), len(s.sent(t)))
	}
}

// A stock.reserved that overtakes its order.created is retried, not
// dropped: the payment is charged once order.created has been recorded.
func TestStockReservedBeforeOrderCreatedIsRetried(t *testing.T) {
	s := newSaga(time.Second)
	id := uuid.NewString()
	if err := s.deliver(t, events.StockReserved, events.StockReservedData{OrderID: id}); !errors.Is(err, errNotRecorded) {
		t.Fatalf("stock.reserved first: %v, want a retryable error", err)
	}
}

func TestCancelledOrderIsRefundedOnce(t *testing.T) {
	s := newSaga(time.Second)
	id := s.order(t, "pm_card_visa")
	for range 2 {
		if err := s.deliver(t, events.OrderCancelled, events.OrderCancelledData{OrderID: id}); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := s.store.Get(context.Background(), id)
	var refunds int
	for _, e := range s.sent(t) {
		if e.Type == events.PaymentRefunded {
			refunds++
		}
	}
	if p.Status != Refunded || refunds != 1 {
		t.Fatalf("payment %+v, %d refund events; want refunded once", p, refunds)
	}
	declinedID := s.order(t, "pm_card_chargeDeclined")
	if err := s.deliver(t, events.OrderCancelled, events.OrderCancelledData{OrderID: declinedID}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.store.Get(context.Background(), declinedID); p.Status != Declined {
		t.Fatalf("a declined payment was moved by a cancellation: %+v", p)
	}
}
