package order

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// Regression tests of the defects the outside probe found in the order
// service (issue 20), each named for its number there.

// Probe defect 3: a body of the wrong JSON type said "expected
// order.CreateRequest, got array".
func TestProbeDefect3WrongJSONTypeNamesNoGoType(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	for body, want := range map[string]string{
		`[]`:                           "the body must be an object, got array",
		`{"customer":[]}`:              "customer: must be an object, got array",
		`{"items":{}}`:                 "items: must be an array, got object",
		`{"items":[{"quantity":"2"}]}`: "items.quantity: must be an integer, got string",
	} {
		status, raw, _ := post(t, app, body, "application/json", nil)
		var e platform.ErrorBody
		if status != 400 || json.Unmarshal([]byte(raw), &e) != nil || e.Error.Message != want {
			t.Errorf("%s: %d %s, want a 400 saying %q", body, status, raw, want)
		}
		if strings.Contains(raw, "order.") || strings.Contains(raw, "RequestItem") {
			t.Errorf("%s: the message names a Go type: %s", body, raw)
		}
	}
}

// Probe defect 8: an Idempotency-Key of only whitespace was taken for no
// key, so two identical POSTs made two orders.
func TestProbeDefect8BlankIdempotencyKeyIsRefused(t *testing.T) {
	app, box := newTestApp(t, catalogServer(t, testProducts).URL)
	for _, key := range []string{"   ", "\t", "", "a b", "ключ", strings.Repeat("k", MaxIdemKeyLen+1)} {
		// Raw TCP: Go's client would not send some of these as they are.
		got := apitest.Raw(t, app.url, "POST /create-order HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"+
			"Idempotency-Key: "+key+"\r\nContent-Length: "+strconv.Itoa(len(validBody))+"\r\n\r\n"+validBody)
		apitest.JSONError(t, "Idempotency-Key "+strings.ReplaceAll(key, "\t", `\t`), got, 400)
		if !strings.Contains(got.Body, "Idempotency-Key: must be 1-200 visible ASCII characters") {
			t.Errorf("Idempotency-Key %q: %s, want the rule named", key, got.Body)
		}
	}
	if pending, _ := box.Pending(context.Background(), 10); len(pending) != 0 {
		t.Fatalf("%d orders placed under a refused Idempotency-Key", len(pending))
	}
	for _, key := range []string{"k", strings.Repeat("k", MaxIdemKeyLen), "~!@#$%^&*()_+{}|:<>?"} {
		if status, raw, _ := post(t, app, validBody, "application/json", map[string]string{"Idempotency-Key": key}); status != 202 {
			t.Errorf("Idempotency-Key %q refused: %d %s", key, status, raw)
		}
	}
}

// Probe defect 9: customer fields took U+0085 and U+202E (right-to-left
// override), which make an address display other than it reads.
func TestProbeDefect9CustomerFieldsRefuseControlAndFormatCharacters(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	for _, c := range []struct{ old, new, field string }{
		{`"name":"Ann"`, `"name":"Ann\u0085"`, "customer.name"},
		{`"name":"Ann"`, `"name":"Ann \u202eredro"`, "customer.name"},
		{`"line1":"1 High St"`, `"line1":"1 High St\u2066"`, "customer.address.line1"},
		{`"line2":""`, `"line2":"\u200b"`, "customer.address.line2"},
		{`"city":"London"`, `"city":"Lon\u0000don"`, "customer.address.city"},
		{`"postal_code":"N1 1AA"`, `"postal_code":"N1\u2028 1AA"`, "customer.address.postal_code"},
		{`"city":"London"`, "\"city\":\"Lond\xf3n\"", "customer.address.city"},
		{`"ann@example.com"`, `"ann\u202e@example.com"`, "customer.email"},
	} {
		status, raw, _ := post(t, app, strings.Replace(validBody, c.old, c.new, 1), "application/json", nil)
		var e platform.ErrorBody
		if status != 400 || json.Unmarshal([]byte(raw), &e) != nil || !strings.HasPrefix(e.Error.Message, c.field+": ") {
			t.Errorf("%s: %d %s, want a 400 naming %s", c.new, status, raw, c.field)
		}
	}
	if status, raw, _ := post(t, app, strings.Replace(validBody, `"name":"Ann"`, "\"name\":\"Zoë \u200cمی\u200cخواهم\"", 1), "application/json", nil); status != 202 {
		t.Errorf("a name with accents and a zero-width non-joiner refused: %d %s", status, raw)
	}
}

// Probe defects 2, 4 and 9 (the request id) on the order service's server.
func TestProbeDefect2MalformedRequestsGetAFixedJSONError(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.CheckMalformedRequests(t, app.url, apitest.JSONError)
}

func TestProbeDefect4UnknownMethodsGetTheJSONErrorShape(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.CheckUnknownMethods(t, app.url, apitest.JSONError)
}

func TestProbeDefect9RequestIDIsEchoedOnlyWhenShortAndSafe(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.CheckRequestIDs(t, app.url)
}

// Issue 18: one path per resource.
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.CheckOnePathPerResource(t, app.app, app.url, apitest.JSONError)
}

// The OpenAPI document and the app agree on the routes.
func TestOpenAPIDocumentListsEveryRoute(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.LoadContract(t, app.app).CheckRoutes(t, app.app)
}

// Requests generated from the OpenAPI document: every one it refuses gets
// a 4xx in the error shape, none it accepts a 5xx. The fake catalog knows
// the products of the document's example, so valid requests are placed.
func TestOpenAPIPropertiesHold(t *testing.T) {
	products := map[string]Product{
		"kitchenware-007": {ID: "kitchenware-007", Name: "Kettle", PriceCents: 2599, Currency: "USD"},
		"books-001":       {ID: "books-001", Name: "Atlas", PriceCents: 1999, Currency: "USD"},
	}
	app, _ := newTestApp(t, catalogServer(t, products).URL)
	apitest.LoadContract(t, app.app).CheckProperties(t, app.app, nil)
}

// docs/api/order.md is the reference of the OpenAPI document the service
// serves: regenerate it with SHOP_UPDATE_API_DOCS=1.
func TestAPIReferenceIsCurrent(t *testing.T) {
	app, _ := newTestApp(t, catalogServer(t, testProducts).URL)
	apitest.LoadContract(t, app.app).CheckReference(t, "../../../docs/api/order.md", "src/internal/order/openapi.yaml")
}
