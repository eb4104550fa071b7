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
		for _, q := range []string{"catalog.reserve-stock", "order.settle"} {
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
		"CATALOG_PORT": fmt.Sprint(catalogPort), "ORDER_PORT": fmt.Sprint(orderPort), "FRONTEND_PORT": fmt.Sprint(frontendPort),
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

func orderBody(lines ...line) map[string]any {
	items := make([]map[string]any, len(lines))
	for i, l := range lines {
		items[i] = map[string]any{"product_id": l.product, "quantity": l.qty}
	}
	return map[string]any{
		"customer": map[string]any{"email": "saga@example.com", "name": "Saga Test",
			"address": map[string]any{"line1": "1 Test Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"}},
		"items": items,
	}
}

// sagaOrders are the orders the saga test cycles through: single lines and
// a two-line order that must take both products' stock or neither.
var sagaOrders = [][]line{
	{{"saga-lamp", 1}},
	{{"saga-mug", 2}},
	{{"saga-lamp", 1}, {"saga-mug", 1}},
}

// TestSagaKeepsExactStockWhenTheBrokerDropsMidOrdering places a steady
// stream of orders, far more than the stock can serve, while the broker
// drops the shop's own connections in the middle of it: every order is
// accepted and reaches a final state exactly once (one stock outcome per
// order, each settled once), and each product's stock went down by exactly
// the quantities of the confirmed orders, never below zero.
func TestSagaKeepsExactStockWhenTheBrokerDropsMidOrdering(t *testing.T) {
	s := startRealShop(t)
	initial := map[string]int{"saga-lamp": 50, "saga-mug": 40}
	for id, stock := range initial {
		status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/"+id, map[string]any{
			"name": id, "category": "home", "price_cents": 2500, "currency": "USD", "stock": stock,
		}, map[string]string{"Authorization": "Bearer " + s.token})
		if status/100 != 2 {
			t.Fatalf("creating product %s: %d %s", id, status, body)
		}
	}

	var (
		mu      sync.Mutex
		ids     []string
		closeAt = -1 // orders accepted when the connections were closed
		placed  atomic.Int64
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	enough := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return closeAt >= 0 && len(ids) >= max(200, closeAt+60)
	}
	for range 4 {
		wg.Go(func() {
			for !enough() {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				lines := sagaOrders[placed.Add(1)%int64(len(sagaOrders))]
				status, body := s.do(t, http.MethodPost, s.order+"/create-order", orderBody(lines...), nil)
				var ans struct {
					OrderID string `json:"order_id"`
				}
				if status != http.StatusAccepted || json.Unmarshal(body, &ans) != nil {
					t.Errorf("create-order: %d %s", status, body)
					continue
				}
				mu.Lock()
				ids = append(ids, ans.OrderID)
				mu.Unlock()
			}
		})
	}
	stopOnce := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopOnce()
	for accepted := 0; accepted < 50; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		accepted = len(ids)
		mu.Unlock()
	}
	n := testenv.CloseRabbitConnections(t, s.marker) // while orders keep coming
	mu.Lock()
	closeAt = len(ids)
	mu.Unlock()
	if n == 0 {
		t.Fatalf("no broker connection named %s to close", s.marker)
	}
	for !enough() {
		time.Sleep(10 * time.Millisecond)
	}
	stopOnce()
	t.Logf("%d orders placed; the broker closed %d connections after %d", len(ids), n, closeAt)

	confirmed, counts := map[string]int{}, map[string]int{}
	deadline := time.Now().Add(45 * time.Second)
	for _, id := range ids {
		for {
			var o struct {
				Status string `json:"status"`
				Reason string `json:"reason"`
				Items  []struct {
					ProductID string `json:"product_id"`
					Quantity  int    `json:"quantity"`
				} `json:"items"`
			}
			status, body := s.do(t, http.MethodGet, s.order+"/orders/"+id, nil, nil)
			if status != http.StatusOK || json.Unmarshal(body, &o) != nil {
				t.Fatalf("GET order %s: %d %s", id, status, body)
			}
			if o.Status != "pending" {
				if o.Status == "rejected" && o.Reason == "" {
					t.Errorf("order %s rejected without a reason", id)
				}
				counts[o.Status]++
				for _, it := range o.Items {
					if o.Status == "confirmed" {
						confirmed[it.ProductID] += it.Quantity
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order %s still pending; so far %v", id, counts)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if counts["confirmed"] == 0 || counts["rejected"] == 0 || counts["confirmed"]+counts["rejected"] != len(ids) {
		t.Fatalf("%d orders for stock %v ended %v, want some confirmed and the rest rejected", len(ids), initial, counts)
	}
	for id, stock := range initial {
		var p struct {
			Stock int `json:"stock"`
		}
		status, body := s.do(t, http.MethodGet, s.catalog+"/catalog/"+id, nil, nil)
		if status != http.StatusOK || json.Unmarshal(body, &p) != nil {
			t.Fatalf("GET product %s: %d %s", id, status, body)
		}
		if p.Stock < 0 || stock-p.Stock != confirmed[id] {
			t.Errorf("%s: stock %d -> %d, but confirmed orders took %d", id, stock, p.Stock, confirmed[id])
		}
	}
	s.assertOneOutcomePerOrder(t, len(ids), counts)
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
