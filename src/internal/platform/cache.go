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
