package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// shopUnderTest is the runner on real PostgreSQL and RabbitMQ, on its own
// database, exchange and queues.
type shopUnderTest struct {
	catalog, order, search, frontend, token, marker, dbURL string
	done                                                   chan error
	cancel                                                 context.CancelFunc
}

func startRealShop(t *testing.T) *shopUnderTest {
	t.Helper()
	return startRealShopWith(t, nil)
}

// startRealShopWith is startRealShop with the extra settings of extra.
func startRealShopWith(t *testing.T, extra map[string]string) *shopUnderTest {
	t.Helper()
	dbURL := testenv.NewDatabase(t)
	amqpURL := testenv.RabbitURL(t)
	suffix := testenv.RandomSuffix()
	prefix := "saga-" + suffix + "."
	exchange := "test.events." + suffix
	testenv.DeleteRabbitObjects(t, amqpURL, []string{exchange, exchange + ".dlx"}, func() []string {
		var qs []string
		for _, q := range []string{"catalog.reserve-stock", "catalog.release-stock", "order.settle", "payment.charge"} {
			qs = append(qs, prefix+q, prefix+q+".dlq")
		}
		// Search's own queue is per replica and auto-deleted; its
		// dead-letter queue is durable and outlives the process.
		return append(qs, prefix+"search.products.dlq")
	})
	catalogPort, orderPort, searchPort, frontendPort := testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)
	s := &shopUnderTest{
		catalog: fmt.Sprintf("http://127.0.0.1:%d", catalogPort), order: fmt.Sprintf("http://127.0.0.1:%d", orderPort),
		search: fmt.Sprintf("http://127.0.0.1:%d", searchPort), frontend: fmt.Sprintf("http://127.0.0.1:%d", frontendPort),
		token: "saga-test-token", marker: prefix, dbURL: dbURL, done: make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	var out testenv.Output
	environ := map[string]string{
		"CATALOG_PORT": fmt.Sprint(catalogPort), "ORDER_PORT": fmt.Sprint(orderPort), "PAYMENT_PORT": fmt.Sprint(testenv.FreePort(t)), "FRONTEND_PORT": fmt.Sprint(frontendPort),
		"SEARCH_PORT": fmt.Sprint(searchPort),
		"HOST":        "127.0.0.1",
		"LOG_LEVEL":   "error", "ADMIN_TOKEN": s.token, "DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "20",
		"AMQP_URL": amqpURL, "AMQP_EXCHANGE": exchange, "AMQP_QUEUE_PREFIX": prefix,
	}
	maps.Copy(environ, extra)
	go func() { s.done <- run(ctx, environ, &out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("shop stopped with %v\n%s", err, out.String())
			}
		case <-time.After(60 * time.Second):
			t.Error("shop did not stop")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(s.order + "/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			s.done <- err // for the cleanup, which waits for it
			t.Fatalf("the shop stopped before it was ready: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shop never became ready:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *shopUnderTest) do(t *testing.T, method, url string, body any, header map[string]string) (int, []byte) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, nil
	}
	defer func() { _ = resp.Body.Close() }()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, got
}

// line is one line of an order a test places.
type line struct {
	product string
	qty     int
}

// The test provider's cards (docs/payment.md).
const (
	payingCard    = "4242424242424242"
	decliningCard = "4000000000000002"
)

// orderBody is an order of lines by customer email, paid with the card
// that pays.
func orderBody(email string, lines ...line) map[string]any {
	return orderBodyPaidWith(payingCard, email, lines...)
}

// orderBodyPaidWith is an order of lines by customer email, paid with card.
func orderBodyPaidWith(card, email string, lines ...line) map[string]any {
	items := make([]map[string]any, len(lines))
	for i, l := range lines {
		items[i] = map[string]any{"product_id": l.product, "quantity": l.qty}
	}
	return map[string]any{
		"customer": map[string]any{"email": email, "name": "Saga Test",
			"address": map[string]any{"line1": "1 Test Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"}},
		"items":   items,
		"payment": map[string]any{"card_number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
	}
}

// sagaOrders are the orders the saga test cycles through: single lines and
// a two-line order that must take both products' stock or neither.
var sagaOrders = [][]line{
	{{"saga-lamp", 1}},
	{{"saga-mug", 2}},
	{{"saga-lamp", 1}, {"saga-mug", 1}},
}

// waitUntil polls cond until it holds, and fails the test when it does not
// within limit.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSagaKeepsExactStockWhenTheBrokerDropsMidOrdering places a steady
// stream of orders, far more than the stock can serve, while the broker
// drops the shop's own connections in the middle of it: every order is
// accepted, stored once and reaches a final state exactly once (one stock
// outcome per order, each settled once), and each product's stock went
// down by exactly the quantities of the confirmed orders, never below zero
// (package accounting, as the drill and make e2e count).
func TestSagaKeepsExactStockWhenTheBrokerDropsMidOrdering(t *testing.T) {
	s := startRealShop(t)
	for id, stock := range map[string]int{"saga-lamp": 50, "saga-mug": 40} {
		status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/"+id, map[string]any{
			"name": id, "category": "home", "price_cents": 2500, "currency": "USD", "stock": stock,
		}, map[string]string{"Authorization": "Bearer " + s.token})
		if status/100 != 2 {
			t.Fatalf("creating product %s: %d %s", id, status, body)
		}
	}
	db, stockAtStart := openBooks(t, s.dbURL)

	var (
		mu       sync.Mutex
		accepted = map[string]string{}
		closeAt  = -1 // orders accepted when the connections were closed
		placed   atomic.Int64
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted)
	}
	enough := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return closeAt >= 0 && len(accepted) >= max(200, closeAt+60)
	}
	for range 4 {
		wg.Go(func() {
			for !enough() {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				n := placed.Add(1)
				// Each order its own address: the accounting counts a
				// checkout stored twice by it.
				body := orderBody(fmt.Sprintf("saga-%d@example.com", n), sagaOrders[n%int64(len(sagaOrders))]...)
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
				mu.Unlock()
			}
		})
	}
	stopOnce := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopOnce()
	waitUntil(t, "50 orders accepted", time.Minute, func() bool { return count() >= 50 })
	n := testenv.CloseRabbitConnections(t, s.marker) // while orders keep coming
	mu.Lock()
	closeAt = len(accepted)
	mu.Unlock()
	if n == 0 {
		t.Fatalf("no broker connection named %s to close", s.marker)
	}
	waitUntil(t, "60 more orders accepted after the broker dropped", time.Minute, enough)
	stopOnce()
	t.Logf("%d orders placed; the broker closed %d connections after %d", len(accepted), n, closeAt)

	r := checkBooks(t, db, accounting.Books{Accepted: accepted, Emails: "saga-%", StockAtStart: stockAtStart, Payments: db})
	if r.Confirmed == 0 || r.Rejected == 0 {
		t.Fatalf("%d orders for stock 50 lamps and 40 mugs: %v; want some confirmed and the rest rejected", len(accepted), r)
	}
	s.assertOneOutcomePerOrder(t, len(accepted), map[string]int{"confirmed": r.Confirmed, "rejected": r.Rejected})
}

// openBooks connects to the shop's database (catalog and orders in one) for
// as long as t runs, and reads every product's stock: the start of the
// books checkBooks checks.
func openBooks(t *testing.T, dbURL string) (*pgx.Conn, map[string]int) {
	t.Helper()
	db, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	stock, err := accounting.Stock(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return db, stock
}

// checkBooks waits for books' orders to settle and checks them (package
// accounting, as the drill and make e2e count): every request was
// answered, so every stored order must be one a client was told about.
func checkBooks(t *testing.T, db *pgx.Conn, books accounting.Books) accounting.Result {
	t.Helper()
	books.AllAnswered, books.Settle = true, 45*time.Second
	r, err := books.Check(t.Context(), db, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// assertOneOutcomePerOrder checks the catalog decided each order once (one
// stock.reserved or stock.rejected event each in its outbox) and the order
// service settled each once (its counters match the final statuses).
func (s *shopUnderTest) assertOneOutcomePerOrder(t *testing.T, orders int, counts map[string]int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var outcomes, distinct int
	err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT envelope->'data'->>'order_id') FROM outbox WHERE type = ANY($1)`,
		[]string{events.StockReserved, events.StockRejected}).Scan(&outcomes, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if outcomes != orders || distinct != orders {
		t.Errorf("%d stock outcomes for %d distinct orders, want one for each of %d", outcomes, distinct, orders)
	}
	_, metrics := s.do(t, http.MethodGet, s.order+"/metrics", nil, nil)
	for status, metric := range map[string]string{"confirmed": order.MetricConfirmed, "rejected": order.MetricRejected} {
		if want := fmt.Sprintf("\n%s %d\n", metric, counts[status]); !strings.Contains(string(metrics), want) {
			t.Errorf("order metrics lack %q: settled more or less often than orders ended %s", strings.TrimSpace(want), status)
		}
	}
}
