package frontend_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// htmlPage asserts a shopper-facing error: the storefront's HTML error page
// with the status, never the services' JSON error shape.
func htmlPage(t *testing.T, what string, resp *http.Response, status int, text string) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", what, err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("%s: Content-Type %q, want the HTML error page; body:\n%s", what, ct, body)
	}
	for _, part := range []string{`class="error-page"`, text, `href="/static/`} {
		if !strings.Contains(string(body), part) {
			t.Fatalf("%s: the page does not contain %q; body:\n%s", what, part, body)
		}
	}
}

func browserRequest(t *testing.T, method, target string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %.80s: %v", method, target, err)
	}
	return resp
}

// The server answers a 431 and closes before it has read the whole
// request, so a client still writing may see its write fail first: the
// request goes over a raw connection that reads the answer meanwhile.
func TestTooLongAddressGetsTheHTMLErrorPage(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	got := apitest.Raw(t, site, "GET /search?q="+strings.Repeat("a", 9000)+" HTTP/1.1\r\nHost: shop\r\nAccept: text/html\r\n\r\n")
	htmlErrorPage(t, "a 9000-character search address", got, http.StatusRequestHeaderFieldsTooLarge)
	if !strings.Contains(got.Body, "That address is too long") {
		t.Errorf("the 431 page does not say the address is too long:\n%s", got.Body)
	}
}

func TestTooLargeFormGetsTheHTMLErrorPage(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, map[string]string{"BODY_LIMIT": "4096"})
	form := "name=" + strings.Repeat("x", 8000)
	resp := browserRequest(t, http.MethodPost, site+"/checkout", strings.NewReader(form))
	htmlPage(t, "an 8 KB checkout form", resp, http.StatusRequestEntityTooLarge, "That form is too large")
}

func TestWrongMethodGets405WithAllow(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/", "GET, HEAD"},
		{http.MethodDelete, "/cart", "GET, HEAD"},
		{http.MethodPut, "/product/books-001", "GET, HEAD"},
		{http.MethodGet, "/cart/add", "POST"},
		{http.MethodPatch, "/checkout", "GET, HEAD, POST"},
	} {
		what := c.method + " " + c.path
		resp := browserRequest(t, c.method, site+c.path, nil)
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s: Allow %q, want %q", what, got, c.allow)
		}
		htmlPage(t, what, resp, http.StatusMethodNotAllowed, "This page cannot be used that way")
	}
	// Unknown paths stay 404s whatever the method.
	htmlPage(t, "POST /nowhere", browserRequest(t, http.MethodPost, site+"/nowhere", nil), http.StatusNotFound, "Page not found")
}
