package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// shutdownTimeout is the SHUTDOWN_TIMEOUT the shop process gets.
const shutdownTimeout = 15 * time.Second

// shopProcess is the shop binary running as a child process.
type shopProcess struct {
	cmd            *exec.Cmd
	out            *testenv.Output
	exited         chan struct{}
	order, catalog string
}

// buildShop compiles this command without build tags (every backend in),
// into a temporary directory.
func buildShop(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startShopProcess runs bin with environ on fresh ports and waits until both
// services are ready.
func startShopProcess(t *testing.T, bin string, environ map[string]string) *shopProcess {
	t.Helper()
	catalogPort, orderPort := testenv.FreePort(t), testenv.FreePort(t)
	env := maps.Clone(environ)
	env["CATALOG_PORT"], env["ORDER_PORT"], env["PAYMENT_PORT"] = fmt.Sprint(catalogPort), fmt.Sprint(orderPort), fmt.Sprint(testenv.FreePort(t))
	// Search and the storefront on ports of their own too: the machine's
	// defaults may be taken by a shop someone else runs.
	env["SEARCH_PORT"], env["FRONTEND_PORT"] = fmt.Sprint(testenv.FreePort(t)), fmt.Sprint(testenv.FreePort(t))
	p := &shopProcess{
		cmd: exec.Command(bin), out: &testenv.Output{}, exited: make(chan struct{}),
		catalog: fmt.Sprintf("http://127.0.0.1:%d", catalogPort), order: fmt.Sprintf("http://127.0.0.1:%d", orderPort),
	}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for _, base := range []string{p.catalog, p.order} {
		for !isReady(base) {
			select {
			case <-p.exited:
				t.Fatalf("the shop exited before it was ready (%v):\n%s", p.cmd.ProcessState, p.out.String())
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("the shop never became ready:\n%s", p.out.String())
			}
		}
	}
	return p
}

func isReady(base string) bool {
	resp, err := http.Get(base + "/ready")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM and returns how long the process took to exit, failing
// t unless it exited with status 0 within the shutdown timeout.
func (p *shopProcess) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(shutdownTimeout):
		t.Fatalf("the shop did not exit within its shutdown timeout %s:\n%s", shutdownTimeout, p.out.String())
	}
	took := time.Since(start)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("the shop exited with status %d after SIGTERM:\n%s", code, p.out.String())
	}
	return took
}

// attempt is one create-order request as the client saw it.
type attempt struct {
	status     int
	orderID    string
	err        error
	start, end time.Time
	dialStart  time.Time // the last connection attempt; zero when a pooled connection was reused
}

// createOrder posts one order with a unique Idempotency-Key (which also lets
// the HTTP client resend it on a fresh connection when the server closed
// an idle keep-alive connection under it, as any client may).
func createOrder(client *http.Client, base, product string) attempt {
	a := attempt{start: time.Now()}
	var mu sync.Mutex
	trace := &httptrace.ClientTrace{ConnectStart: func(string, string) {
		mu.Lock()
		a.dialStart = time.Now()
		mu.Unlock()
	}}
	key := testenv.RandomSuffix()
	body, _ := json.Marshal(orderBody("sigterm-"+key+"@example.com", line{product, 1}))
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, base+"/create-order", bytes.NewReader(body))
	if err != nil {
		return attempt{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "sigterm-"+key)
	resp, err := client.Do(req)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		a.err, a.end = err, time.Now()
		return a
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	a.status, a.err, a.end = resp.StatusCode, err, time.Now()
	var ans struct {
		OrderID string `json:"order_id"`
	}
	if a.status == http.StatusAccepted && json.Unmarshal(raw, &ans) == nil {
		a.orderID = ans.OrderID
	}
	if a.status != http.StatusAccepted && a.err == nil {
		a.err = fmt.Errorf("status %d: %s", a.status, raw)
	}
	return a
}

// TestSIGTERMUnderLoadLosesNoAcceptedOrder runs the shop binary on real
// PostgreSQL and RabbitMQ, sends it SIGTERM while several clients place
// orders, and restarts it on the same database and broker: every order that
// was answered 202 exists exactly once and reaches its final state, every
// request in flight at SIGTERM got an answer, only connections attempted
// after SIGTERM were refused, and the process exited 0 in time.
func TestSIGTERMUnderLoadLosesNoAcceptedOrder(t *testing.T) {
	dbURL := testenv.NewDatabase(t)
	amqpURL := testenv.RabbitURL(t)
	bin := buildShop(t)
	suffix := testenv.RandomSuffix()
	prefix, exchange := "sigterm-"+suffix+".", "test.events."+suffix
	testenv.DeleteRabbitObjects(t, amqpURL, []string{exchange, exchange + ".dlx"}, func() []string {
		var qs []string
		for _, q := range []string{"catalog.reserve-stock", "catalog.release-stock", "order.settle", "payment.charge"} {
			qs = append(qs, prefix+q, prefix+q+".dlq")
		}
		// Search's own queue is per replica and auto-deleted; its
		// dead-letter queue is durable and outlives the process.
		return append(qs, prefix+"search.products.dlq")
	})
	environ := map[string]string{
		"HOST": "127.0.0.1", "LOG_LEVEL": "error", "ADMIN_TOKEN": "sigterm-test-token", "SHUTDOWN_TIMEOUT": shutdownTimeout.String(),
		"DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "20", "AMQP_URL": amqpURL, "AMQP_EXCHANGE": exchange, "AMQP_QUEUE_PREFIX": prefix,
	}
	const initialStock = 100000
	shop := startShopProcess(t, bin, environ)
	status, body := shop.put(t, "/catalog/sigterm-lamp", initialStock, environ["ADMIN_TOKEN"])
	if status/100 != 2 {
		t.Fatalf("creating the product: %d %s", status, body)
	}
	db, stockAtStart := openBooks(t, dbURL)

	var (
		mu       sync.Mutex
		attempts []attempt
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for range 6 {
		wg.Go(func() {
			for {
				select {
				case <-shop.exited:
					return
				default:
				}
				a := createOrder(client, shop.order, "sigterm-lamp")
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if a.err != nil && a.status == 0 {
					time.Sleep(10 * time.Millisecond) // the listener is gone: do not spin
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	at := time.Now()
	took := shop.stop(t)
	wg.Wait()

	accepted := map[string]string{}
	var refused, inFlight int
	for _, a := range attempts {
		switch {
		case a.err == nil:
			if a.start.Before(at) && a.end.After(at) {
				inFlight++
			}
			if _, ok := accepted[a.orderID]; ok {
				t.Errorf("order id %s answered twice", a.orderID)
			}
			accepted[a.orderID] = "pending"
		case a.status != 0:
			t.Errorf("a request sent %s before SIGTERM was answered %v", at.Sub(a.start), a.err)
		case errors.Is(a.err, syscall.ECONNREFUSED) && !a.dialStart.Before(at):
			refused++
		default:
			t.Errorf("a request failed without an answer from the shop (sent %s, connection dialled %s, SIGTERM %s): %v",
				a.start.Format(time.StampMicro), a.dialStart.Format(time.StampMicro), at.Format(time.StampMicro), a.err)
		}
	}
	t.Logf("%d requests: %d accepted (%d of them in flight at SIGTERM), %d refused after SIGTERM; the shop exited %s after SIGTERM",
		len(attempts), len(accepted), inFlight, refused, took.Round(time.Millisecond))
	if len(accepted) < 20 || inFlight == 0 {
		t.Fatalf("%d orders accepted, %d of them in flight at SIGTERM: the load never exercised the drain", len(accepted), inFlight)
	}

	// The same database and broker queues: what was accepted must all be
	// there, once, and settle; with stock for all, every one confirmed.
	shop = startShopProcess(t, bin, environ)
	r := checkBooks(t, db, accounting.Books{Accepted: accepted, Emails: "sigterm-%", StockAtStart: stockAtStart})
	if r.Confirmed != len(accepted) {
		t.Errorf("with stock for all, %d accepted orders ended %v, want all confirmed", len(accepted), r)
	}
	shop.stop(t)
}

func (p *shopProcess) put(t *testing.T, path string, stock int, token string) (int, []byte) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"name": "Test Lamp", "category": "home", "price_cents": 2500, "currency": "USD", "stock": stock})
	req, _ := http.NewRequest(http.MethodPut, p.catalog+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, got
}

// getJSON GETs url, which must answer 200, and decodes its body.
func getJSON[T any](t *testing.T, url string) T {
	t.Helper()
	var v T
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &v) != nil {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, raw)
	}
	return v
}
