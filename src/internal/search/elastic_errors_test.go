//go:build !embedded

package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/es"
)

// fakeES answers like Elasticsearch (it sends the X-Elastic-Product header
// the client insists on) with the answers a test scripts, by method and
// path, for the error paths a real cluster cannot be made to take at will.
type fakeES struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]fakeAnswer // "METHOD /path" -> answer
	seen    []string
	genuine bool
	// bulkFail scripts _bulk: items with these ids fail with the reason,
	// the others succeed.
	bulkFail map[string]string
}

type fakeAnswer struct {
	status int
	body   string
}

func newFakeES(t *testing.T, answers map[string]fakeAnswer) *fakeES {
	f := &fakeES{answers: answers, genuine: true}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.Method + " " + r.URL.Path
		f.mu.Lock()
		f.seen = append(f.seen, key)
		a, ok := f.answers[key]
		genuine := f.genuine
		if strings.HasSuffix(r.URL.Path, "/_bulk") && f.bulkFail != nil {
			a, ok = bulkAnswer(body, f.bulkFail), true
		}
		f.mu.Unlock()
		if genuine {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			a = fakeAnswer{404, `{"error":{"type":"fake_unscripted","reason":"no answer scripted for ` + key + `"},"status":404}`}
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

// bulkAnswer answers each item of an NDJSON bulk request.
func bulkAnswer(body []byte, fail map[string]string) fakeAnswer {
	var items []string
	errs := false
	for i, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if i%2 == 1 {
			continue // the document
		}
		var action struct {
			Index struct {
				ID string `json:"_id"`
			} `json:"index"`
		}
		_ = json.Unmarshal([]byte(line), &action)
		id := action.Index.ID
		if reason, bad := fail[id]; bad {
			errs = true
			items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":400,"error":{"type":"document_parsing_exception","reason":%q}}}`, id, reason))
		} else {
			items = append(items, fmt.Sprintf(`{"index":{"_id":%q,"status":201,"result":"created"}}`, id))
		}
	}
	return fakeAnswer{200, fmt.Sprintf(`{"took":1,"errors":%t,"items":[%s]}`, errs, strings.Join(items, ","))}
}

func (f *fakeES) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func esError(status int, errType, reason string) fakeAnswer {
	return fakeAnswer{status, fmt.Sprintf(`{"error":{"root_cause":[],"type":%q,"reason":%q},"status":%d}`, errType, reason, status)}
}

func fakeBackend(t *testing.T, f *fakeES) *Elastic {
	t.Helper()
	client, err := es.NewClient(es.Options{URL: f.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return NewElastic(client, "products", quietLogger())
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func anyQuery() Query {
	return Query{Text: "mug", MaxPrice: -1, Sort: SortRelevance, Page: 1, PageSize: 20}
}

func TestElasticOverloadedOrFailingIsUnavailable(t *testing.T) {
	for _, c := range []struct {
		status       int
		errType, why string
	}{
		{503, "cluster_block_exception", "state not recovered"},
		{429, "es_rejected_execution_exception", "rejected execution"},
		{500, "search_phase_execution_exception", "all shards failed"},
	} {
		f := newFakeES(t, map[string]fakeAnswer{"POST /products/_search": esError(c.status, c.errType, c.why)})
		_, err := fakeBackend(t, f).Search(ctx(t), anyQuery())
		if !errors.Is(err, platform.ErrUnavailable) || !strings.Contains(err.Error(), c.errType+": "+c.why) {
			t.Errorf("answer %d: %v, want unavailable with Elasticsearch's reason", c.status, err)
		}
	}
}

func TestElasticRefusalIsAnErrorNamingTheCause(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"POST /products/_search": esError(400, "search_phase_execution_exception", "failed to create query"),
		"POST /products/_count":  esError(404, "index_not_found_exception", "no such index [products]"),
	})
	b := fakeBackend(t, f)
	_, err := b.Search(ctx(t), anyQuery())
	if err == nil || errors.Is(err, platform.ErrUnavailable) || !strings.Contains(err.Error(), "failed to create query") {
		t.Errorf("search refused: %v, want a plain error with the reason", err)
	}
	if err := b.Ping(ctx(t)); err == nil || !strings.Contains(err.Error(), "index_not_found_exception") {
		t.Errorf("ping without the alias: %v, want index_not_found_exception", err)
	}
}

func TestElasticRequiresAGenuineServer(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{"POST /products/_search": {200, `{"hits":{"total":{"value":0},"hits":[]}}`}})
	f.genuine = false
	_, err := fakeBackend(t, f).Search(ctx(t), anyQuery())
	if !errors.Is(err, platform.ErrUnavailable) || !strings.Contains(err.Error(), "not Elasticsearch") {
		t.Errorf("server without X-Elastic-Product: %v, want unavailable saying it is not Elasticsearch", err)
	}
}

func TestElasticPrepareCreatesTheIndexOnce(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"HEAD /_alias/products":   {404, ``},
		"PUT /products-initial":   esError(400, "resource_already_exists_exception", "index [products-initial] already exists"),
		"HEAD /_alias/other":      {200, ``},
		"PUT /broken-initial":     esError(400, "mapper_parsing_exception", "unknown analyzer"),
		"HEAD /_alias/broken":     {404, ``},
		"HEAD /_alias/overloaded": esError(503, "cluster_block_exception", "not recovered"),
	})
	client, _ := es.NewClient(es.Options{URL: f.URL, Timeout: 2 * time.Second})
	if err := NewElastic(client, "products", quietLogger()).Prepare(ctx(t)); err != nil {
		t.Errorf("another replica created the index first: %v, want success", err)
	}
	if err := NewElastic(client, "other", quietLogger()).Prepare(ctx(t)); err != nil {
		t.Errorf("alias exists: %v, want success", err)
	}
	err := NewElastic(client, "broken", quietLogger()).Prepare(ctx(t))
	if err == nil || !strings.Contains(err.Error(), "mapper_parsing_exception") {
		t.Errorf("mapping refused: %v, want the refusal", err)
	}
	if err := NewElastic(client, "overloaded", quietLogger()).Prepare(ctx(t)); !errors.Is(err, platform.ErrUnavailable) {
		t.Errorf("cluster not recovered: %v, want unavailable", err)
	}
}

func TestElasticDeleteOfAnUnknownProductSucceeds(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"DELETE /products/_doc/gone":    {404, `{"_index":"products-1","_id":"gone","result":"not_found"}`},
		"DELETE /products/_doc/noindex": esError(404, "index_not_found_exception", "no such index [products]"),
	})
	b := fakeBackend(t, f)
	if err := b.Delete(ctx(t), "gone"); err != nil {
		t.Errorf("delete of an unknown product: %v, want success", err)
	}
	if err := b.Delete(ctx(t), "noindex"); err == nil {
		t.Error("delete without an index: nil, want index_not_found_exception")
	}
}

func TestElasticBulkFailuresAbortTheRebuild(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"DELETE /products-build": {200, `{"acknowledged":true}`},
	})
	f.bulkFail = map[string]string{"b": "bad price"}
	b := fakeBackend(t, f)
	build := &elasticBuild{owner: b, index: "products-build"}
	for _, id := range []string{"a", "b"} {
		if err := build.Add(ctx(t), DocFrom(product(id, "Mug", "kitchen", 100, 1, ""))); err != nil {
			t.Fatal(err)
		}
	}
	err := build.Commit(ctx(t), nil)
	if err == nil || !strings.Contains(err.Error(), "bad price") || !strings.Contains(err.Error(), "1 failures") {
		t.Errorf("commit after a failed item: %v, want the failure reported", err)
	}
	reqs := f.requests()
	if reqs[len(reqs)-1] != "DELETE /products-build" {
		t.Errorf("requests %v: want the unfinished index deleted", reqs)
	}
	for _, r := range reqs {
		if strings.Contains(r, "_aliases") {
			t.Errorf("requests %v: the alias must not move to a failed build", reqs)
		}
	}
}

func TestElasticFailedSwapKeepsTheOldIndex(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"POST /products-build/_refresh": {200, `{"_shards":{"total":1,"successful":1,"failed":0}}`},
		"GET /_alias/products":          {200, `{"products-old":{"aliases":{"products":{}}}}`},
		"POST /_aliases":                esError(400, "illegal_argument_exception", "alias conflict"),
		"DELETE /products-build":        {200, `{"acknowledged":true}`},
	})
	f.bulkFail = map[string]string{}
	b := fakeBackend(t, f)
	build := &elasticBuild{owner: b, index: "products-build"}
	if err := build.Add(ctx(t), DocFrom(product("a", "Mug", "kitchen", 100, 1, ""))); err != nil {
		t.Fatal(err)
	}
	if err := build.Commit(ctx(t), nil); err == nil || !strings.Contains(err.Error(), "alias conflict") {
		t.Errorf("commit with a refused swap: %v, want the refusal", err)
	}
	for _, r := range f.requests() {
		if r == "DELETE /products-old" {
			t.Errorf("requests %v: the live index was deleted after a failed swap", f.requests())
		}
	}
	if reqs := f.requests(); reqs[len(reqs)-1] != "DELETE /products-build" {
		t.Errorf("requests %v: want the new index dropped", reqs)
	}
}

// bulkLoad adds n products of about 2 KiB each to a build of f's backend.
func bulkLoad(t *testing.T, f *fakeES, n int) *elasticBuild {
	t.Helper()
	build := &elasticBuild{owner: fakeBackend(t, f), index: "products-build"}
	long := strings.Repeat("a sturdy stoneware mug ", 90)
	for i := range n {
		if err := build.Add(ctx(t), DocFrom(product(fmt.Sprintf("p%d", i), "Mug", "kitchen", 100, 1, long))); err != nil {
			t.Fatal(err)
		}
	}
	return build
}

func bulkRequests(f *fakeES) int {
	n := 0
	for _, r := range f.requests() {
		if r == "POST /products-build/_bulk" {
			n++
		}
	}
	return n
}

func TestElasticBulkLoadIsSentInBatches(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"POST /products-build/_refresh": {200, `{"_shards":{"total":1,"successful":1,"failed":0}}`},
		"GET /_alias/products":          {200, `{}`},
		"POST /_aliases":                {200, `{"acknowledged":true}`},
	})
	f.bulkFail = map[string]string{}
	build := bulkLoad(t, f, 1500) // about 3 MiB
	if n := bulkRequests(f); n != 1 {
		t.Errorf("%d bulk requests before the commit, want 1 (at 2 MiB)", n)
	}
	if err := build.Commit(ctx(t), nil); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if n := bulkRequests(f); n != 2 {
		t.Errorf("%d bulk requests, want 2", n)
	}
}

func TestElasticBulkFailuresAreCountedAcrossBatches(t *testing.T) {
	f := newFakeES(t, map[string]fakeAnswer{
		"DELETE /products-build": {200, `{"acknowledged":true}`},
	})
	f.bulkFail = map[string]string{"p1": "bad price", "p1400": "bad stock"}
	err := bulkLoad(t, f, 1500).Commit(ctx(t), nil)
	if err == nil || !strings.Contains(err.Error(), "2 failures") ||
		!strings.Contains(err.Error(), "product p1: 400 document_parsing_exception: bad price") || !strings.Contains(err.Error(), "bad stock") {
		t.Errorf("commit after failures in two batches: %v, want both counted and reported", err)
	}
	if reqs := f.requests(); reqs[len(reqs)-1] != "DELETE /products-build" || bulkRequests(f) != 2 {
		t.Errorf("requests %v: want two batches, then the index deleted", reqs)
	}
}
