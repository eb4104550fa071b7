package search

import (
	"context"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Cached keeps recent answers of a Backend: shoppers repeat the same head
// queries (the storefront's search box, category browsing), and a cached
// answer costs microseconds where a search with facets costs milliseconds.
// Every write through Cached (an event, a rebuild) clears it, so answers
// older than a change are never served; the TTL bounds how long an answer
// can lag writes Cached does not see (another replica writing to the same
// Elasticsearch index, or its refresh interval).
type Cached struct {
	Backend
	results     *platform.Cache[Query, Result]
	suggestions *platform.Cache[string, []Suggestion]
}

// NewCached caches up to size (at least 1) answers of each kind of b for ttl.
func NewCached(b Backend, size int, ttl time.Duration) *Cached {
	return &Cached{
		Backend:     b,
		results:     platform.NewCache[Query, Result](size, ttl),
		suggestions: platform.NewCache[string, []Suggestion](size, ttl),
	}
}

// Search implements Backend.
func (c *Cached) Search(ctx context.Context, q Query) (Result, error) {
	return cachedCall(c.results, q, func() (Result, error) { return c.Backend.Search(ctx, q) })
}

// Suggest implements Backend.
func (c *Cached) Suggest(ctx context.Context, text string) ([]Suggestion, error) {
	return cachedCall(c.suggestions, text, func() ([]Suggestion, error) { return c.Backend.Suggest(ctx, text) })
}

// cachedCall answers from cache when it holds a live answer for key, else
// calls fetch and keeps a successful answer.
func cachedCall[K comparable, V any](cache *platform.Cache[K, V], key K, fetch func() (V, error)) (V, error) {
	v, ok, gen := cache.Get(key)
	if ok {
		return v, nil
	}
	v, err := fetch()
	if err == nil {
		cache.Add(gen, key, v)
	}
	return v, err
}

// clear drops every answer: the index changed.
func (c *Cached) clear() {
	c.results.Clear()
	c.suggestions.Clear()
}

// Upsert implements Backend.
func (c *Cached) Upsert(ctx context.Context, d Doc) error {
	defer c.clear()
	return c.Backend.Upsert(ctx, d)
}

// Delete implements Backend.
func (c *Cached) Delete(ctx context.Context, id string) error {
	defer c.clear()
	return c.Backend.Delete(ctx, id)
}

// NewBuild implements Backend: committing the build clears the cache.
func (c *Cached) NewBuild(ctx context.Context) (Build, error) {
	b, err := c.Backend.NewBuild(ctx)
	if err != nil {
		return nil, err
	}
	return cachedBuild{Build: b, cache: c}, nil
}

type cachedBuild struct {
	Build
	cache *Cached
}

func (b cachedBuild) Commit(ctx context.Context, changes []Change) error {
	defer b.cache.clear()
	return b.Build.Commit(ctx, changes)
}
