package order

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// eachStore runs fn against the in-memory and the PostgreSQL store.
func eachStore(t *testing.T, fn func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		fn(t, NewMemoryStore(&outbox.Memory{}))
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
		fn(t, NewPostgresStore(pool))
	})
}

func newOrder(t *testing.T) (Order, events.Envelope) {
	at := now()
	o := Order{ID: uuid.NewString(), Status: Pending, Customer: Customer{Email: "a@b.co", Name: "A"},
		Items: []Item{{ProductID: "mug-001", Name: "Mug", Quantity: 2, UnitPriceCents: 900}}, SubtotalCents: 1800, TotalCents: 1800, Currency: "USD", Reference: newReference(), Shipping: Shipping{Method: Standard}, CreatedAt: at, UpdatedAt: at}
	e, err := events.New(Source, events.OrderCreated, createdEvent(o))
	if err != nil {
		t.Fatal(err)
	}
	return o, e
}

func TestStoreCreateIsIdempotentPerKey(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		first, e1 := newOrder(t)
		stored, created, err := s.Create(ctx, first, e1, "key-1", "fp-a")
		if err != nil || !created || stored.ID != first.ID {
			t.Fatalf("first create: %+v %v %v", stored, created, err)
		}
		retry, e2 := newOrder(t)
		stored, created, err = s.Create(ctx, retry, e2, "key-1", "fp-a")
		if err != nil || created || stored.ID != first.ID || stored.TotalCents != 1800 {
			t.Fatalf("retry with the same key: %+v created=%v %v, want the first order", stored, created, err)
		}
		if _, _, err := s.Create(ctx, retry, e2, "key-1", "fp-b"); !errors.Is(err, ErrKeyReused) {
			t.Fatalf("same key, other request: %v, want ErrKeyReused", err)
		}
		if _, err := s.Get(ctx, retry.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the retry's own order was stored: %v", err)
		}
		if got, err := s.ByKey(ctx, "key-1", "fp-a"); err != nil || got.ID != first.ID {
			t.Fatalf("ByKey: %+v %v", got, err)
		}
	})
}

func TestStoreSettleMovesOnlyPendingOrdersOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		o, e := newOrder(t)
		if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
			t.Fatal(err)
		}
		event := uuid.NewString()
		if moved, err := s.Settle(ctx, event, o.ID, Rejected, "insufficient stock", ""); err != nil || !moved {
			t.Fatalf("settling a pending order: moved=%v %v", moved, err)
		}
		if moved, err := s.Settle(ctx, event, o.ID, Rejected, "insufficient stock", ""); err != nil || moved {
			t.Fatalf("the same event again: moved=%v %v, want no change", moved, err)
		}
		if moved, err := s.Settle(ctx, uuid.NewString(), o.ID, Confirmed, "", PaymentCaptured); err != nil || moved {
			t.Fatalf("confirming a rejected order: moved=%v %v, want no change", moved, err)
		}
		got, err := s.Get(ctx, o.ID)
		if err != nil || got.Status != Rejected || got.Reason != "insufficient stock" || got.Items[0].Name != "Mug" {
			t.Fatalf("order after settling: %+v %v", got, err)
		}
		if moved, err := s.Settle(ctx, uuid.NewString(), uuid.NewString(), Confirmed, "", ""); err != nil || moved {
			t.Fatalf("settling an unknown order: moved=%v %v, want no change", moved, err)
		}
	})
}

func TestStoreFindsAnOrderByItsReference(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		o, e := newOrder(t)
		o.SubtotalCents, o.ShippingCents, o.TaxCents, o.TotalCents = 1800, 999, 466, 2799
		o.Shipping = Shipping{Method: Express, Cents: 999, EstimateMinDays: 2, EstimateMaxDays: 4}
		o.Customer.Phone, o.Customer.Address.Region = "+1 555 0100", "CA"
		if _, _, err := s.Create(ctx, o, e, "", ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.ByReference(ctx, o.Reference)
		if err != nil || got.ID != o.ID || got.TotalCents != 2799 || got.TaxCents != 466 || got.Shipping != o.Shipping ||
			got.Customer.Phone != o.Customer.Phone || got.Customer.Address.Region != "CA" {
			t.Fatalf("by reference: %+v %v, want %+v", got, err, o)
		}
		if _, err := s.ByReference(ctx, "SHP-ZZZZZZ"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown reference: %v, want ErrNotFound", err)
		}
	})
}

func TestStoreRefusesASecondOrderWithOneReference(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		first, e1 := newOrder(t)
		if _, _, err := s.Create(ctx, first, e1, "", ""); err != nil {
			t.Fatal(err)
		}
		second, e2 := newOrder(t)
		second.Reference = first.Reference
		if _, _, err := s.Create(ctx, second, e2, "key-2", "fp"); !errors.Is(err, ErrReferenceTaken) {
			t.Fatalf("second order with reference %s: %v, want ErrReferenceTaken", first.Reference, err)
		}
		if _, err := s.Get(ctx, second.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the clashing order was stored: %v", err)
		}
		if _, err := s.ByKey(ctx, "key-2", "fp"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the clashing order's key was kept: %v", err)
		}
	})
}
