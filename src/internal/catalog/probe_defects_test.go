package catalog

import (
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Regression tests of the defects the outside probe found in the catalog
// (issue 20), each named for its number there.

// Probe defect 1: a PUT without price_cents (or with null) made a product
// at price 0, and a missing stock became 0.
func TestProbeDefect1IncompleteProductIsRefusedNotMadeFree(t *testing.T) {
	app := newTestApp(t)
	auth := []string{"Content-Type", "application/json", "Authorization", "Bearer " + testToken}
	for body, field := range map[string]string{
		`{"name":"No price","category":"books","currency":"USD","stock":1}`:                      "price_cents",
		`{"name":"No price","category":"books","currency":"USD","stock":1,"price_cents":null}`:   "price_cents",
		`{"name":"No stock","category":"books","currency":"USD","price_cents":100}`:              "stock",
		`{"name":"No stock","category":"books","currency":"USD","price_cents":100,"stock":null}`: "stock",
		`{"name":"No price","category":"books","currency":"USD"}`:                                "price_cents",
	} {
		wantError(t, do(t, app, "PUT", "/catalog/incomplete-1", body, auth...), 400, "invalid_"+field, field+": is required")
	}
	if r := do(t, app, "GET", "/catalog/incomplete-1", ""); r.status != 404 {
		t.Fatalf("an incomplete product was stored: %d %s", r.status, r.body)
	}
	free := `{"name":"Free sample","category":"books","currency":"USD","price_cents":0,"stock":0}`
	if r := do(t, app, "PUT", "/catalog/free-1", free, auth...); r.status != 201 {
		t.Fatalf("an explicit price and stock of 0 refused: %d %s", r.status, r.body)
	}
}

// Probe defect 3: a body of the wrong JSON type named Go types.
func TestProbeDefect3WrongJSONTypeNamesNoGoType(t *testing.T) {
	app := newTestApp(t)
	auth := []string{"Content-Type", "application/json", "Authorization", "Bearer " + testToken}
	for body, want := range map[string]string{
		`[]`:                  "the body must be an object, got array",
		`"x"`:                 "the body must be an object, got string",
		`{"price_cents":"1"}`: "price_cents: must be an integer, got string",
		`{"stock":1.5}`:       "stock: must be an integer, got number",
	} {
		r := do(t, app, "PUT", "/catalog/typed-1", body, auth...)
		wantError(t, r, 400, "invalid_json", want)
		if strings.Contains(string(r.body), "catalog.") || strings.Contains(string(r.body), "int64") {
			t.Errorf("%s: the message names a Go type: %s", body, r.body)
		}
	}
}

// Probe defect 9: control characters in names and categories were stored,
// and invalid UTF-8 silently replaced.
func TestProbeDefect9ControlCharactersAndInvalidUTF8AreRefusedNamingTheField(t *testing.T) {
	app := newTestApp(t)
	auth := []string{"Content-Type", "application/json", "Authorization", "Bearer " + testToken}
	body := func(name, category string) string {
		return `{"name":"` + name + `","category":"` + category + `","currency":"USD","price_cents":100,"stock":1}`
	}
	for b, field := range map[string]string{
		body(`Bell\u0007`, "books"):        "name",
		body(`Line\nbreak`, "books"):       "name",
		body(`Mug\u0085`, "books"):         "name",
		body(`Mug \u202egpj.exe`, "books"): "name",
		body("Caf\xe9", "books"):           "name",
		body("Mug", `bo\u0000oks`):         "category",
		body("Mug", "\xff\xfe"):            "category",
		body("Mug", `books\u2066`):         "category",
	} {
		r := do(t, app, "PUT", "/catalog/garbled-1", b, auth...)
		e := decode[struct {
			Error struct{ Code, Message string }
		}](t, r)
		if r.status != 400 || !strings.HasPrefix(e.Error.Message, field+": ") {
			t.Errorf("%q: %d %s, want a 400 naming %s", b, r.status, r.body, field)
		}
	}
	if r := do(t, app, "GET", "/catalog/garbled-1", ""); r.status != 404 {
		t.Fatalf("a garbled product was stored: %d %s", r.status, r.body)
	}
	// Scripts that need joiners, and a description's line breaks, stay.
	ok := `{"name":"می\u200cخواهم","category":"books","description":"Line one.\nLine two.","currency":"USD","price_cents":100,"stock":1}`
	if r := do(t, app, "PUT", "/catalog/persian-1", ok, auth...); r.status != 201 {
		t.Fatalf("a name with a zero-width non-joiner refused: %d %s", r.status, r.body)
	}
}

// Probe defects 2, 4 and 9 (the request id) on the catalog's own server.
func TestProbeDefect2MalformedRequestsGetAFixedJSONError(t *testing.T) {
	apitest.CheckMalformedRequests(t, testenv.Serve(t, newTestApp(t)), apitest.JSONError)
}

func TestProbeDefect4UnknownMethodsGetTheJSONErrorShape(t *testing.T) {
	apitest.CheckUnknownMethods(t, testenv.Serve(t, newTestApp(t)), apitest.JSONError)
}

func TestProbeDefect9RequestIDIsEchoedOnlyWhenShortAndSafe(t *testing.T) {
	apitest.CheckRequestIDs(t, testenv.Serve(t, newTestApp(t)))
}

// Issue 18: one path per resource (/CATALOG, /catalog/ and /Metrics/ are
// 404s), so a policy naming paths means what it says.
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app := newTestApp(t)
	apitest.CheckOnePathPerResource(t, app, testenv.Serve(t, app), apitest.JSONError)
	if r := do(t, app, "GET", "/catalog?page_size=1", ""); r.status != 200 {
		t.Fatalf("GET /catalog: %d %s", r.status, r.body)
	}
}

// The OpenAPI document and the app agree on the routes: none served
// undocumented, none documented unserved.
func TestOpenAPIDocumentListsEveryRoute(t *testing.T) {
	app := newTestApp(t)
	apitest.LoadContract(t, app).CheckRoutes(t, app)
}

// Requests generated from the OpenAPI document: every one it refuses gets
// a 4xx in the error shape, none it accepts a 5xx.
func TestOpenAPIPropertiesHold(t *testing.T) {
	app := newTestAppWith(t, map[string]string{})
	apitest.LoadContract(t, app).CheckProperties(t, app, map[string]string{"Authorization": "Bearer " + testToken})
}

// docs/api/catalog.md is the reference of the OpenAPI document the service
// serves: regenerate it with SHOP_UPDATE_API_DOCS=1.
func TestAPIReferenceIsCurrent(t *testing.T) {
	app := newTestApp(t)
	apitest.LoadContract(t, app).CheckReference(t, "../../../docs/api/catalog.md", "src/internal/catalog/openapi.yaml")
}
