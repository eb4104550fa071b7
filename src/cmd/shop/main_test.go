package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// freePort asks the kernel for a port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects the runner's output while it is still writing.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestShopServesTheCatalogAndStopsCleanly(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, map[string]string{"CATALOG_PORT": fmt.Sprint(port), "SEARCH_PORT": fmt.Sprint(freePort(t)), "ORDER_PORT": fmt.Sprint(freePort(t)), "FRONTEND_PORT": fmt.Sprint(freePort(t)), "HOST": "127.0.0.1", "LOG_LEVEL": "error"}, &out)
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
