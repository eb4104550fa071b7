package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// TestEmbeddedShopShowsAnOrdersTrace is `make run` with SHOP_TRACES=memory
// and no backend at all: an order placed in the storefront must be one
// trace on the traces page, with the spans of the storefront, the order
// service, the payment service, the catalog, the relays' publishes and
// the consumers' handling.
func TestEmbeddedShopShowsAnOrdersTrace(t *testing.T) {
	catalogPort, orderPort, frontendPort, tracesPort := testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t), testenv.FreePort(t)
	s := &shopUnderTest{
		catalog: fmt.Sprintf("http://127.0.0.1:%d", catalogPort), order: fmt.Sprintf("http://127.0.0.1:%d", orderPort),
		frontend: fmt.Sprintf("http://127.0.0.1:%d", frontendPort), done: make(chan error, 1),
	}
	traces := fmt.Sprintf("http://127.0.0.1:%d", tracesPort)
	ctx, cancel := context.WithCancel(context.Background())
	var out testenv.Output
	go func() {
		s.done <- run(ctx, map[string]string{
			"CATALOG_PORT": fmt.Sprint(catalogPort), "SEARCH_PORT": fmt.Sprint(testenv.FreePort(t)),
			"ORDER_PORT": fmt.Sprint(orderPort), "PAYMENT_PORT": fmt.Sprint(testenv.FreePort(t)), "FRONTEND_PORT": fmt.Sprint(frontendPort),
			"SHOP_TRACES": "memory", "TRACES_PORT": fmt.Sprint(tracesPort),
			"HOST": "127.0.0.1", "LOG_LEVEL": "error",
		}, &out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("shop stopped with %v\n%s", err, out.String())
		}
	})
	eventuallyFound(t, "the order service is ready", func() bool {
		resp, err := http.Get(s.order + "/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	orderID := placeOrder(t, s)
	eventuallyFound(t, "the order is confirmed", func() bool {
		return getJSON[struct {
			Status string `json:"status"`
		}](t, s.order+"/orders/"+orderID).Status == "confirmed"
	})

	checkout := regexp.MustCompile(`<a href="/traces/([0-9a-f]{32})">frontend POST /checkout</a>`)
	var ids [][]string
	eventuallyFound(t, "the traces page lists the checkout", func() bool {
		ids = checkout.FindAllStringSubmatch(get(t, traces+"/"), -1)
		return len(ids) > 0
	})
	if len(ids) != 1 {
		t.Fatalf("the traces page lists %d checkouts, want 1", len(ids))
	}

	// The settle ends last; wait for it, then check every step is there.
	row := regexp.MustCompile(`data-service="([^"]*)" data-name="([^"]*)" data-depth="(\d+)"`)
	want := []string{
		"frontend|POST /checkout", "frontend|POST order", "order|POST /create-order", "order|GET catalog",
		"catalog|GET /catalog/:id", "order|publish shop.order.created.v1", "catalog|process shop.order.created.v1",
		"order|POST payment", "payment|POST /payment-methods",
		"catalog|publish shop.stock.reserved.v1", "payment|process shop.stock.reserved.v1",
		"payment|publish shop.payment.captured.v1", "order|process shop.payment.captured.v1",
	}
	var page string
	var missing []string
	eventuallyFound(t, "the trace holds every step of the order", func() bool {
		page = get(t, traces+"/traces/"+ids[0][1])
		var got []string
		for _, m := range row.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1]+"|"+m[2])
		}
		missing = nil
		for _, w := range want {
			if !slices.Contains(got, w) {
				missing = append(missing, w)
			}
		}
		return len(missing) == 0
	})
	if m := row.FindStringSubmatch(page); m == nil || m[1]+"|"+m[2] != "frontend|POST /checkout" || m[3] != "0" {
		t.Errorf("the waterfall does not start at the checkout: %v", m)
	}
	// The reservation is under the order's publish, not a trace of its
	// own: its depth is greater than the create-order request's.
	depth := func(name string) int {
		for _, m := range row.FindAllStringSubmatch(page, -1) {
			if m[2] == name {
				d, _ := strconv.Atoi(m[3])
				return d
			}
		}
		return -1
	}
	if d, o := depth("process shop.order.created.v1"), depth("POST /create-order"); d <= o {
		t.Errorf("the reservation is at depth %d, the order request at %d: want it nested deeper", d, o)
	}

	if body := get(t, traces+"/traces/00000000000000000000000000000001"); !strings.Contains(body, "not recorded") {
		t.Errorf("an unknown trace: %q", body)
	}
	resp, err := http.Get(traces + "/traces/not-hex")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed trace id: %d, want 400", resp.StatusCode)
	}
}

// get returns the body of url, whatever its status.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
