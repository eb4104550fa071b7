package payment

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

const testAdminToken = "test-admin-token"

// newTestAPI is the payment API on the embedded store and the test
// provider, every answer checked against the OpenAPI document; logs go to
// logs, so a test can check what they hold.
func newTestAPI(t *testing.T, logs io.Writer) (string, *MemoryStore) {
	t.Helper()
	cfg, err := platform.LoadConfig[Config](map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	store := NewMemoryStore(&outbox.Memory{})
	app := platform.NewApp("payment", cfg.Base, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), platform.NewRegistry(), nil)
	Routes(app, store, NewTestProvider(), time.Second, testAdminToken)
	apitest.LoadContract(t, app).Enforce(t, app)
	return testenv.Serve(t, app), store
}

func call(t *testing.T, method, url, body, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

const goodCard = `{"card_number":"4242 4242 4242 4242","exp_month":12,"exp_year":2040,"cvc":"123","name":"Ann"}`

// The answer and the logs hold the token, brand and last four digits:
// never the number or the CVC.
func TestTokenisingKeepsOnlyBrandAndLast4(t *testing.T) {
	var logs bytes.Buffer
	url, _ := newTestAPI(t, &logs)
	status, body := call(t, http.MethodPost, url+"/payment-methods", goodCard, "")
	var m Method
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &m) != nil || m.ID != "pm_card_visa" || m.Brand != "visa" || m.Last4 != "4242" {
		t.Fatalf("tokenising: %d %s", status, body)
	}
	for what, text := range map[string]string{"the answer": body, "the logs": logs.String()} {
		if strings.Contains(text, "4242424242424242") || strings.Contains(text, "4242 4242") || strings.Contains(text, `"123"`) {
			t.Errorf("%s holds card data: %s", what, text)
		}
	}
}

func TestTokenisingRefusesABadCardNamingTheField(t *testing.T) {
	url, _ := newTestAPI(t, io.Discard)
	for _, tc := range []struct{ name, body, field string }{
		{"Luhn", strings.Replace(goodCard, "4242 4242 4242 4242", "4242424242424241", 1), "card_number"},
		{"letters", strings.Replace(goodCard, "4242 4242 4242 4242", "4242abcd42424242", 1), "card_number"},
		{"over-long", strings.Replace(goodCard, "4242 4242 4242 4242", "42424242424242424242", 1), "card_number"},
		{"month", strings.Replace(goodCard, `"exp_month":12`, `"exp_month":0`, 1), "exp_month"},
		{"expired", strings.Replace(goodCard, `"exp_year":2040`, `"exp_year":2001`, 1), "exp_year"},
		{"CVC", strings.Replace(goodCard, `"cvc":"123"`, `"cvc":"1"`, 1), "cvc"},
		{"missing number", `{"exp_month":12,"exp_year":2040,"cvc":"123"}`, "card_number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, http.MethodPost, url+"/payment-methods", tc.body, "")
			var e platform.ErrorBody
			if status != http.StatusBadRequest || json.Unmarshal([]byte(body), &e) != nil || !strings.HasPrefix(e.Error.Message, tc.field+": ") {
				t.Fatalf("got %d %s, want 400 naming %s", status, body, tc.field)
			}
		})
	}
}

func TestPaymentsAreReadByOrderAndListedForAdmins(t *testing.T) {
	url, store := newTestAPI(t, io.Discard)
	p := newPayment()
	if _, err := store.Record(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	status, body := call(t, http.MethodGet, url+"/payments/"+p.OrderID, "", "")
	var got Payment
	if status != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got.Status != Pending || got.AmountCents != 1800 {
		t.Fatalf("GET payment: %d %s", status, body)
	}
	if status, _ := call(t, http.MethodGet, url+"/payments/"+uuid.NewString(), "", ""); status != http.StatusNotFound {
		t.Fatalf("an unknown order's payment: %d, want 404", status)
	}
	if status, _ := call(t, http.MethodGet, url+"/payments/not-a-uuid", "", ""); status != http.StatusNotFound {
		t.Fatalf("a malformed id: %d, want 404", status)
	}
	if status, _ := call(t, http.MethodGet, url+"/payments", "", ""); status != http.StatusUnauthorized {
		t.Fatalf("listing without a token: %d, want 401", status)
	}
	status, body = call(t, http.MethodGet, url+"/payments?limit=10", "", testAdminToken)
	if status != http.StatusOK || !strings.Contains(body, p.OrderID) {
		t.Fatalf("listing: %d %s", status, body)
	}
	if status, _ := call(t, http.MethodGet, url+"/payments?limit=0", "", testAdminToken); status != http.StatusBadRequest {
		t.Fatalf("limit=0: %d, want 400", status)
	}
}
