package search

import (
	"net/http"
	"strings"
	"testing"
)

// TestZeroResultSearchesAreCounted checks the counter behind the business
// dashboard's "searches with no result", as /metrics shows it.
func TestZeroResultSearchesAreCounted(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	for _, q := range []string{"zzqxjvw", "mug", "qqqxxyy"} {
		if code, body := s.do(t, http.MethodGet, "/search?q="+q, nil, nil); code != http.StatusOK {
			t.Fatalf("search %q: %d %s", q, code, body)
		}
	}
	_, metrics := s.do(t, http.MethodGet, "/metrics", nil, nil)
	if !strings.Contains(metrics, "\n"+MetricZeroResults+" 2\n") {
		t.Fatalf("want %s 2 after two searches that found nothing; /metrics:\n%s", MetricZeroResults, metrics)
	}
}
