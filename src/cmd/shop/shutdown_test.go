package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Shutdown runs in dependency order, read from the steps the runner logs:
// the HTTP servers in the order the services call each other, then the
// consumers and relays, then the bus, and the stores last, so no request
// or event handler runs on a closed pool or index.
func TestShutdownStopsHTTPThenConsumersThenBusThenStores(t *testing.T) {
	logDir := t.TempDir()
	frontendPort := testenv.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testenv.Output
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, map[string]string{
			"CATALOG_PORT": fmt.Sprint(testenv.FreePort(t)), "SEARCH_PORT": fmt.Sprint(testenv.FreePort(t)),
			"ORDER_PORT": fmt.Sprint(testenv.FreePort(t)), "PAYMENT_PORT": fmt.Sprint(testenv.FreePort(t)), "FRONTEND_PORT": fmt.Sprint(frontendPort),
			"HOST": "127.0.0.1", "LOG_LEVEL": "info", "LOG_DIR": logDir,
		}, &out)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", frontendPort))
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("storefront never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shop did not stop after its context was cancelled")
	}

	f, err := os.Open(filepath.Join(logDir, "shop.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var steps []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line struct{ Msg, Step, Error string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "shutdown step done" {
			if line.Error != "" {
				t.Errorf("step %s failed: %s", line.Step, line.Error)
			}
			steps = append(steps, line.Step)
		}
	}
	at := func(step string) int {
		i := slices.Index(steps, step)
		if i < 0 {
			t.Fatalf("no shutdown step %q in %v", step, steps)
		}
		return i
	}
	before := func(a, b string) {
		if at(a) > at(b) {
			t.Errorf("%s stopped after %s: %v", a, b, steps)
		}
	}
	before("http frontend", "http order")
	before("http frontend", "http search")
	before("http order", "http catalog")
	before("http order", "http payment")
	before("http payment", "consumers and relays")
	before("http search", "http catalog")
	before("http catalog", "consumers and relays")
	before("consumers and relays", "bus")
	for _, store := range []string{"store catalog", "store order", "store search", "store payment"} {
		before("bus", store)
	}
	if len(steps) != 11 {
		t.Errorf("shutdown steps %v, want 11", steps)
	}
}
