package frontend_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// startSaga runs a seeded catalog, an order and a payment service (its
// test provider) joined by the in-process event bus, as the all-in-one
// runner does, and returns the catalog's and the order's URLs.
func startSaga(t *testing.T) (catalogURL, orderURL string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bus := mq.NewMemory(mq.Options{Logger: quietLogger()})
	catalogCfg, err := platform.LoadConfig[catalog.Config](map[string]string{"ADMIN_TOKEN": adminToken})
	if err != nil {
		t.Fatal(err)
	}
	catalogSvc, err := catalog.Open(ctx, catalogCfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	catalogURL = serveAPI(t, catalogSvc.App)
	paymentCfg, err := platform.LoadConfig[payment.Config](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	paymentSvc, err := payment.Open(ctx, paymentCfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	orderCfg, err := platform.LoadConfig[order.Config](map[string]string{"CATALOG_URL": catalogURL, "PAYMENT_URL": serveAPI(t, paymentSvc.App)})
	if err != nil {
		t.Fatal(err)
	}
	orderSvc, err := order.Open(ctx, orderCfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	orderURL = serveAPI(t, orderSvc.App)
	for _, subscribe := range []func(context.Context, mq.Bus) error{catalogSvc.Subscribe, orderSvc.Subscribe, paymentSvc.Subscribe} {
		if err := subscribe(ctx, bus); err != nil {
			t.Fatal(err)
		}
	}
	workers := []func(context.Context, mq.Bus) error{catalogSvc.Run, orderSvc.Run, paymentSvc.Run}
	done := make(chan struct{}, len(workers))
	for _, run := range workers {
		go func() {
			_ = run(ctx, bus)
			done <- struct{}{}
		}()
	}
	t.Cleanup(func() {
		cancel()
		for range workers {
			<-done
		}
		_ = bus.Close()
		paymentSvc.Close()
		orderSvc.Close()
		catalogSvc.Close()
	})
	return catalogURL, orderURL
}

var (
	orderPath       = regexp.MustCompile(`^/orders/([A-Za-z0-9_-]+)$`)
	orderRefPattern = regexp.MustCompile(`data-testid="order-ref">(SHP-[0-9A-Z]{6})<`)
)

// waitForStatus reloads the order page until it leaves pending.
func waitForStatus(t *testing.T, s *shopper, path string) page {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p := s.get(path)
		wantStatus(t, p, http.StatusOK)
		if !strings.Contains(p.body, "status-pending") {
			return p
		}
		wantContains(t, p, `<meta http-equiv="refresh" content="2">`)
		if time.Now().After(deadline) {
			t.Fatalf("order still pending after 20 s:\n%s", p.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCheckoutPlacesAnOrderThatBecomesConfirmed(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "2")), http.StatusSeeOther)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "1")), http.StatusSeeOther)
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(s.get("/checkout").body)
	if nonce == nil {
		t.Fatal("the checkout form has no nonce")
	}
	form := checkoutFields()
	form.Set("nonce", nonce[1])
	placed := s.post("/checkout", form)
	wantStatus(t, placed, http.StatusSeeOther)
	m := orderPath.FindStringSubmatch(placed.header.Get("Location"))
	if m == nil {
		t.Fatalf("redirected to %q, want /orders/{id}", placed.header.Get("Location"))
	}
	p := waitForStatus(t, s, m[0])
	ref := orderRefPattern.FindStringSubmatch(p.body)
	if ref == nil {
		t.Fatalf("the order page shows no short order reference:\n%s", p.body)
	}
	wantContains(t, p, "<title>Order "+ref[1]+" · Shop</title>")
	if strings.Contains(p.body, "<h1>Order "+m[1]) {
		t.Fatal("the order page's heading is the raw order id")
	}
	books, kitchen := priceOf(t, catalogURL, "books-001"), priceOf(t, catalogURL, "kitchenware-007")
	wantContains(t, p, "status-confirmed", "Confirmed", "/product/books-001", "/product/kitchenware-007",
		`data-testid="line-total">`+money(2*books)+"<", `data-testid="subtotal">`+money(2*books+kitchen)+"<",
		"12 Analytical Way", "United Kingdom", "Standard delivery: 5–8 working days", `data-testid="tracking">TRK`, "Including VAT")
	if strings.Contains(p.body, `http-equiv="refresh"`) {
		t.Fatal("a settled order page still reloads itself")
	}
	wantContains(t, p, `data-testid="cart-count">0<`)
	wantContains(t, s.get("/cart"), "Your cart is empty")
}

func TestConfirmedOrderLeavesWhatWasAddedSince(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "2")), http.StatusSeeOther)
	placed := s.post("/checkout", checkoutFields())
	wantStatus(t, placed, http.StatusSeeOther)
	// The shopper keeps shopping while the order is being confirmed.
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "kitchenware-007", "quantity", "1")), http.StatusSeeOther)
	p := waitForStatus(t, s, placed.header.Get("Location"))
	wantContains(t, p, "status-confirmed", `data-testid="cart-count">2<`)
	after := s.get("/cart")
	if got := quantityInCart(t, after, "books-001"); got != "1" {
		t.Fatalf("after the order of 2 books is confirmed the cart holds %s of them, want the 1 added since", got)
	}
	if got := quantityInCart(t, after, "kitchenware-007"); got != "1" {
		t.Fatalf("the product added after ordering is gone from the cart (%s)", got)
	}
}

func TestDoubleSubmittedCheckoutPlacesOneOrder(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "books-001", "quantity", "1")), http.StatusSeeOther)
	form := checkoutFields()
	form.Set("nonce", "same-form")
	// The browser sends the form twice before the first answer arrives:
	// the second request still carries the cart cookie.
	cart := s.cookie("cart")
	first := s.post("/checkout", form)
	s.setCookie("cart", cart)
	second := s.post("/checkout", form)
	wantStatus(t, first, http.StatusSeeOther)
	wantStatus(t, second, http.StatusSeeOther)
	if a, b := first.header.Get("Location"), second.header.Get("Location"); a != b {
		t.Fatalf("a double submit placed two orders: %s and %s", a, b)
	}
	// A new checkout of the same cart is a new order.
	s.setCookie("cart", cart)
	form.Set("nonce", "next-form")
	third := s.post("/checkout", form)
	wantStatus(t, third, http.StatusSeeOther)
	if third.header.Get("Location") == first.header.Get("Location") {
		t.Fatal("a new checkout reused the previous order")
	}
}

func TestRejectedOrderNamesTheProductAndKeepsTheCart(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	setStock(t, catalogURL, "appliances-002", 3)
	// The storefront keeps catalog answers for a minute, so it still
	// believes 3 are in stock when the last ones sell elsewhere: the order
	// is placed and the catalog rejects it.
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, map[string]string{"BACKEND_CACHE_TTL": "1m"})
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", formOf("product_id", "appliances-002", "quantity", "3")), http.StatusSeeOther)
	wantStatus(t, s.get("/checkout"), http.StatusOK)
	setStock(t, catalogURL, "appliances-002", 1)

	placed := s.post("/checkout", checkoutFields())
	wantStatus(t, placed, http.StatusSeeOther)
	p := waitForStatus(t, s, placed.header.Get("Location"))
	name := catalogProduct(t, catalogURL, "appliances-002")["name"].(string)
	wantContains(t, p, "status-rejected", "Rejected: Insufficient stock for “"+name+"”: 3 requested, 1 available",
		"Your cart is kept")
	status := regexp.MustCompile(`(?s)data-testid="order-status">(.*?)</p>`).FindStringSubmatch(p.body)
	if status == nil || strings.Contains(status[1], "appliances-002") {
		t.Fatalf("the rejection names the internal product id:\n%s", p.body)
	}
	cart := s.get("/cart")
	if got := quantityInCart(t, cart, "appliances-002"); got != "3" {
		t.Fatalf("after the rejection the cart holds %s of the product, want the 3 the shopper chose", got)
	}
	if strings.Contains(cart.body, "is being confirmed") {
		t.Fatal("the cart still points at the rejected order")
	}
}

func TestUnknownOrderIs404(t *testing.T) {
	catalogURL, orderURL := startSaga(t)
	site := startFrontend(t, backendURLs{catalogURL, deadURL(t), orderURL}, nil)
	p := newShopper(t, site).get("/orders/00000000-0000-0000-0000-000000000000")
	wantStatus(t, p, http.StatusNotFound)
	wantContains(t, p, "Page not found", "that order")
}
