package frontend_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// The handler tests run the storefront against real in-process instances
// of the other services, each on its own random port with its embedded
// backend. A service "down" is a port nobody listens on.

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serve runs app on a random local port until the test ends.
func serve(t testing.TB, app *fiber.App) string { return testenv.Serve(t, app) }

// startCatalog runs a seeded in-memory catalog service.
func startCatalog(t testing.TB) string {
	t.Helper()
	cfg, err := platform.LoadConfig[catalog.Config](map[string]string{"ADMIN_TOKEN": "test-admin-token"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := catalog.Open(context.Background(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return serveAPI(t, svc.App)
}

// serveAPI serves one of the storefront's backends with every answer it
// gives held to its OpenAPI document.
func serveAPI(t testing.TB, app *fiber.App) string {
	t.Helper()
	apitest.LoadContract(t, app).Enforce(t, app)
	return serve(t, app)
}

// deadURL is the address of a backend that is down (testenv.DeadURL).
func deadURL(t testing.TB) string { return testenv.DeadURL(t) }

// backendURLs says where the storefront finds its backends.
type backendURLs struct{ catalog, search, order string }

// startFrontend runs the storefront against the given backends; extra
// environment variables override the defaults.
func startFrontend(t testing.TB, b backendURLs, extra map[string]string) string {
	t.Helper()
	_, url := startFrontendApp(t, b, extra)
	return url
}

// startFrontendApp is startFrontend that also returns the app it serves.
func startFrontendApp(t testing.TB, b backendURLs, extra map[string]string) (*fiber.App, string) {
	t.Helper()
	environ := map[string]string{
		"CATALOG_URL": b.catalog, "SEARCH_URL": b.search, "ORDER_URL": b.order,
		"COOKIE_SECRET": "0123456789abcdef0123456789abcdef", "BACKEND_CACHE_TTL": "0s",
	}
	for k, v := range extra {
		environ[k] = v
	}
	cfg, err := platform.LoadConfig[frontend.Config](environ)
	if err != nil {
		t.Fatal(err)
	}
	app, err := frontend.NewApp(cfg, quietLogger(), platform.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return app, serve(t, app)
}

// shopper is a cookie-keeping HTTP client that does not follow redirects,
// so tests see the 303 after every form post.
type shopper struct {
	t    *testing.T
	base string
	http *http.Client
}

func newShopper(t *testing.T, base string) *shopper {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &shopper{t: t, base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	body   string
	header http.Header
}

func (s *shopper) get(path string) page {
	s.t.Helper()
	return s.do(http.MethodGet, path, nil)
}

// post submits a form as a browser does from one of the shop's pages.
func (s *shopper) post(path string, form url.Values) page {
	s.t.Helper()
	return s.do(http.MethodPost, path, form)
}

// do sends a request; a form goes with the Origin a browser sends with it
// from the shop's own pages (the header the cross-site check reads).
func (s *shopper) do(method, path string, form url.Values) page {
	s.t.Helper()
	return s.doWith(method, path, form, http.Header{"Origin": {s.base}})
}

func (s *shopper) doWith(method, path string, form url.Values, header http.Header) page {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header = header.Clone()
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return page{status: resp.StatusCode, body: string(data), header: resp.Header}
}

// cookie returns the value of the named cookie the shopper holds.
func (s *shopper) cookie(name string) string {
	u, _ := url.Parse(s.base)
	for _, c := range s.http.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (s *shopper) setCookie(name, value string) {
	u, _ := url.Parse(s.base)
	s.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func wantStatus(t *testing.T, p page, want int) {
	t.Helper()
	if p.status != want {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, want, p.body)
	}
}

func wantContains(t *testing.T, p page, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(p.body, part) {
			t.Fatalf("page does not contain %q; body:\n%s", part, p.body)
		}
	}
}
