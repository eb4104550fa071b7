package frontend_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// Regression tests of the defects the outside probe found in the
// storefront (issue 20), each named for its number there. Requests no
// browser sends go over raw TCP to the storefront's real listener.

// htmlErrorPage is the storefront's AnswerCheck: the HTML error page with
// the status, the security headers every page has, no cookie set (a
// request the server could not read has no readable cookies, and a cookie
// set from it would replace the shopper's cart), and nothing of the
// request repeated.
func htmlErrorPage(t testing.TB, what string, got apitest.RawResponse, status int) {
	t.Helper()
	if got.Status != status {
		t.Errorf("%s: %d, want %d; body:\n%.300s", what, got.Status, status, got.Body)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(got.Body, `class="error-page"`) {
		t.Errorf("%s: %q, want the HTML error page; body:\n%.300s", what, ct, got.Body)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy"} {
		if got.Header.Get(h) == "" {
			t.Errorf("%s: the error page lacks %s", what, h)
		}
	}
	if c := got.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("%s: the error page sets cookies %q", what, c)
	}
	if leak := apitest.LeaksRequest(got); leak != "" {
		t.Errorf("%s: the page repeats the request (%q)", what, leak)
	}
}

// Probe defect 2, on the storefront: malformed requests get the 400 page.
func TestProbeDefect2MalformedRequestsGetTheHTMLErrorPage(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	apitest.CheckMalformedRequests(t, site, htmlErrorPage)
}

// Probe defect 4: unknown and lower-case methods and an HTTP/2 preface got
// a plain-text 400 "Invalid http method" instead of the HTML page.
func TestProbeDefect4UnknownMethodsGetTheHTMLErrorPage(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	apitest.CheckUnknownMethods(t, site, htmlErrorPage)
}

// Probe defect 5: the 400, 408 and 431 pages replaced a valid cookie (then
// the CSRF token's) with a new one, and those pages and the 413 page lacked
// the security headers every other page has.
func TestProbeDefect5ErrorPagesKeepTheCookiesAndCarryTheSecurityHeaders(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)},
		map[string]string{"BODY_LIMIT": "4096", "READ_TIMEOUT": "300ms"})
	s := newShopper(t, site)
	wantStatus(t, s.post("/cart/add", url.Values{"product_id": {"kitchenware-007"}, "quantity": {"1"}}), http.StatusSeeOther)
	cookie := "Cookie: cart=" + s.cookie("cart") + "\r\n"
	form := "name=" + strings.Repeat("x", 8000)
	for what, c := range map[string]struct {
		request string
		status  int
	}{
		"a malformed header (400)": {"GET / HTTP/1.1\r\nHost: shop\r\n" + cookie + "X-Bad: a\x01b\r\n\r\n", http.StatusBadRequest},
		"a body over the limit (413)": {"POST /checkout HTTP/1.1\r\nHost: shop\r\n" + cookie +
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(form)) + "\r\n\r\n" + form, http.StatusRequestEntityTooLarge},
		"a 9,000-character address (431)": {"GET /search?q=" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: shop\r\n" + cookie + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		// The headers never end: the server gives up after READ_TIMEOUT.
		"a request sent too slowly (408)": {"GET / HTTP/1.1\r\nHost: shop\r\n" + cookie, http.StatusRequestTimeout},
	} {
		htmlErrorPage(t, what, apitest.Raw(t, site, c.request), c.status)
	}
	// The shopper's cart is still there.
	wantContains(t, s.get("/cart"), `data-testid="cart-count">1<`)
}

// The pod-loss drill: a connection that sent nothing got a 408 after
// READ_TIMEOUT, which a client writing its first request on it just then
// took for the answer (platform.OnReadError).
func TestConnectionsThatSendNothingAreClosedWithoutAnAnswer(t *testing.T) {
	site := startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, map[string]string{"READ_TIMEOUT": "300ms"})
	apitest.CheckSilentConnectionsCloseQuietly(t, site, 300*time.Millisecond, htmlErrorPage)
}

// Probe defect 6: a search past the last page answered a 400 page ("page
// must be an integer from 1 to 833") where the docs promise a redirect to
// the last page, as on every other listing.
func TestProbeDefect6SearchPastTheLastPageRedirectsToIt(t *testing.T) {
	cat := startCatalog(t)
	s := newShopper(t, startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil))
	for _, page := range []string{"999", "834", "1000", "999999"} {
		wantRedirectToLast(t, s, "/search?q=coffee&page="+page, "/search", url.Values{"q": {"coffee"}})
	}
}

// Probe defect 9 (the request id), on the storefront.
func TestProbeDefect9RequestIDIsEchoedOnlyWhenShortAndSafe(t *testing.T) {
	apitest.CheckRequestIDs(t, startFrontend(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil))
}

// Issue 18: one path per resource; other spellings are the 404 page.
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app, site := startFrontendApp(t, backendURLs{startCatalog(t), deadURL(t), deadURL(t)}, nil)
	apitest.CheckOnePathPerResource(t, app, site, func(t testing.TB, what string, got apitest.RawResponse, status int) {
		t.Helper()
		htmlErrorPage(t, what, got, status)
		if !strings.Contains(got.Body, "Page not found") {
			t.Errorf("%s: not the 404 page", what)
		}
	})
}

var linkPattern = regexp.MustCompile(`(?:href|src|action)="(/[^"]*)"`)

// Issue 18: with routing strict and case-sensitive, every link, asset and
// form a page holds is the one spelling its route answers, and redirects
// land on pages that exist.
func TestEveryLinkOnThePagesAnswers(t *testing.T) {
	cat := startCatalog(t)
	s := newShopper(t, startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil))
	wantStatus(t, s.post("/cart/add", url.Values{"product_id": {"books-001"}, "quantity": {"1"}}), http.StatusSeeOther)
	checked := map[string]bool{}
	for _, page := range []string{"/", "/category/books", "/product/books-001", "/cart", "/checkout", "/search?q=mug", "/?page=999"} {
		p := s.get(page)
		if p.status == http.StatusFound {
			page = p.header.Get("Location")
			p = s.get(page)
		}
		wantStatus(t, p, http.StatusOK)
		for _, m := range linkPattern.FindAllStringSubmatch(p.body, -1) {
			link := html.UnescapeString(m[1])
			if checked[link] || strings.HasPrefix(link, "/cart/") || link == "/checkout" && strings.Contains(p.body, `action="/checkout"`) && page == "/checkout" {
				continue
			}
			checked[link] = true
			if got := s.get(link); got.status != http.StatusOK {
				t.Errorf("%s links to %s, which answers %d", page, link, got.status)
			}
		}
	}
	if len(checked) < 30 {
		t.Fatalf("only %d links found on the pages: %v", len(checked), checked)
	}
}
