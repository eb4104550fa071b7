package order

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// catalogServer answers GET /catalog/{id} from products, like the catalog.
func catalogServer(t *testing.T, products map[string]Product) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := products[strings.TrimPrefix(r.URL.Path, "/catalog/")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var testProducts = map[string]Product{
	"mug-001": {ID: "mug-001", Name: "Mug", PriceCents: 900, Currency: "USD"},
	"pan-002": {ID: "pan-002", Name: "Pan", PriceCents: 3000, Currency: "USD"},
	"tea-003": {ID: "tea-003", Name: "Tea", PriceCents: 500, Currency: "GBP"},
}

// paymentServer answers POST /payment-methods like the payment service's
// test provider: a token, the brand and the last four digits.
func paymentServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var card platform.Card
		if r.URL.Path != "/payment-methods" || json.NewDecoder(r.Body).Decode(&card) != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(Method{ID: "pm_card_" + card.Brand(), Brand: card.Brand(), Last4: card.Last4()})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The catalog lookups and the card's tokenisation of an order carry the
// request id of the create-order that made them, so one id finds the
// order's log lines in all three services.
func TestCallsToCatalogAndPaymentCarryTheRequestID(t *testing.T) {
	seen := make(chan string, 2)
	recording := func(srv *httptest.Server) *httptest.Server {
		rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen <- r.Header.Get("X-Request-ID")
			srv.Config.Handler.ServeHTTP(w, r)
		}))
		t.Cleanup(rec.Close)
		return rec
	}
	ctx := platform.WithRequestID(t.Context(), "req-7")
	if _, err := NewCatalogClient(recording(catalogServer(t, testProducts)).URL, time.Second, nil).Lookup(ctx, []string{"mug-001"}); err != nil {
		t.Fatal(err)
	}
	card := platform.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2040, CVC: "123"}
	if _, err := NewPaymentClient(recording(paymentServer(t)).URL, time.Second, nil).Tokenize(ctx, card); err != nil {
		t.Fatal(err)
	}
	for _, callee := range []string{"catalog", "payment"} {
		if id := <-seen; id != "req-7" {
			t.Errorf("the %s got X-Request-ID %q, want req-7", callee, id)
		}
	}
}

// testApp is the order API served on a real listener (body limits are
// enforced by the server, not by fiber's in-memory test harness).
type testApp struct {
	url   string
	app   *fiber.App
	store Store
}

func newTestApp(t *testing.T, catalogURL string) (testApp, *outbox.Memory) {
	base, err := platform.LoadConfig[Config](map[string]string{"BODY_LIMIT": "4096"})
	if err != nil {
		t.Fatal(err)
	}
	box := &outbox.Memory{}
	store := NewMemoryStore(box)
	app := platform.NewApp("order", base.Base, slog.New(slog.DiscardHandler), platform.NewRegistry(), nil)
	Routes(app, placer{store: store, prices: NewCatalogClient(catalogURL, time.Second, nil), cards: NewPaymentClient(paymentServer(t).URL, time.Second, nil),
		metrics: NewMetrics(platform.NewRegistry())}, testAdminToken)
	apitest.LoadContract(t, app).Enforce(t, app)
	return testApp{url: testenv.Serve(t, app), app: app, store: store}, box
}

func (a testApp) get(t *testing.T, path string) *http.Response {
	t.Helper()
	resp, err := http.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

const validBody = `{"customer":{"email":"ann@example.com","name":"Ann","address":{"line1":"1 High St","line2":"","city":"London","postal_code":"N1 1AA","country":"gb"}},"items":[{"product_id":"mug-001","quantity":2},{"product_id":"pan-002","quantity":1}],` + testCard + `}`

// testCard is the payment of validBody: the test provider's card that pays.
const testCard = `"payment":{"card_number":"4242 4242 4242 4242","exp_month":12,"exp_year":2040,"cvc":"123","name":"Ann"}`

const testAdminToken = "test-admin-token"

func post(t *testing.T, app testApp, body, contentType string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	return postTo(t, app, "/create-order", body, contentType, header)
}

func postTo(t *testing.T, app testApp, path, body, contentType string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, app.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

func TestCreateOrderPricesFromTheCatalogAndStoresItPending(t *testing.T) {
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	// A client price is an unknown field: refused, never trusted.
	if status, body, _ := post(t, app, strings.Replace(validBody, `"quantity":1}`, `"quantity":1,"unit_price_cents":1}`, 1), "application/json", nil); status != 400 || !strings.Contains(body, "unit_price_cents") {
		t.Fatalf("client-sent price: %d %s, want 400 naming the field", status, body)
	}
	status, body, header := post(t, app, validBody, "application/json", nil)
	if status != http.StatusAccepted {
		t.Fatalf("create-order: %d %s", status, body)
	}
	var ans CreateAnswer
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.Status != Pending || header.Get("Location") != "/orders/"+ans.OrderID {
		t.Fatalf("answer %s, Location %q", body, header.Get("Location"))
	}
	resp := app.get(t, "/orders/"+ans.OrderID)
	var o Order
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o.SubtotalCents != 2*900+3000 || o.TotalCents != o.SubtotalCents+o.ShippingCents || o.Currency != "USD" || o.Items[0].Name != "Mug" || o.Customer.Address.Country != "GB" || o.Status != Pending {
		t.Fatalf("stored order %+v", o)
	}
	pending, _ := box.Pending(context.Background(), 10)
	if len(pending) != 1 || pending[0].Type != "shop.order.created.v1" {
		t.Fatalf("outbox %v, want one order.created", pending)
	}
}

func TestCreateOrderRefusesBadInputNamingTheProblem(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	replace := func(old, new string) string { return strings.Replace(validBody, old, new, 1) }
	cases := []struct {
		name, body, contentType string
		status                  int
		mention                 string
	}{
		{"wrong content type", validBody, "text/plain", 415, "Content-Type"},
		{"not JSON", "{not json", "application/json", 400, "malformed"},
		{"too large", `{"pad":"` + strings.Repeat("x", 5000) + `"}`, "application/json", 413, "larger"},
		{"bad email", replace("ann@example.com", "ann"), "application/json", 400, "customer.email"},
		{"email with a name", replace("ann@example.com", `Ann <ann@example.com>`), "application/json", 400, "customer.email"},
		{"no name", replace(`"name":"Ann"`, `"name":" "`), "application/json", 400, "customer.name"},
		{"no line1", replace(`"line1":"1 High St"`, `"line1":""`), "application/json", 400, "customer.address.line1"},
		{"no city", replace(`"city":"London"`, `"city":""`), "application/json", 400, "customer.address.city"},
		{"no postal code", replace(`"postal_code":"N1 1AA"`, `"postal_code":""`), "application/json", 400, "customer.address.postal_code"},
		{"bad country", replace(`"country":"gb"`, `"country":"Britain"`), "application/json", 400, "customer.address.country"},
		{"unassigned country", replace(`"country":"gb"`, `"country":"ZZ"`), "application/json", 400, "ISO 3166-1"},
		{"reserved country", replace(`"country":"gb"`, `"country":"UK"`), "application/json", 400, "ISO 3166-1"},
		{"missing quantity", replace(`,"quantity":2`, ``), "application/json", 400, "items[0].quantity: is required"},
		{"null quantity", replace(`"quantity":2`, `"quantity":null`), "application/json", 400, "items[0].quantity: is required"},
		{"second items key", replace(`],"payment"`, `],"items":[{"product_id":"tea-003","quantity":1}],"payment"`), "application/json", 400, `key "items" appears more than once`},
		{"no items", replace(`[{"product_id":"mug-001","quantity":2},{"product_id":"pan-002","quantity":1}]`, `[]`), "application/json", 400, "items"},
		{"zero quantity", replace(`"quantity":2`, `"quantity":0`), "application/json", 400, "items[0].quantity"},
		{"huge quantity", replace(`"quantity":2`, `"quantity":101`), "application/json", 400, "items[0].quantity"},
		{"quantity not a number", replace(`"quantity":2`, `"quantity":"2"`), "application/json", 400, "quantity"},
		{"duplicate line", replace(`"pan-002"`, `"mug-001"`), "application/json", 400, "items[1].product_id"},
		{"bad product id", replace(`"mug-001"`, `"../admin"`), "application/json", 400, "items[0].product_id"},
		{"unknown product", replace(`"mug-001"`, `"ghost-404"`), "application/json", 422, "ghost-404"},
		{"mixed currency", replace(`"pan-002"`, `"tea-003"`), "application/json", 422, "GBP"},
		{"unknown shipping method", replace(`"items":[`, `"shipping":{"method":"overnight"},"items":[`), "application/json", 400, "shipping.method"},
		{"bad phone", replace(`"name":"Ann"`, `"name":"Ann","phone":"call me"`), "application/json", 400, "customer.phone"},
		{"US without a state", replace(`"country":"gb"`, `"country":"US"`), "application/json", 400, "customer.address.region: is required"},
		{"Japan without a phone", replace(`"country":"gb"`, `"country":"JP"`), "application/json", 400, "customer.phone: is required"},
		{"no payment", replace(","+testCard, ""), "application/json", 400, "payment: is required"},
		{"card failing Luhn", replace("4242 4242 4242 4242", "4242 4242 4242 4241"), "application/json", 400, "payment.card_number"},
		{"card with letters", replace("4242 4242 4242 4242", "4242 4242 4242 424x"), "application/json", 400, "payment.card_number"},
		{"card too long", replace("4242 4242 4242 4242", "4242 4242 4242 4242 4242"), "application/json", 400, "payment.card_number"},
		{"month 13", replace(`"exp_month":12`, `"exp_month":13`), "application/json", 400, "payment.exp_month"},
		{"expired card", replace(`"exp_year":2040`, `"exp_year":2020`), "application/json", 400, "payment.exp_year"},
		{"impossible year", replace(`"exp_year":2040`, `"exp_year":2999`), "application/json", 400, "payment.exp_year"},
		{"CVC with letters", replace(`"cvc":"123"`, `"cvc":"12a"`), "application/json", 400, "payment.cvc"},
		{"CVC too long", replace(`"cvc":"123"`, `"cvc":"12345"`), "application/json", 400, "payment.cvc"},
		{"card number not a string", replace(`"4242 4242 4242 4242"`, `4242424242424242`), "application/json", 400, "payment.card_number"},
		{"too many lines", `{"customer":{"email":"a@b.co","name":"A","address":{"line1":"x","city":"y","postal_code":"z","country":"GB"}},"items":[` +
			strings.TrimSuffix(strings.Repeat(`{"product_id":"a","quantity":1},`, MaxLines+1), ",") + `]}`, "application/json", 400, "at most"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := post(t, app, tc.body, tc.contentType, nil)
			var e platform.ErrorBody
			if status != tc.status || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error.Message, tc.mention) {
				t.Fatalf("got %d %s, want %d with a message mentioning %q", status, body, tc.status, tc.mention)
			}
		})
	}
}

// A product the catalog cannot return is the client's mistake (422), not an
// outage (503): a catalog route answering in its place (an older catalog
// that accepted a route's name as an id), or any 4xx.
func TestCreateOrderOfAProductTheCatalogCannotReturnIs422(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/catalog/mug-001":
			_ = json.NewEncoder(w).Encode(testProducts["mug-001"])
		case "/catalog/pan-002":
			_, _ = w.Write([]byte(`{"categories":[{"name":"kitchen","count":1}]}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	app, box := newTestApp(t, srv.URL)
	for _, body := range []string{validBody, strings.Replace(validBody, `"pan-002"`, `"pan-003"`, 1)} {
		status, answer, _ := post(t, app, body, "application/json", nil)
		if status != http.StatusUnprocessableEntity || !strings.Contains(answer, "does not exist") {
			t.Fatalf("got %d %s, want 422 naming the product", status, answer)
		}
	}
	if status, body, _ := post(t, app, strings.Replace(validBody, `"pan-002"`, `"categories"`, 1), "application/json", nil); status != 400 || !strings.Contains(body, "reserved") {
		t.Fatalf("ordering a route's name: %d %s, want 400 saying it is reserved", status, body)
	}
	if pending, _ := box.Pending(context.Background(), 10); len(pending) != 0 {
		t.Fatalf("an order was recorded for a product that does not exist")
	}
}

func TestCreateOrderIsUnavailableWhileTheCatalogIsDown(t *testing.T) {
	app, box := newTestApp(t, testenv.DeadURL(t))
	if status, body, _ := post(t, app, validBody, "application/json", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("catalog down: %d %s, want 503", status, body)
	}
	if pending, _ := box.Pending(context.Background(), 10); len(pending) != 0 {
		t.Fatalf("an order was recorded although it could not be priced")
	}
}

func TestIdempotencyKeyReturnsTheSameOrder(t *testing.T) {
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	key := map[string]string{"Idempotency-Key": "retry-me-123"}
	s1, b1, _ := post(t, app, validBody, "application/json", key)
	s2, b2, _ := post(t, app, validBody, "application/json", key)
	if s1 != 202 || s2 != 202 || b1 != b2 {
		t.Fatalf("same key twice: %d %s then %d %s, want the same 202", s1, b1, s2, b2)
	}
	if pending, _ := box.Pending(context.Background(), 10); len(pending) != 1 {
		t.Fatalf("%d order.created events for one idempotent order, want 1", len(pending))
	}
	other := strings.Replace(validBody, `"quantity":2`, `"quantity":3`, 1)
	if status, body, _ := post(t, app, other, "application/json", key); status != http.StatusConflict {
		t.Fatalf("same key, other body: %d %s, want 409", status, body)
	}
}

func TestGetUnknownOrderIs404(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	for _, id := range []string{"not-a-uuid", "6f1c1f36-0d5e-4c43-9a57-000000000000"} {
		if resp := app.get(t, "/orders/"+id); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /orders/%s: %d, want 404", id, resp.StatusCode)
		}
	}
}

// Orders created one after another have ids in the same order (UUIDv7),
// so the primary key grows at its end.
func TestOrderIDsAreTimeOrdered(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	var ids []string
	for range 20 {
		status, body, _ := post(t, app, validBody, "application/json", nil)
		var ans CreateAnswer
		if err := json.Unmarshal([]byte(body), &ans); status != http.StatusAccepted || err != nil {
			t.Fatalf("create-order: %d %s", status, body)
		}
		if id := uuid.MustParse(ans.OrderID); id.Version() != 7 {
			t.Fatalf("order id %s is a version %d UUID, want 7", ans.OrderID, id.Version())
		}
		ids = append(ids, ans.OrderID)
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("ids out of creation order: %v", ids)
	}
}
