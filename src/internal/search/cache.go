package search

import (
	"context"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cached keeps recent answers of a Backend: shoppers repeat the same head
// queries (the storefront's search box, category browsing), and a cached
// answer costs microseconds where a search with facets costs milliseconds.
// Every write through Cached (an event, a rebuild) starts a new generation,
// so answers older than a change are never served; the TTL bounds how long
// an answer can lag writes Cached does not see (another replica writing to
// the same Elasticsearch index, or its refresh interval).
type Cached struct {
	Backend
	gen         atomic.Uint64
	ttl         time.Duration
	results     *lru.Cache[searchKey, entry[Result]]
	suggestions *lru.Cache[suggestKey, entry[[]Suggestion]]
}

// entry is a cached answer and when it stops being served. Expiry is
// checked on read: golang-lru's expirable cache can panic in its reaper
// (hashicorp/golang-lru#181).
type entry[V any] struct {
	value   V
	expires time.Time
}

type searchKey struct {
	gen uint64
	q   Query
}

type suggestKey struct {
	gen  uint64
	text string
}

// NewCached caches up to size (at least 1) answers of each kind of b for ttl.
func NewCached(b Backend, size int, ttl time.Duration) *Cached {
	size = max(size, 1)
	results, _ := lru.New[searchKey, entry[Result]](size) // fails only for size < 1
	suggestions, _ := lru.New[suggestKey, entry[[]Suggestion]](size)
	return &Cached{Backend: b, ttl: ttl, results: results, suggestions: suggestions}
}

// Search implements Backend.
func (c *Cached) Search(ctx context.Context, q Query) (Result, error) {
	return cachedCall(c, c.results, searchKey{gen: c.gen.Load(), q: q}, func() (Result, error) {
		return c.Backend.Search(ctx, q)
	})
}

// Suggest implements Backend.
func (c *Cached) Suggest(ctx context.Context, text string) ([]Suggestion, error) {
	return cachedCall(c, c.suggestions, suggestKey{gen: c.gen.Load(), text: text}, func() ([]Suggestion, error) {
		return c.Backend.Suggest(ctx, text)
	})
}

// cachedCall answers from cache when it holds a live answer for key, else
// calls fetch and keeps a successful answer.
func cachedCall[K comparable, V any](c *Cached, cache *lru.Cache[K, entry[V]], key K, fetch func() (V, error)) (V, error) {
	if e, ok := cache.Get(key); ok && time.Now().Before(e.expires) {
		return e.value, nil
	}
	v, err := fetch()
	if err == nil {
		cache.Add(key, entry[V]{value: v, expires: time.Now().Add(c.ttl)})
	}
	return v, err
}

// Upsert implements Backend.
func (c *Cached) Upsert(ctx context.Context, d Doc) error {
	defer c.gen.Add(1)
	return c.Backend.Upsert(ctx, d)
}

// Delete implements Backend.
func (c *Cached) Delete(ctx context.Context, id string) error {
	defer c.gen.Add(1)
	return c.Backend.Delete(ctx, id)
}

// NewBuild implements Backend: committing the build starts a generation.
func (c *Cached) NewBuild(ctx context.Context) (Build, error) {
	b, err := c.Backend.NewBuild(ctx)
	if err != nil {
		return nil, err
	}
	return cachedBuild{Build: b, gen: &c.gen}, nil
}

type cachedBuild struct {
	Build
	gen *atomic.Uint64
}

func (b cachedBuild) Commit(ctx context.Context, changes []Change) error {
	defer b.gen.Add(1)
	return b.Build.Commit(ctx, changes)
}
