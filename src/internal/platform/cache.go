package platform

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cache keeps recent answers of a slower backend: an LRU (golang-lru) of at
// most size entries, each served until ttl after it was stored (ttl 0: until
// it is evicted or the cache cleared). The catalog, search and storefront
// caches are all one of these, so they bound memory, age and invalidation
// the same way.
//
// Clear starts a new generation: a value read from the backend before a
// change and stored after it would otherwise outlive the change, so Add
// takes the generation Get returned and drops the value when a Clear came
// in between.
//
// Keys and values outlive the request that stored them, so they must not
// alias Fiber's reused buffers: platform.NewApp makes Fiber's strings
// immutable, and a []byte from a request must be copied before it is stored.
//
// A nil *Cache keeps nothing: a service turns its cache off by not making
// one.
type Cache[K comparable, V any] struct {
	ttl time.Duration
	mu  sync.RWMutex // orders Add against Clear
	gen uint64
	lru *lru.Cache[K, cacheEntry[V]]
}

// cacheEntry is a value and when it stops being served. Expiry is checked
// on read: golang-lru's expirable cache can panic in its reaper
// (hashicorp/golang-lru#181).
type cacheEntry[V any] struct {
	value   V
	expires time.Time
	// refreshing: since it expired, a GetServingStale caller is making the
	// value again, and the others are given this one meanwhile.
	refreshing bool
}

// NewCache returns a cache of up to size (at least 1) entries kept for ttl
// (0: no expiry).
func NewCache[K comparable, V any](size int, ttl time.Duration) *Cache[K, V] {
	l, _ := lru.New[K, cacheEntry[V]](max(size, 1)) // fails only for size < 1
	return &Cache[K, V]{ttl: ttl, lru: l}
}

// Get returns the live value for key, if any, and the generation to Add a
// fresh one at.
func (c *Cache[K, V]) Get(key K) (V, bool, uint64) {
	var zero V
	if c == nil {
		return zero, false, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.lru.Get(key)
	if !ok || (c.ttl > 0 && !time.Now().Before(e.expires)) {
		return zero, false, c.gen
	}
	return e.value, true, c.gen
}

// GetServingStale is Get for a value that is costly to make again and
// asked for by many at once (a storefront page): once key's value has
// expired, the first caller gets a miss and makes the value again, and the
// callers after it get the expired value until that caller's Add, for at
// most one more TTL (after which, the remake having failed, every caller
// gets a miss). Before it, every request that came while a page was being
// made again made it too, all at once, and waited: the storefront home's
// p99 at half its maximum rate was its rebuild, 13 ms (docs/benchmarks.md).
func (c *Cache[K, V]) GetServingStale(key K) (V, bool, uint64) {
	v, ok, gen := c.Get(key)
	if ok || c == nil || c.ttl == 0 {
		return v, ok, gen
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.lru.Peek(key)
	switch {
	case !found || !time.Now().Before(e.expires.Add(c.ttl)):
		return v, false, c.gen
	case e.refreshing:
		return e.value, true, c.gen
	}
	e.refreshing = true
	c.lru.Add(key, e)
	return v, false, c.gen
}

// Add keeps v for key, unless Clear ran since gen was read: v may predate
// the change that cleared the cache.
func (c *Cache[K, V]) Add(gen uint64, key K, v V) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	c.lru.Add(key, cacheEntry[V]{value: v, expires: time.Now().Add(c.ttl)})
}

// Clear drops every entry and refuses values read before it.
func (c *Cache[K, V]) Clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Purge()
}
