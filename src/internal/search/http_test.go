package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/apitest"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

const testToken = "test-admin-token"

// testService is a search service over a fake catalog, its indexer running
// on an in-process bus, reached through Fiber's test transport.
type testService struct {
	*Service
	catalog *fakeCatalog
	bus     *mq.Memory
}

func newTestService(t *testing.T, environ map[string]string) testService {
	t.Helper()
	cat := newFakeCatalog(t, fixture())
	env := map[string]string{"CATALOG_URL": cat.URL, "ADMIN_TOKEN": testToken, "LOG_LEVEL": "error"}
	for k, v := range environ {
		env[k] = v
	}
	cfg, err := platform.LoadConfig[Config](env)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Open(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	apitest.LoadContract(t, svc.App).Enforce(t, svc.App)
	bus := mq.NewMemory(mq.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := svc.Subscribe(ctx, bus); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { _ = svc.Run(ctx, bus); close(stopped) }()
	t.Cleanup(func() {
		cancel()
		<-stopped
		_ = bus.Close()
		_ = svc.Close()
	})
	return testService{Service: svc, catalog: cat, bus: bus}
}

func (s testService) waitLoaded(t *testing.T) {
	t.Helper()
	eventually(t, "the index is loaded", func() bool { return s.Indexer.Loaded(context.Background()) == nil })
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (s testService) do(t *testing.T, method, target string, header map[string]string, out any) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.App.Test(req, 10_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, target, body, err)
		}
	}
	return res.StatusCode, string(body)
}

func TestSearchAnswersWithHitsFacetsAndTiming(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	var raw map[string]json.RawMessage
	status, body := s.do(t, "GET", "/search?q=headphones&page_size=2", nil, &raw)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, key := range []string{"hits", "total", "facets", "took_ms"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("answer %s has no %q", body, key)
		}
	}
	var res Result
	_ = json.Unmarshal([]byte(body), &res)
	if res.Total != 3 || len(res.Hits) != 2 || res.Facets.Category[0] != (CategoryCount{"audio", 3}) {
		t.Errorf("answer %s: want 3 headphones in total, 2 on the page, all audio", body)
	}
	if !strings.Contains(body, `"from":25000,"count"`) {
		t.Errorf("answer %s: want the open-ended top price range without \"to\"", body)
	}
}

func TestSearchRefusesBadInputWithAClearError(t *testing.T) {
	s := newTestService(t, nil)
	long := strings.Repeat("a", MaxTextLen+1)
	cases := []struct{ query, code string }{
		{"q=" + long, "invalid_q"},
		{"q=%ff%fe", "invalid_q"},
		{"min_price=-1", "invalid_min_price"},
		{"max_price=-5", "invalid_max_price"},
		{"min_price=abc", "invalid_min_price"},
		{"min_price=500&max_price=100", "invalid_price_range"},
		{"sort=popularity", "invalid_sort"},
		{"page=0", "invalid_page"},
		{"page_size=101", "invalid_page_size"},
		{"page=51&page_size=200", "invalid_page_size"},
		{"page=501", "invalid_page"},
		{"page=101&page_size=100", "invalid_page"},
		{"in_stock=maybe", "invalid_in_stock"},
		{"category=" + strings.Repeat("c", 65), "invalid_category"},
	}
	for _, c := range cases {
		status, body := s.do(t, "GET", "/search?"+c.query, nil, nil)
		var e platform.ErrorBody
		_ = json.Unmarshal([]byte(body), &e)
		if status != 400 || e.Error.Code != c.code || e.Error.Message == "" {
			t.Errorf("GET /search?%.40s: %d %s, want 400 %s with a message", c.query, status, body, c.code)
		}
	}
	if status, body := s.do(t, "GET", "/search/suggest?q="+long, nil, nil); status != 400 || !strings.Contains(body, "invalid_q") {
		t.Errorf("suggest with an overlong q: %d %s, want 400 invalid_q", status, body)
	}
}

func TestSearchTreatsQuerySyntaxAsText(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	for _, q := range []string{`"unbalanced`, `(mug`, `mug]`, `mug AND OR NOT`, `*`, `?`, `mug~`, `^2`, `/regex/`, `back\slash`,
		`name:mug`, `{!}`, `a || b && c`, `<script>`, `%`, `'; DROP TABLE products; --`} {
		var res Result
		status, body := s.do(t, "GET", "/search?q="+url.QueryEscape(q), nil, &res)
		if status != 200 {
			t.Errorf("q=%q: %d %s, want 200", q, status, body)
		}
		status, body = s.do(t, "GET", "/search/suggest?q="+url.QueryEscape(q), nil, nil)
		if status != 200 {
			t.Errorf("suggest q=%q: %d %s, want 200", q, status, body)
		}
	}
}

func TestSearchPageBeyondTheResultsIsEmpty(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	var res Result
	status, body := s.do(t, "GET", "/search?q=mug&page=40", nil, &res)
	if status != 200 || len(res.Hits) != 0 || res.Total != 3 || !strings.Contains(body, `"hits":[]`) {
		t.Errorf("page 40 of 3 mugs: %d %s, want 200, no hits, total 3", status, body)
	}
}

func TestSuggestAnswersIDsAndNames(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	status, body := s.do(t, "GET", "/search/suggest?q=Wireless%20he", nil, nil)
	if status != 200 || body != `{"suggestions":[{"id":"audio-1","name":"Wireless Headphones"}]}` {
		t.Errorf("suggest: %d %s", status, body)
	}
	if _, body := s.do(t, "GET", "/search/suggest", nil, nil); body != `{"suggestions":[]}` {
		t.Errorf("suggest without q: %s, want an empty list", body)
	}
}

func TestReindexNeedsTheAdminToken(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	if status, _ := s.do(t, "POST", "/search/reindex", nil, nil); status != 401 {
		t.Errorf("without a token: %d, want 401", status)
	}
	if status, _ := s.do(t, "POST", "/search/reindex", map[string]string{"Authorization": "Bearer wrong"}, nil); status != 403 {
		t.Errorf("with a wrong token: %d, want 403", status)
	}
	if status, _ := s.do(t, "GET", "/search/reindex", nil, nil); status != 401 {
		t.Errorf("status without a token: %d, want 401", status)
	}
}

func TestReindexRebuildsFromTheCatalogInTheBackground(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	bigger := fixture()
	for i := range 130 {
		bigger = append(bigger, product(fmt.Sprintf("garden-%03d", i), fmt.Sprintf("Garden Hose %d", i), "garden", 2999, 5, ""))
	}
	s.catalog.set(bigger)
	gate := make(chan struct{}) // stalls the rebuild on its second page
	s.catalog.mu.Lock()
	s.catalog.gate = gate
	s.catalog.mu.Unlock()

	var st ReindexStatus
	status, body := s.do(t, "POST", "/search/reindex", auth, &st)
	if status != 202 || st.State != StateRunning || st.StartedAt == nil {
		t.Fatalf("POST /search/reindex: %d %s, want 202 running", status, body)
	}
	if status, body := s.do(t, "POST", "/search/reindex", auth, nil); status != 409 || !strings.Contains(body, "reindex_running") {
		t.Errorf("a second POST during the rebuild: %d %s, want 409 reindex_running", status, body)
	}
	var during Result
	if s.do(t, "GET", "/search", nil, &during); during.Total != 20 {
		t.Errorf("during the rebuild, total = %d, want the 20 of the live index", during.Total)
	}
	close(gate)
	eventually(t, "the rebuild is done", func() bool {
		var st ReindexStatus
		s.do(t, "GET", "/search/reindex", auth, &st)
		return st.State == StateDone && st.Indexed == 150
	})
	var after Result
	if s.do(t, "GET", "/search?q=hose", nil, &after); after.Total != 130 {
		t.Errorf("after the rebuild, q=hose total = %d, want 130", after.Total)
	}
}

func TestProductEventsReachTheIndexThroughTheBus(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	ctx := context.Background()
	if err := s.bus.Publish(ctx, upserted(t, product("garden-1", "Garden Hose", "garden", 2999, 5, ""))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new product is found", func() bool {
		var res Result
		s.do(t, "GET", "/search?q=hose", nil, &res)
		return res.Total == 1
	})
	if err := s.bus.Publish(ctx, deleted(t, "garden-1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted product is gone", func() bool {
		var res Result
		s.do(t, "GET", "/search?q=hose", nil, &res)
		return res.Total == 0
	})
}

func TestElasticsearchDownAnswers503AndNotReady(t *testing.T) {
	s := newTestService(t, map[string]string{"ELASTICSEARCH_URL": testenv.DeadURL(t), "REQUEST_TIMEOUT": "3s"})
	start := time.Now()
	status, body := s.do(t, "GET", "/search?q=mug", nil, nil)
	if status != 503 || !strings.Contains(body, "search_unavailable") || !strings.Contains(body, "elasticsearch") {
		t.Errorf("search with Elasticsearch down: %d %s, want 503 search_unavailable naming Elasticsearch", status, body)
	}
	if status, body := s.do(t, "GET", "/search/suggest?q=mu", nil, nil); status != 503 || !strings.Contains(body, "search_unavailable") {
		t.Errorf("suggest with Elasticsearch down: %d %s, want 503", status, body)
	}
	var ready platform.ReadyReport
	status, body = s.do(t, "GET", "/ready", nil, nil)
	_ = json.Unmarshal([]byte(body), &ready)
	if status != 503 || ready.Checks["index"] == "ok" || !strings.Contains(ready.Checks["index"], "unreachable") {
		t.Errorf("/ready with Elasticsearch down: %d %s, want 503 with the index check saying why", status, body)
	}
	if time.Since(start) > 8*time.Second {
		t.Errorf("answers took %s with Elasticsearch down, want each within the request timeout", time.Since(start))
	}
}

func TestReadyReportsTheEmbeddedIndexOnceLoaded(t *testing.T) {
	s := newTestService(t, nil)
	s.waitLoaded(t)
	status, body := s.do(t, "GET", "/ready", nil, nil)
	if status != 200 || body != `{"status":"ready","checks":{"index":"ok","initial_load":"ok"}}` {
		t.Errorf("/ready: %d %s", status, body)
	}
}
