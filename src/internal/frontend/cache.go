package frontend

import (
	"sync"
	"time"
)

// maxCacheEntries bounds the backend answer cache; when full it is emptied,
// which is cheap and keeps the hot entries coming back within one TTL.
const maxCacheEntries = 2048

// ttlCache keeps backend answer bodies for a short time. Pages are built
// from the same few catalog answers (categories, the first pages), so a TTL
// of a second takes most load off the catalog while keeping prices and
// stock at most that stale. A zero TTL disables it.
type ttlCache struct {
	ttl     time.Duration
	mu      sync.RWMutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	body    []byte
	expires time.Time
}

func newTTLCache(ttl time.Duration) *ttlCache {
	return &ttlCache{ttl: ttl, entries: make(map[string]cacheEntry)}
}

func (c *ttlCache) get(key string) ([]byte, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.body, true
}

func (c *ttlCache) put(key string, body []byte) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		c.entries = make(map[string]cacheEntry)
	}
	c.entries[key] = cacheEntry{body: body, expires: time.Now().Add(c.ttl)}
}
