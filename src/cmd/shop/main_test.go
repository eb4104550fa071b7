package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

func TestShopServesTheCatalogAndStopsCleanly(t *testing.T) {
	port := testenv.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testenv.Output
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, map[string]string{"CATALOG_PORT": fmt.Sprint(port), "SEARCH_PORT": fmt.Sprint(testenv.FreePort(t)), "ORDER_PORT": fmt.Sprint(testenv.FreePort(t)), "PAYMENT_PORT": fmt.Sprint(testenv.FreePort(t)), "FRONTEND_PORT": fmt.Sprint(testenv.FreePort(t)), "HOST": "127.0.0.1", "LOG_LEVEL": "error"}, &out)
	}()

	url := fmt.Sprintf("http://127.0.0.1:%d/catalog?page_size=3", port)
	var page struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if err := json.Unmarshal(raw, &page); err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET /catalog: %d %s", resp.StatusCode, raw)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("shop stopped before serving: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("catalog never answered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(page.Items) != 3 || page.Total != 360 {
		t.Fatalf("embedded catalog served %d items of %d, want 3 of the 360 seeded", len(page.Items), page.Total)
	}
	if want := fmt.Sprintf("http://localhost:%d/catalog", port); !strings.Contains(out.String(), want) {
		t.Errorf("the runner did not print %s:\n%s", want, out.String())
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
}
