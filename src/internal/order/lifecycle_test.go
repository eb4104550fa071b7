package order

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/events"
)

// do sends an empty POST (or any method) with an optional bearer token.
func (a testApp) do(t *testing.T, method, path, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, a.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// confirm settles an order as the payment service's payment.captured does.
func confirm(t *testing.T, app testApp, id string) {
	t.Helper()
	if moved, err := app.store.Settle(context.Background(), uuid.NewString(), id, Confirmed, "", PaymentCaptured); err != nil || !moved {
		t.Fatalf("confirming %s: moved=%v %v", id, moved, err)
	}
}

func place(t *testing.T, app testApp) string {
	t.Helper()
	status, body, _ := post(t, app, validBody, "application/json", nil)
	var ans CreateAnswer
	if status != http.StatusAccepted || json.Unmarshal([]byte(body), &ans) != nil {
		t.Fatalf("create-order: %d %s", status, body)
	}
	return ans.OrderID
}

func getOrder(t *testing.T, app testApp, id string) Order {
	t.Helper()
	var o Order
	if err := json.NewDecoder(app.get(t, "/orders/"+id).Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOrderKeepsOnlyTheCardsBrandAndLast4(t *testing.T) {
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	id := place(t, app)
	raw, _ := json.Marshal(getOrder(t, app, id))
	pending, _ := box.Pending(context.Background(), 10)
	event, _ := json.Marshal(pending)
	for what, text := range map[string]string{"the order": string(raw), "its event": string(event)} {
		if strings.Contains(text, "4242424242424242") || strings.Contains(text, "4242 4242") || strings.Contains(text, `"123"`) {
			t.Errorf("%s holds the card number or CVC: %s", what, text)
		}
	}
	o := getOrder(t, app, id)
	if o.Payment == nil || o.Payment.Brand != "visa" || o.Payment.Last4 != "4242" || o.Payment.Status != PaymentPending {
		t.Fatalf("order's payment %+v, want visa 4242 pending", o.Payment)
	}
	var d events.OrderCreatedData
	if err := pending[0].Decode(&d); err != nil || d.PaymentMethodID != "pm_card_visa" {
		t.Fatalf("order.created %+v %v, want the card's token", d, err)
	}
}

func TestConfirmedOrderCanBeCancelledOnceWithItsEvent(t *testing.T) {
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	id := place(t, app)
	if resp := app.do(t, "POST", "/orders/"+id+"/cancel", ""); resp.StatusCode != http.StatusConflict {
		t.Fatalf("cancelling a pending order: %d, want 409", resp.StatusCode)
	}
	confirm(t, app, id)
	for range 2 {
		if resp := app.do(t, "POST", "/orders/"+id+"/cancel", ""); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("cancelling a confirmed order: %d, want 202", resp.StatusCode)
		}
	}
	o := getOrder(t, app, id)
	var statuses []Status
	for _, c := range o.History {
		statuses = append(statuses, c.Status)
	}
	if o.Status != Cancelled || len(statuses) != 3 || statuses[0] != Pending || statuses[1] != Confirmed || statuses[2] != Cancelled {
		t.Fatalf("order %s with history %v, want pending, confirmed, cancelled", o.Status, statuses)
	}
	pending, _ := box.Pending(context.Background(), 10)
	var cancels int
	for _, e := range pending {
		if e.Type == events.OrderCancelled {
			cancels++
		}
	}
	if cancels != 1 {
		t.Fatalf("%d order.cancelled events, want 1", cancels)
	}
	if resp := app.do(t, "POST", "/orders/"+uuid.NewString()+"/cancel", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("cancelling an unknown order: %d, want 404", resp.StatusCode)
	}
}

func TestShippedOrderCannotBeCancelled(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	id := place(t, app)
	confirm(t, app, id)
	if resp := app.do(t, "POST", "/orders/"+id+"/ship", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("shipping without the admin token: %d, want 401", resp.StatusCode)
	}
	if resp := app.do(t, "POST", "/orders/"+id+"/ship", testAdminToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("shipping: %d, want 200", resp.StatusCode)
	}
	if resp := app.do(t, "POST", "/orders/"+id+"/cancel", ""); resp.StatusCode != http.StatusConflict {
		t.Fatalf("cancelling a shipped order: %d, want 409", resp.StatusCode)
	}
	if o := getOrder(t, app, id); o.Status != Shipped {
		t.Fatalf("order %s, want shipped", o.Status)
	}
}

func TestDeclinedPaymentRejectsTheOrderWithTheReason(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	id := place(t, app)
	e, err := events.New("/shop/payment", events.PaymentDeclined, events.PaymentDeclinedData{OrderID: id, Code: "declined", Reason: "Your card was declined: try another card."})
	if err != nil {
		t.Fatal(err)
	}
	if err := settleHandler(app.store, NewMetrics(prometheus.NewRegistry()))(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	o := getOrder(t, app, id)
	if o.Status != Rejected || o.Reason != "Your card was declined: try another card." || o.Payment.Status != PaymentDeclined {
		t.Fatalf("order %s (%q) payment %+v, want rejected with the decline reason", o.Status, o.Reason, o.Payment)
	}
}
