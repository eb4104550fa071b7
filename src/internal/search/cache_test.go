package search

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingBackend counts the searches that reach the index.
type countingBackend struct {
	Backend
	searches, suggests atomic.Int32
}

func (c *countingBackend) Search(ctx context.Context, q Query) (Result, error) {
	c.searches.Add(1)
	return c.Backend.Search(ctx, q)
}

func (c *countingBackend) Suggest(ctx context.Context, text string) ([]Suggestion, error) {
	c.suggests.Add(1)
	return c.Backend.Suggest(ctx, text)
}

func TestCacheNeverServesAnAnswerOlderThanAChange(t *testing.T) {
	e, err := NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	inner := &countingBackend{Backend: e}
	c := NewCached(inner, 100, time.Hour)
	ctx := context.Background()
	q := Query{Text: "mug", MaxPrice: -1, Sort: SortRelevance, Page: 1, PageSize: 20}
	total := func() int {
		t.Helper()
		r, err := c.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r.Total
	}

	first, second := total(), total()
	if first != 0 || second != 0 || inner.searches.Load() != 1 {
		t.Fatalf("two equal searches reached the index %d times, want once", inner.searches.Load())
	}
	if err := c.Upsert(ctx, DocFrom(product("k-1", "Coffee Mug", "kitchen", 100, 1, ""))); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 1 {
		t.Errorf("after an upsert: total %d, want 1 (the cached answer is from before it)", n)
	}
	if err := c.Delete(ctx, "k-1"); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 0 {
		t.Errorf("after a delete: total %d, want 0", n)
	}
	build, err := c.NewBuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := build.Add(ctx, DocFrom(product("k-2", "Travel Mug", "kitchen", 100, 1, ""))); err != nil {
		t.Fatal(err)
	}
	if err := build.Commit(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 1 {
		t.Errorf("after a rebuild: total %d, want 1", n)
	}

	if _, err := c.Suggest(ctx, "tra"); err != nil {
		t.Fatal(err)
	}
	s, _ := c.Suggest(ctx, "tra")
	if inner.suggests.Load() != 1 || len(s) != 1 {
		t.Errorf("two equal suggests: %d reached the index, answer %v; want once and Travel Mug", inner.suggests.Load(), s)
	}
}

func TestCacheForgetsAnswersAfterTheTTL(t *testing.T) {
	e, err := NewEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	inner := &countingBackend{Backend: e}
	c := NewCached(inner, 100, 20*time.Millisecond)
	q := Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}
	if _, err := c.Search(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the answer expires", func() bool {
		_, _ = c.Search(context.Background(), q)
		return inner.searches.Load() >= 2
	})
}
