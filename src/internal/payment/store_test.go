package payment

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// pendingEvents counts what a store wrote to its outbox.
type pendingEvents func() []events.Envelope

// eachStore runs fn against the in-memory and the PostgreSQL store.
func eachStore(t *testing.T, fn func(t *testing.T, s Store, sent pendingEvents)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		box := &outbox.Memory{}
		fn(t, NewMemoryStore(box), func() []events.Envelope {
			list, _ := box.Pending(context.Background(), 100)
			return list
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		ctx, logger := context.Background(), slog.New(slog.DiscardHandler)
		pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(testenv.NewDatabase(t)), MaxConns: 5}, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if err := Migrate(ctx, pool, logger); err != nil {
			t.Fatal(err)
		}
		fn(t, NewPostgresStore(pool), func() []events.Envelope {
			list, err := outbox.Pending(ctx, pool, 100)
			if err != nil {
				t.Fatal(err)
			}
			return list
		})
	})
}

func newPayment() Payment {
	return Payment{OrderID: uuid.NewString(), MethodID: "pm_card_visa", AmountCents: 1800, Currency: "USD", CreatedAt: now(), UpdatedAt: now()}
}

func event(t *testing.T, eventType string, data any) events.Envelope {
	t.Helper()
	e, err := events.New(Source, eventType, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestStoreRecordsAnOrdersPaymentOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, _ pendingEvents) {
		ctx := context.Background()
		p := newPayment()
		if stored, err := s.Record(ctx, p); err != nil || !stored {
			t.Fatalf("first record: %v %v", stored, err)
		}
		again := p
		again.AmountCents = 1
		if stored, err := s.Record(ctx, again); err != nil || stored {
			t.Fatalf("a second order.created for the order: stored=%v %v, want nothing stored", stored, err)
		}
		got, err := s.Get(ctx, p.OrderID)
		if err != nil || got.Status != Pending || got.AmountCents != 1800 || got.MethodID != "pm_card_visa" {
			t.Fatalf("recorded payment %+v %v", got, err)
		}
		if _, err := s.Get(ctx, uuid.NewString()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown order: %v, want ErrNotFound", err)
		}
	})
}

func TestStoreSettlesAPendingPaymentOnceWithItsEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, sent pendingEvents) {
		ctx := context.Background()
		p := newPayment()
		if _, err := s.Record(ctx, p); err != nil {
			t.Fatal(err)
		}
		captured := event(t, events.PaymentCaptured, events.PaymentCapturedData{OrderID: p.OrderID, PaymentID: "pi_1", AmountCents: 1800, Currency: "USD"})
		if moved, err := s.Settle(ctx, p.OrderID, Outcome{Status: Captured, ChargeID: "pi_1"}, captured); err != nil || !moved {
			t.Fatalf("settling: moved=%v %v", moved, err)
		}
		again := event(t, events.PaymentDeclined, events.PaymentDeclinedData{OrderID: p.OrderID, Code: CodeDeclined, Reason: "x"})
		if moved, err := s.Settle(ctx, p.OrderID, declined(CodeDeclined), again); err != nil || moved {
			t.Fatalf("settling a captured payment again: moved=%v %v, want no change", moved, err)
		}
		got, _ := s.Get(ctx, p.OrderID)
		if got.Status != Captured || got.ChargeID != "pi_1" {
			t.Fatalf("payment after settling: %+v", got)
		}
		if list := sent(); len(list) != 1 || list[0].ID != captured.ID {
			t.Fatalf("outbox %v, want only the captured event", list)
		}
	})
}

func TestStoreRefundsOnlyACapturedPayment(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, sent pendingEvents) {
		ctx := context.Background()
		p := newPayment()
		if _, err := s.Record(ctx, p); err != nil {
			t.Fatal(err)
		}
		refunded := event(t, events.PaymentRefunded, events.PaymentRefundedData{OrderID: p.OrderID, AmountCents: 1800, Currency: "USD"})
		if moved, err := s.Refund(ctx, p.OrderID, refunded); err != nil || moved {
			t.Fatalf("refunding a pending payment: moved=%v %v, want no change", moved, err)
		}
		captured := event(t, events.PaymentCaptured, events.PaymentCapturedData{OrderID: p.OrderID, PaymentID: "pi_1", AmountCents: 1800, Currency: "USD"})
		if _, err := s.Settle(ctx, p.OrderID, Outcome{Status: Captured, ChargeID: "pi_1"}, captured); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			if moved, err := s.Refund(ctx, p.OrderID, refunded); err != nil || moved != want {
				t.Fatalf("refund %d: moved=%v %v, want %v", i+1, moved, err, want)
			}
		}
		if got, _ := s.Get(ctx, p.OrderID); got.Status != Refunded {
			t.Fatalf("payment after refund: %+v", got)
		}
		var types []string
		for _, e := range sent() {
			types = append(types, e.Type)
		}
		if slices.Sort(types); !slices.Equal(types, []string{events.PaymentCaptured, events.PaymentRefunded}) {
			t.Fatalf("outbox %v, want one captured and one refunded event", types)
		}
	})
}

func TestStoreListsTheNewestPaymentsFirst(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, _ pendingEvents) {
		ctx := context.Background()
		var ids []string
		start := now()
		for i := range 3 {
			// A millisecond apart: two payments made in one microsecond
			// have no order between them.
			p := newPayment()
			p.CreatedAt = start.Add(time.Duration(i) * time.Millisecond)
			ids = append(ids, p.OrderID)
			if _, err := s.Record(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.List(ctx, 2)
		if err != nil || len(list) != 2 || list[0].OrderID != ids[2] || list[1].OrderID != ids[1] {
			t.Fatalf("List(2) = %+v %v, want the last two recorded, newest first", list, err)
		}
	})
}
