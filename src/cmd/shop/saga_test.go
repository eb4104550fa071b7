package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// shopUnderTest is the runner on real PostgreSQL and RabbitMQ, on its own
// database, exchange and queues.
type shopUnderTest struct {
	catalog, order, search, token, marker string
	done                                  chan error
	cancel                                context.CancelFunc
}

func startRealShop(t *testing.T) *shopUnderTest {
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
		return qs
	})
	catalogPort, orderPort, searchPort := freePort(t), freePort(t), freePort(t)
	s := &shopUnderTest{
		catalog: fmt.Sprintf("http://127.0.0.1:%d", catalogPort), order: fmt.Sprintf("http://127.0.0.1:%d", orderPort),
		search: fmt.Sprintf("http://127.0.0.1:%d", searchPort),
		token:  "saga-test-token", marker: prefix, done: make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	var out syncBuffer
	go func() {
		s.done <- run(ctx, map[string]string{
			"CATALOG_PORT": fmt.Sprint(catalogPort), "ORDER_PORT": fmt.Sprint(orderPort), "FRONTEND_PORT": fmt.Sprint(freePort(t)),
			"SEARCH_PORT": fmt.Sprint(searchPort),
			"HOST":        "127.0.0.1",
			"LOG_LEVEL":   "error", "ADMIN_TOKEN": s.token, "DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "20",
			"AMQP_URL": amqpURL, "AMQP_EXCHANGE": exchange, "AMQP_QUEUE_PREFIX": prefix,
		}, &out)
	}()
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

func orderBody(product string, qty int) map[string]any {
	return map[string]any{
		"customer": map[string]any{"email": "saga@example.com", "name": "Saga Test",
			"address": map[string]any{"line1": "1 Test Road", "city": "Leeds", "postal_code": "LS1 1AA", "country": "GB"}},
		"items": []map[string]any{{"product_id": product, "quantity": qty}},
	}
}

// TestSagaNeverOversellsAndSurvivesBrokerLoss places 200 concurrent orders
// for a product with stock 50 while the broker drops the shop's
// connections: every order is accepted, and once the broker is back each
// reaches a final state, exactly 50 confirmed and 150 rejected, stock 0.
func TestSagaNeverOversellsAndSurvivesBrokerLoss(t *testing.T) {
	s := startRealShop(t)
	status, body := s.do(t, http.MethodPut, s.catalog+"/catalog/saga-lamp", map[string]any{
		"name": "Saga Lamp", "category": "home", "price_cents": 2500, "currency": "USD", "stock": 50,
	}, map[string]string{"Authorization": "Bearer " + s.token})
	if status/100 != 2 {
		t.Fatalf("creating the product: %d %s", status, body)
	}

	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for i := range 200 {
		if i == 100 {
			wg.Wait() // half placed: now the broker drops the shop's connections
			if n := testenv.CloseRabbitConnections(t, s.marker); n == 0 {
				t.Fatalf("no broker connection named %s to close", s.marker)
			}
		}
		wg.Go(func() {
			status, body := s.do(t, http.MethodPost, s.order+"/create-order", orderBody("saga-lamp", 1), nil)
			var ans struct {
				OrderID string `json:"order_id"`
			}
			if status != http.StatusAccepted || json.Unmarshal(body, &ans) != nil {
				t.Errorf("create-order: %d %s", status, body)
				return
			}
			mu.Lock()
			ids = append(ids, ans.OrderID)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(ids) != 200 {
		t.Fatalf("%d of 200 orders accepted", len(ids))
	}

	counts := map[string]int{}
	deadline := time.Now().Add(2 * time.Minute)
	for _, id := range ids {
		for {
			var o struct {
				Status string `json:"status"`
				Reason string `json:"reason"`
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
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order %s still pending; so far %v", id, counts)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if counts["confirmed"] != 50 || counts["rejected"] != 150 {
		t.Fatalf("200 orders for stock 50: %v, want 50 confirmed and 150 rejected", counts)
	}
	status, body = s.do(t, http.MethodGet, s.catalog+"/catalog/saga-lamp", nil, nil)
	var p struct {
		Stock int `json:"stock"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &p) != nil || p.Stock != 0 {
		t.Fatalf("product after the saga: %d %s, want stock 0", status, body)
	}
}
