package frontend

import (
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
)

// maxCacheEntries bounds each cache; past it the least recently used
// entries make room.
const maxCacheEntries = 2048

// newTTLCache returns a cache of backend answers or of the rendered content
// of pages that are the same for every shopper, keyed by URL. Pages are
// built from the same few catalog answers (categories, the first pages), so
// a TTL of a second takes most load off the catalog and the template
// engine while keeping prices and stock at most that stale. Nothing clears
// it: the storefront is not told of changes, the TTL is its only bound. A
// zero TTL returns nil, which caches nothing.
func newTTLCache[V any](ttl time.Duration) *platform.Cache[string, V] {
	if ttl <= 0 {
		return nil
	}
	return platform.NewCache[string, V](maxCacheEntries, ttl)
}
