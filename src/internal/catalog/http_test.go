package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

const testToken = "test-admin-token"

// newTestApp is the real catalog app over a seeded in-memory store.
func newTestApp(t *testing.T) *fiber.App {
	t.Helper()
	return newTestAppWith(t, map[string]string{"BODY_LIMIT": "4096"})
}

// newTestAppWith is newTestApp with other settings.
func newTestAppWith(t *testing.T, environ map[string]string) *fiber.App {
	t.Helper()
	environ["ADMIN_TOKEN"] = testToken
	cfg, err := platform.LoadConfig[Config](environ)
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(cfg, seededMemoryStore(t), slog.New(slog.DiscardHandler), platform.NewRegistry())
	apitest.LoadContract(t, app).Enforce(t, app)
	return app
}

// seededMemoryStore is an embedded store holding the sample catalog.
func seededMemoryStore(t *testing.T) *MemoryStore {
	t.Helper()
	store := NewMemoryStore(&outbox.Memory{})
	seed, err := SeedProducts()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SeedIfEmpty(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	return store
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, app *fiber.App, method, target, body string, headers ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return v
}

// wantError checks a JSON error answer: status, code, and words the message
// must contain so the client knows what to fix.
func wantError(t *testing.T, r response, status int, code string, words ...string) {
	t.Helper()
	e := decode[platform.ErrorBody](t, r)
	if r.status != status || e.Error.Code != code {
		t.Fatalf("got %d %s, want %d %q", r.status, r.body, status, code)
	}
	for _, w := range words {
		if !strings.Contains(e.Error.Message, w) {
			t.Errorf("message %q does not mention %q", e.Error.Message, w)
		}
	}
}

func TestListDefaultsToFirstPageOfTwenty(t *testing.T) {
	r := do(t, newTestApp(t), "GET", "/catalog", "")
	page := decode[Page](t, r)
	if r.status != 200 || len(page.Items) != DefaultPageSize || page.Total != 360 || page.Page != 1 || page.PageSize != DefaultPageSize {
		t.Fatalf("got %d: %d items, total %d, page %d/%d", r.status, len(page.Items), page.Total, page.Page, page.PageSize)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

func TestListFiltersAndSorts(t *testing.T) {
	r := do(t, newTestApp(t), "GET", "/catalog?category=Books&sort=-price&page_size=100&min_price=1000&max_price=30000", "")
	page := decode[Page](t, r)
	if r.status != 200 || len(page.Items) == 0 || page.Total != len(page.Items) {
		t.Fatalf("got %d: %d items of %d", r.status, len(page.Items), page.Total)
	}
	for i, p := range page.Items {
		if p.Category != "books" || p.PriceCents < 1000 || p.PriceCents > 30000 {
			t.Fatalf("item %d outside the filter: %+v", i, p)
		}
		if i > 0 && p.PriceCents > page.Items[i-1].PriceCents {
			t.Fatalf("not sorted by price descending at %d", i)
		}
	}
}

func TestListRejectsBadParameters(t *testing.T) {
	app := newTestApp(t)
	cases := map[string][]string{
		"/catalog?page=0":                              {"invalid_page", "page"},
		"/catalog?page=abc":                            {"invalid_page", "abc"},
		"/catalog?page_size=101":                       {"invalid_page_size", "page_size"},
		"/catalog?min_price=-1":                        {"invalid_min_price", "min_price"},
		"/catalog?max_price=1.50":                      {"invalid_max_price", "max_price"},
		"/catalog?min_price=500&max_price=100":         {"invalid_price_range", "min_price"},
		"/catalog?sort=popularity":                     {"invalid_sort", "popularity"},
		"/catalog?in_stock=maybe":                      {"invalid_in_stock", "in_stock"},
		"/catalog?q=" + strings.Repeat("x", 201):       {"invalid_q", "q must be"},
		"/catalog?page=99999999999999999999999999":     {"invalid_page", "page"},
		"/catalog?page=10001":                          {"invalid_page", "from 1 to 10000"},
		"/catalog?q=caf%E9":                            {"invalid_q", "UTF-8"},
		"/catalog?category=" + strings.Repeat("c", 65): {"invalid_category", "64"},
	}
	for target, want := range cases {
		wantError(t, do(t, app, "GET", target, ""), 400, want[0], want[1])
	}
}

func TestGetProductAndCategories(t *testing.T) {
	app := newTestApp(t)
	r := do(t, app, "GET", "/catalog/books-003", "")
	if p := decode[Product](t, r); r.status != 200 || p.ID != "books-003" || p.Category != "books" || p.Currency != "USD" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	wantError(t, do(t, app, "GET", "/catalog/no-such-thing", ""), 404, "not_found", "no-such-thing")
	wantError(t, do(t, app, "GET", "/catalog/NOT%20VALID", ""), 404, "not_found")

	cats := decode[struct{ Categories []Category }](t, do(t, app, "GET", "/catalog/categories", ""))
	total := 0
	for _, c := range cats.Categories {
		total += c.Count
	}
	if len(cats.Categories) != 12 || total != 360 {
		t.Fatalf("%d categories holding %d products, want 12 holding 360", len(cats.Categories), total)
	}
}

func TestAdminNeedsTheBearerToken(t *testing.T) {
	app := newTestApp(t)
	body := `{"name":"Kettle","category":"kitchenware","price_cents":2599,"currency":"USD","stock":3}`
	r := do(t, app, "PUT", "/catalog/kettle-1", body, "Content-Type", "application/json")
	wantError(t, r, 401, "unauthorized", "Bearer")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	wantError(t, do(t, app, "PUT", "/catalog/kettle-1", body, "Content-Type", "application/json", "Authorization", "Bearer wrong"), 403, "forbidden")
	wantError(t, do(t, app, "DELETE", "/catalog/books-001", ""), 401, "unauthorized")
	if r := do(t, app, "GET", "/catalog/kettle-1", ""); r.status != 404 {
		t.Fatalf("refused writes changed the catalog: %d", r.status)
	}
}

func TestAdminUpsertAndDelete(t *testing.T) {
	app := newTestApp(t)
	auth := []string{"Content-Type", "application/json", "Authorization", "Bearer " + testToken}
	body := `{"name":"Kettle","description":"Boils water","category":"kitchenware","price_cents":2599,"currency":"USD","image":"","stock":3}`
	r := do(t, app, "PUT", "/catalog/kettle-1", body, auth...)
	if p := decode[Product](t, r); r.status != 201 || p.Name != "Kettle" || r.header.Get("Location") != "/catalog/kettle-1" {
		t.Fatalf("create: %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	r = do(t, app, "PUT", "/catalog/kettle-1", strings.Replace(body, "2599", "1999", 1), auth...)
	if p := decode[Product](t, r); r.status != 200 || p.PriceCents != 1999 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if p := decode[Product](t, do(t, app, "GET", "/catalog/kettle-1", "")); p.PriceCents != 1999 {
		t.Fatalf("read back price %d", p.PriceCents)
	}
	if r := do(t, app, "DELETE", "/catalog/kettle-1", "", auth...); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantError(t, do(t, app, "DELETE", "/catalog/kettle-1", "", auth...), 404, "not_found", "kettle-1")
}

func TestAdminRejectsBadBodies(t *testing.T) {
	app := newTestApp(t)
	auth := []string{"Content-Type", "application/json", "Authorization", "Bearer " + testToken}
	valid := `{"name":"Kettle","category":"kitchenware","price_cents":2599,"currency":"USD","stock":3}`
	cases := []struct {
		id, body string
		headers  []string
		status   int
		code     string
		words    []string
	}{
		{"kettle-1", `{"name":"Kettle"`, auth, 400, "invalid_json", []string{"malformed"}},
		{"kettle-1", `{"name":"Kettle","price":"cheap"}`, auth, 400, "invalid_json", []string{"price"}},
		{"kettle-1", `{"name":"Kettle","price_cents":"12"}`, auth, 400, "invalid_json", []string{"price_cents"}},
		{"kettle-1", ``, auth, 400, "invalid_json", []string{"empty"}},
		{"kettle-1", valid, []string{"Content-Type", "text/plain", "Authorization", "Bearer " + testToken}, 415, "unsupported_media_type", []string{"application/json"}},
		{"Kettle One", valid, auth, 400, "invalid_id", []string{"Kettle One"}},
		// GET /catalog/categories is a route: such a product could never be read.
		{"categories", valid, auth, 400, "invalid_id", []string{"categories", "reserved"}},
		{strings.Repeat("k", 65), valid, auth, 400, "invalid_id", []string{"longer than 64"}},
		{"kettle-1", strings.Replace(valid, `"Kettle"`, `"  "`, 1), auth, 400, "invalid_name", []string{"name"}},
		{"kettle-1", strings.Replace(valid, `2599`, `-1`, 1), auth, 400, "invalid_price_cents", []string{"price_cents"}},
		{"kettle-1", strings.Replace(valid, `"USD"`, `"dollars"`, 1), auth, 400, "invalid_currency", []string{"currency"}},
		{"kettle-1", strings.Replace(valid, `"stock":3`, `"stock":-4`, 1), auth, 400, "invalid_stock", []string{"stock"}},
		{"kettle-1", strings.Replace(valid, `"kitchenware"`, `""`, 1), auth, 400, "invalid_category", []string{"category"}},
		// A second key would silently win.
		{"kettle-1", strings.Replace(valid, `"price_cents":2599`, `"price_cents":2599,"price_cents":1`, 1), auth, 400, "invalid_json", []string{"price_cents", "more than once"}},
	}
	for _, image := range []string{"javascript:alert(1)", " JavaScript:alert(1)", "java\\tscript:alert(1)", "data:image/svg+xml,<svg/>",
		"http://img.example.com/a.png", "//evil.example/a.png", "/\\\\evil.example/a.png", "https:///a.png", "https://user@img.example.com/a.png"} {
		cases = append(cases, struct {
			id, body string
			headers  []string
			status   int
			code     string
			words    []string
		}{"kettle-1", strings.Replace(valid, `"stock":3`, `"stock":3,"image":"`+image+`"`, 1), auth, 400, "invalid_image", []string{"image: "}})
	}
	for _, tc := range cases {
		wantError(t, do(t, app, "PUT", "/catalog/"+strings.ReplaceAll(tc.id, " ", "%20"), tc.body, tc.headers...), tc.status, tc.code, tc.words...)
	}
	if r := do(t, app, "GET", "/catalog/kettle-1", ""); r.status != 404 {
		t.Fatalf("a rejected body was stored: %d %s", r.status, r.body)
	}
	for i, image := range []string{"", "/static/products/kettle.svg", "kettle.svg", "https://img.example.com/kettle.png?w=200"} {
		body := strings.Replace(valid, `"stock":3`, `"stock":3,"image":"`+image+`"`, 1)
		if r := do(t, app, "PUT", fmt.Sprintf("/catalog/kettle-%d", i), body, auth...); r.status != 201 {
			t.Errorf("image %q refused: %d %s", image, r.status, r.body)
		}
	}
}

// The body limit is enforced by the HTTP server before any handler runs, so
// this goes through a real listener.
func TestAdminRejectsOversizedBody(t *testing.T) {
	app := newTestApp(t)
	url := testenv.Serve(t, app)

	req, _ := http.NewRequest("PUT", url+"/catalog/kettle-1",
		strings.NewReader(`{"name":"`+strings.Repeat("x", 5000)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	wantError(t, response{status: resp.StatusCode, body: raw}, 413, "request_entity_too_large", "limit")
}

func TestHealthReadyMetricsAndUnknownRoutes(t *testing.T) {
	app := newTestApp(t)
	if r := do(t, app, "GET", "/health", ""); r.status != 200 {
		t.Fatalf("health %d", r.status)
	}
	ready := decode[platform.ReadyReport](t, do(t, app, "GET", "/ready", ""))
	if ready.Status != "ready" || ready.Checks["store"] != "ok" {
		t.Fatalf("ready = %+v", ready)
	}
	wantError(t, do(t, app, "GET", "/nowhere", ""), 404, "not_found", "no route")
	do(t, app, "GET", "/catalog/books-001", "")
	metrics := string(do(t, app, "GET", "/metrics", "").body)
	for _, want := range []string{
		`http_requests_total{method="GET",path="/catalog/:id",service="catalog",status_code="200"} 1`,
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `path="/health"`) {
		t.Error("/health is counted in the request metrics")
	}
}
