package frontend

import (
	"sync"
	"time"
)

// maxCacheEntries bounds each cache; when full it is emptied, which is
// cheap and keeps the hot entries coming back within one TTL.
const maxCacheEntries = 2048

// ttlCache keeps values for a short time: backend answers, and the
// rendered content of pages that are the same for every shopper. Pages are
// built from the same few catalog answers (categories, the first pages), so
// a TTL of a second takes most load off the catalog and the template
// engine while keeping prices and stock at most that stale. A zero TTL
// disables it.
type ttlCache[V any] struct {
	ttl     time.Duration
	mu      sync.RWMutex
	entries map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, entries: make(map[string]cacheEntry[V])}
}

func (c *ttlCache[V]) get(key string) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[V]) put(key string, value V) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		c.entries = make(map[string]cacheEntry[V])
	}
	c.entries[key] = cacheEntry[V]{value: value, expires: time.Now().Add(c.ttl)}
}
