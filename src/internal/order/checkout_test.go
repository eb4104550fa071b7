package order

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func createOrder(t *testing.T, app testApp, body string) Order {
	t.Helper()
	status, answer, _ := post(t, app, body, "application/json", nil)
	if status != 202 {
		t.Fatalf("create-order: %d %s", status, answer)
	}
	var ans CreateAnswer
	if err := json.Unmarshal([]byte(answer), &ans); err != nil {
		t.Fatal(err)
	}
	return getOrderAt(t, app, "/orders/"+ans.OrderID)
}

func getOrderAt(t *testing.T, app testApp, path string) Order {
	t.Helper()
	resp := app.get(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	var o Order
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestQuoteIsWhatTheOrderThenCosts(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	status, body, _ := postTo(t, app, "/quote", `{"country":"gb","items":[{"product_id":"mug-001","quantity":2},{"product_id":"pan-002","quantity":1}],"shipping":{"method":"express"}}`, "application/json", nil)
	var q QuoteAnswer
	if status != 200 || json.Unmarshal([]byte(body), &q) != nil {
		t.Fatalf("quote: %d %s", status, body)
	}
	o := createOrder(t, app, strings.Replace(validBody, `"items":[`, `"shipping":{"method":"express"},"items":[`, 1))
	if q.SubtotalCents != 4800 || q.ShippingCents != 2499 || q.TotalCents != 7299 || q.TaxCents != 1217 || q.Currency != "USD" {
		t.Fatalf("quote %+v: want 48.00 + 24.99 express to Europe = 72.99 including 12.17 VAT (20%%)", q)
	}
	if o.SubtotalCents != q.SubtotalCents || o.ShippingCents != q.ShippingCents || o.TaxCents != q.TaxCents || o.TotalCents != q.TotalCents ||
		o.Shipping.Method != Express || o.Shipping.EstimateMinDays != q.Shipping.EstimateMinDays || o.Shipping.EstimateMaxDays != q.Shipping.EstimateMaxDays {
		t.Fatalf("order %+v differs from its quote %+v", o, q)
	}
	if len(q.Options) != 2 || q.Options[0].Method != Standard || q.Options[1].Method != Express || q.FreeShippingAboveCents != 10000 {
		t.Fatalf("options %+v, free above %d", q.Options, q.FreeShippingAboveCents)
	}
}

func TestQuoteRefusesBadInputNamingTheProblem(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	for body, mention := range map[string]string{
		`{"items":[{"product_id":"mug-001","quantity":1}]}`:                                              "country",
		`{"country":"GB","items":[]}`:                                                                    "items",
		`{"country":"GB","items":[{"product_id":"mug-001","quantity":1}],"shipping":{"method":"drone"}}`: "shipping.method",
		`{"country":"GB","items":[{"product_id":"ghost-1","quantity":1}]}`:                               "ghost-1",
	} {
		status, answer, _ := postTo(t, app, "/quote", body, "application/json", nil)
		if status/100 != 4 || !strings.Contains(answer, mention) {
			t.Errorf("quote %s: %d %s, want a 4xx naming %q", body, status, answer, mention)
		}
	}
}

func TestOrderGetsAHumanReferenceAndATrackingReferenceOnceConfirmed(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	o := createOrder(t, app, validBody)
	if !referencePattern.MatchString(o.Reference) || o.Shipping.Tracking != "" || o.Shipping.Method != Standard {
		t.Fatalf("new order: reference %q, shipping %+v: want a reference, standard, no tracking yet", o.Reference, o.Shipping)
	}
	if _, err := app.store.Settle(context.Background(), uuid.NewString(), o.ID, Confirmed, "", PaymentCaptured); err != nil {
		t.Fatal(err)
	}
	if got := getOrderAt(t, app, "/orders/"+o.ID); !strings.HasPrefix(got.Shipping.Tracking, "TRK") {
		t.Fatalf("confirmed order's shipping %+v: want a tracking reference", got.Shipping)
	}
}

func lookupPath(ref, email string) string {
	return "/orders?" + url.Values{"reference": {ref}, "email": {email}}.Encode()
}

func TestLookupFindsAnOrderByReferenceAndEmail(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	o := createOrder(t, app, validBody)
	got := getOrderAt(t, app, lookupPath(" "+strings.ToLower(o.Reference), "ANN@example.com"))
	if got.ID != o.ID {
		t.Fatalf("lookup found %s, want %s", got.ID, o.ID)
	}
}

// Someone guessing references learns nothing: an unknown reference and a
// known one with another email get the same answer.
func TestLookupAnswersTheSameWhetherTheReferenceExistsOrNot(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	o := createOrder(t, app, validBody)
	var bodies []string
	for _, path := range []string{lookupPath(o.Reference, "eve@example.com"), lookupPath("SHP-ZZZZZZ", "ann@example.com"), lookupPath("nonsense", "ann@example.com")} {
		resp := app.get(t, path)
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 404 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		bodies = append(bodies, e.Error.Code+": "+e.Error.Message)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("answers differ: %q", bodies)
	}
}

func TestLookupNeedsBothReferenceAndEmail(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	for path, mention := range map[string]string{"/orders?email=a@b.co": "reference", "/orders?reference=SHP-ABCDEF": "email"} {
		resp := app.get(t, path)
		var e struct{ Error struct{ Message string } }
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 400 || !strings.Contains(e.Error.Message, mention) {
			t.Fatalf("%s: %d %q, want 400 naming %s", path, resp.StatusCode, e.Error.Message, mention)
		}
	}
}
