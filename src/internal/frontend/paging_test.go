package frontend_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

// lastPageOf reads "Page N of M" from a listing and returns M.
func lastPageOf(t *testing.T, p page) int {
	t.Helper()
	m := regexp.MustCompile(`Page \d+ of (\d+)`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no pager on the page:\n%s", p.body)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// wantRedirectToLast checks that path answers a redirect to the last page
// of the listing at base, keeping want's other parameters, and that the
// page there lists products.
func wantRedirectToLast(t *testing.T, s *shopper, path, base string, keep url.Values) {
	t.Helper()
	last := lastPageOf(t, s.get(base+"?"+keep.Encode()))
	p := s.get(path)
	wantStatus(t, p, http.StatusFound)
	to, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if to.Path != base || to.Query().Get("page") != strconv.Itoa(last) {
		t.Fatalf("%s redirects to %q, want %s page %d", path, to, base, last)
	}
	for k := range keep {
		if to.Query().Get(k) != keep.Get(k) {
			t.Fatalf("%s redirects to %q, which loses %s=%s", path, to, k, keep.Get(k))
		}
	}
	there := s.get(to.String())
	wantStatus(t, there, http.StatusOK)
	wantContains(t, there, "Page "+strconv.Itoa(last)+" of "+strconv.Itoa(last), `class="card"`)
}

func TestPagingPastTheEndRedirectsToTheLastPage(t *testing.T) {
	cat := startCatalog(t)
	site := startFrontend(t, backendURLs{cat, startSearch(t, cat), deadURL(t)}, nil)
	s := newShopper(t, site)
	wantRedirectToLast(t, s, "/?page=999", "/", url.Values{"sort": {"name"}})
	wantRedirectToLast(t, s, "/?page=999999999&sort=-price", "/", url.Values{"sort": {"-price"}})
	wantRedirectToLast(t, s, "/category/books?page=99", "/category/books", url.Values{"sort": {"name"}})
	wantRedirectToLast(t, s, "/search?q=coffee&page=50", "/search", url.Values{"q": {"coffee"}})
	// Pages that exist are served as they are.
	wantStatus(t, s.get("/category/books?page=2"), http.StatusOK)
	wantStatus(t, s.get("/?page=1"), http.StatusOK)
}
