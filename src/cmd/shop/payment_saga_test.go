package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// TestSagaReleasesStockAfterDeclinesWhileTheBrokerDrops places a stream
// of orders on real PostgreSQL and RabbitMQ, every third paid with the
// card the test provider declines, and cancels some confirmed ones, while
// the broker drops the shop's connections in the middle of it. The books
// must balance, money included: every declined order rejected with the
// decline's reason and its reserved stock back (the catalog's
// compensation, once, under redelivery), every confirmed order captured
// exactly once, nothing captured for a rejected one, every cancellation
// refunded and its stock back.
//
// The placers stop at maxOrders, and each product holds enough stock for
// that many orders of two units: a slow rabbitmqctl on a loaded machine
// lets hundreds of orders through before the broker drops, and a stock-out
// would reject paying orders for a reason this test is not about.
func TestSagaReleasesStockAfterDeclinesWhileTheBrokerDrops(t *testing.T) {
	const maxOrders = 2000
	s := startRealShop(t)
	for _, id := range []string{"saga-lamp", "saga-mug"} {
		status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/"+id, map[string]any{
			"name": id, "category": "home", "price_cents": 2500, "currency": "USD", "stock": 2 * maxOrders,
		}, map[string]string{"Authorization": "Bearer " + s.token})
		if status/100 != 2 {
			t.Fatalf("creating product %s: %d %s", id, status, body)
		}
	}
	db, stockAtStart := openBooks(t, s.dbURL)

	var (
		mu       sync.Mutex
		accepted = map[string]string{}
		declines = map[string]bool{}
		closedAt = -1
		placed   atomic.Int64
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	count := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted), closedAt
	}
	enough := func() bool {
		n, at := count()
		return at >= 0 && n >= max(120, at+45)
	}
	for range 3 {
		wg.Go(func() {
			for !enough() {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				n := placed.Add(1)
				if n > maxOrders {
					return
				}
				card := payingCard
				if n%3 == 0 {
					card = decliningCard
				}
				body := orderBodyPaidWith(card, fmt.Sprintf("pay-%d@example.com", n), sagaOrders[n%int64(len(sagaOrders))]...)
				status, answer := s.do(t, http.MethodPost, s.order+"/create-order", body, nil)
				var ans struct {
					OrderID string `json:"order_id"`
				}
				if status != http.StatusAccepted || json.Unmarshal(answer, &ans) != nil {
					t.Errorf("create-order: %d %s", status, answer)
					continue
				}
				mu.Lock()
				accepted[ans.OrderID] = "pending"
				declines[ans.OrderID] = card == decliningCard
				mu.Unlock()
			}
		})
	}
	stopOnce := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopOnce()
	waitUntil(t, "40 orders accepted", time.Minute, func() bool { n, _ := count(); return n >= 40 })
	n := testenv.CloseRabbitConnections(t, s.marker) // while orders keep coming
	mu.Lock()
	closedAt = len(accepted)
	mu.Unlock()
	if n == 0 {
		t.Fatalf("no broker connection named %s to close", s.marker)
	}
	waitUntil(t, "45 more orders accepted after the broker dropped", time.Minute, enough)
	stopOnce()

	// Every declined order is rejected with the decline's reason; a few
	// confirmed ones are cancelled (refund and release follow).
	cancelled := 0
	for id, declined := range declines {
		var o struct {
			Status, Reason string
		}
		waitUntil(t, "order "+id+" settled", time.Minute, func() bool {
			_, raw := s.do(t, http.MethodGet, s.order+"/orders/"+id, nil, nil)
			return json.Unmarshal(raw, &o) == nil && o.Status != "pending"
		})
		switch {
		case declined && (o.Status != "rejected" || o.Reason != "Your card was declined: try another card."):
			t.Errorf("order %s paid with the declining card is %s (%q), want rejected with the decline's reason", id, o.Status, o.Reason)
		case !declined && o.Status != "confirmed":
			t.Errorf("order %s paid with the paying card is %s (%q), want confirmed", id, o.Status, o.Reason)
		case !declined && cancelled < 10:
			if status, body := s.do(t, http.MethodPost, s.order+"/orders/"+id+"/cancel", nil, nil); status != http.StatusAccepted {
				t.Errorf("cancelling %s: %d %s", id, status, body)
			}
			cancelled++
		}
	}
	r := checkBooks(t, db, accounting.Books{Accepted: accepted, Emails: "pay-%", StockAtStart: stockAtStart, Payments: db})
	if r.Rejected == 0 || r.Cancelled != cancelled || r.Refunded != cancelled || r.Captured != r.Confirmed+r.Cancelled {
		t.Fatalf("%v; want declines rejected, %d cancelled and refunded, every kept order captured", r, cancelled)
	}
	t.Logf("%d orders, the broker closed %d connections after %d: %v", len(accepted), n, closedAt, r)
}
