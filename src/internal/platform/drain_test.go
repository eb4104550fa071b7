package platform

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestListenAndServeDrainsTheKubernetesWay follows a SIGTERM: /ready fails at
// once while the service still serves new requests (closing their
// connections) for the shutdown delay, then it stops accepting, and the
// workers are stopped only after the server has drained.
func TestListenAndServeDrainsTheKubernetesWay(t *testing.T) {
	const delay = 600 * time.Millisecond
	base, err := LoadConfig[Base](map[string]string{
		"HOST": "127.0.0.1", "SHUTDOWN_DELAY": delay.String(), "SHUTDOWN_TIMEOUT": "2s",
	})
	if err != nil {
		t.Fatal(err)
	}
	app := testApp(t, io.Discard, Checks{"db": func(context.Context) error { return nil }})
	app.Get("/work", func(c *fiber.Ctx) error { return c.SendString("served") })

	probe := listen(t)
	port := probe.Addr().(*net.TCPAddr).Port
	_ = probe.Close()
	url := "http://127.0.0.1:" + strconv.Itoa(port)

	ctx, sigterm := context.WithCancel(context.Background())
	workerStopped := make(chan time.Time, 1)
	done := make(chan error, 1)
	go func() {
		done <- ListenAndServe(ctx, slog.New(slog.DiscardHandler), base, port, app, func(ctx context.Context) error {
			<-ctx.Done()
			workerStopped <- time.Now()
			return nil
		})
	}()
	waitFor(t, func() bool { code, _ := status(url + "/ready"); return code == http.StatusOK })

	sigterm()
	start := time.Now()
	waitFor(t, func() bool { code, _ := status(url + "/ready"); return code == http.StatusServiceUnavailable })
	if since := time.Since(start); since > delay/2 {
		t.Fatalf("/ready took %s to fail after SIGTERM", since)
	}
	if code, body := status(url + "/ready"); code != http.StatusServiceUnavailable || !strings.Contains(body, "draining") {
		t.Fatalf("/ready while draining = %d %q, want 503 draining", code, body)
	}
	// Routing is strict: no other spelling of /ready exists, draining or not.
	if code, _ := status(url + "/READY/"); code != http.StatusNotFound {
		t.Fatalf("/READY/ while draining = %d, want 404", code)
	}
	resp, err := http.Get(url + "/work")
	if err != nil {
		t.Fatalf("a request during the shutdown delay failed: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("during the delay /work = %d (close %v), want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
	select {
	case <-workerStopped:
		t.Fatal("workers were stopped before the server drained")
	default:
	}

	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe: %v", err)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("stopped after %s, before the %s delay", elapsed, delay)
	}
	if stopped := <-workerStopped; stopped.Sub(start) < delay {
		t.Fatalf("worker stopped %s after SIGTERM, inside the delay", stopped.Sub(start))
	}
	if _, err := http.Get(url + "/work"); err == nil {
		t.Fatal("still accepting connections after the drain")
	}
}

func status(url string) (int, string) {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
