package catalog

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/events"
)

func order(id string, lines ...events.OrderLine) events.OrderCreatedData {
	return events.OrderCreatedData{OrderID: id, Lines: lines, Currency: "USD"}
}

func line(product string, qty int) events.OrderLine {
	return events.OrderLine{ProductID: product, Quantity: qty}
}

func reserve(t *testing.T, s Store, eventID string, o events.OrderCreatedData) Reservation {
	t.Helper()
	r, err := s.Reserve(context.Background(), eventID, o)
	if err != nil {
		t.Fatalf("reserving %s: %v", o.OrderID, err)
	}
	return r
}

func stockOf(t *testing.T, s Store, id string) int {
	t.Helper()
	p, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

// outcomes lists the stock.reserved / stock.rejected events in the outbox.
func outcomes(t *testing.T, s storeUnderTest) []events.Envelope {
	var list []events.Envelope
	for _, e := range s.pending(t) {
		if e.Type == events.StockReserved || e.Type == events.StockRejected {
			list = append(list, e)
		}
	}
	return list
}

func TestReserveTakesStockForEveryLineOrForNone(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		fill(t, s, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 5), "pan": input("Pan", "kitchen", 3000, 1)})

		r := reserve(t, s, uuid.NewString(), order("o1", line("mug", 2), line("pan", 2)))
		if !r.Applied || r.Reserved || !strings.Contains(r.Reason, "pan") {
			t.Fatalf("an order asking 2 of a product with stock 1: got %+v, want rejected naming pan", r)
		}
		if stockOf(t, s, "mug") != 5 || stockOf(t, s, "pan") != 1 {
			t.Fatalf("a rejected order moved stock: mug %d, pan %d", stockOf(t, s, "mug"), stockOf(t, s, "pan"))
		}

		r = reserve(t, s, uuid.NewString(), order("o2", line("mug", 2), line("pan", 1)))
		if !r.Applied || !r.Reserved {
			t.Fatalf("an order within stock was not reserved: %+v", r)
		}
		if stockOf(t, s, "mug") != 3 || stockOf(t, s, "pan") != 0 {
			t.Fatalf("after reserving 2 mugs and 1 pan: mug %d, pan %d, want 3 and 0", stockOf(t, s, "mug"), stockOf(t, s, "pan"))
		}

		got := outcomes(t, s)
		if len(got) != 2 || got[0].Type != events.StockRejected || got[1].Type != events.StockReserved {
			t.Fatalf("outcome events %v, want stock.rejected then stock.reserved", got)
		}
		var rejected events.StockRejectedData
		if err := got[0].Decode(&rejected); err != nil || rejected.OrderID != "o1" || rejected.Reason != "insufficient stock for product pan: 2 requested, 1 available" {
			t.Fatalf("rejection payload %+v (%v)", rejected, err)
		}
	})
}

func TestReserveRejectsAnUnknownProduct(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		fill(t, s, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 5)})
		r := reserve(t, s, uuid.NewString(), order("o1", line("mug", 1), line("ghost", 1)))
		if r.Reserved || r.Reason != "product ghost does not exist" {
			t.Fatalf("order with an unknown product: %+v", r)
		}
		if stockOf(t, s, "mug") != 5 {
			t.Fatalf("stock moved for an order that was rejected")
		}
	})
}

func TestReserveAppliesARedeliveredEventOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		fill(t, s, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 5)})
		id := uuid.NewString()
		first := reserve(t, s, id, order("o1", line("mug", 2)))
		again := reserve(t, s, id, order("o1", line("mug", 2)))
		if !first.Applied || again.Applied {
			t.Fatalf("first %+v, redelivery %+v: want applied then skipped", first, again)
		}
		if n := stockOf(t, s, "mug"); n != 3 {
			t.Fatalf("stock %d after a redelivered reservation of 2 from 5, want 3", n)
		}
		if n := len(outcomes(t, s)); n != 1 {
			t.Fatalf("%d outcome events for one order, want 1", n)
		}
	})
}

func TestConcurrentReservationsNeverOversell(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		fill(t, s, map[string]ProductInput{"lamp": input("Lamp", "home", 3000, 50), "mug": input("Mug", "kitchen", 900, 1000)})
		var wg sync.WaitGroup
		var mu sync.Mutex
		reserved := 0
		for i := range 200 {
			wg.Go(func() {
				// Lines in both orders, so lock ordering is exercised.
				o := order("o"+uuid.NewString(), line("lamp", 1), line("mug", 1))
				if i%2 == 1 {
					o.Lines[0], o.Lines[1] = o.Lines[1], o.Lines[0]
				}
				r, err := s.Reserve(context.Background(), uuid.NewString(), o)
				if err != nil {
					t.Errorf("reserving: %v", err)
					return
				}
				if r.Reserved {
					mu.Lock()
					reserved++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if reserved != 50 || stockOf(t, s, "lamp") != 0 || stockOf(t, s, "mug") != 950 {
			t.Fatalf("200 orders for a lamp with stock 50: %d reserved, lamp stock %d, mug stock %d; want 50, 0, 950",
				reserved, stockOf(t, s, "lamp"), stockOf(t, s, "mug"))
		}
	})
}
