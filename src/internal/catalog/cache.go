package catalog

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sethvargo/go-retry"

	"github.com/shop-platform/shop/src/internal/platform"
)

// ChangeChannel is the PostgreSQL notification channel a trigger on the
// products table signals on every write (migration 00002).
const ChangeChannel = "catalog_changed"

// maxCachedPages bounds each cache; past it the least recently used
// entries make room.
const maxCachedPages = 10_000

// CachedStore answers reads from memory and passes writes through. Listings
// are the catalog's hot path and change rarely, so each replica keeps the
// pages it has served until PostgreSQL notifies it of a write, by any
// replica. Unlike the search and storefront caches its entries have no
// TTL: the notification is a complete account of changes, so an entry is
// exact until one arrives. Since that holds only while it can arrive, the
// cache is bypassed while the notification connection is down, and a reader
// never sees a page older than the last change it could have been told about.
type CachedStore struct {
	Store

	enabled atomic.Bool
	// changes counts the resets, each after its caches are emptied: the
	// version (Versioned) of what is read after it.
	changes    atomic.Uint64
	pages      *platform.Cache[Query, Page]
	products   *platform.Cache[string, Product]
	categories *platform.Cache[struct{}, []Category]
}

// NewCachedStore wraps store with a cache that stays off until Listen runs.
func NewCachedStore(store Store) *CachedStore {
	return &CachedStore{
		Store:      store,
		pages:      platform.NewCache[Query, Page](maxCachedPages, 0),
		products:   platform.NewCache[string, Product](maxCachedPages, 0),
		categories: platform.NewCache[struct{}, []Category](1, 0),
	}
}

// reset drops everything cached and turns caching on or off. Clearing
// after the switch also refuses values read before it (platform.Cache).
func (c *CachedStore) reset(enabled bool) {
	c.enabled.Store(enabled)
	c.pages.Clear()
	c.products.Clear()
	c.categories.Clear()
	c.changes.Add(1)
}

// Version implements Versioned. A reader that sees a version also sees the
// caches emptied before it, so what it reads is no older than the change
// that made the version; while notifications are lost nothing is kept.
func (c *CachedStore) Version() (uint64, bool) {
	return c.changes.Load(), c.enabled.Load()
}

// cached answers from cache while caching is on and it holds key, else
// calls fetch and keeps a successful answer.
func cached[K comparable, V any](c *CachedStore, cache *platform.Cache[K, V], key K, fetch func() (V, error)) (V, error) {
	v, ok, gen := cache.Get(key)
	if ok && c.enabled.Load() {
		return v, nil
	}
	v, err := fetch()
	if err == nil && c.enabled.Load() {
		cache.Add(gen, key, v)
	}
	return v, err
}

// List implements Store.
func (c *CachedStore) List(ctx context.Context, q Query) (Page, error) {
	return cached(c, c.pages, q, func() (Page, error) { return c.Store.List(ctx, q) })
}

// Get implements Store.
func (c *CachedStore) Get(ctx context.Context, id string) (Product, error) {
	return cached(c, c.products, id, func() (Product, error) { return c.Store.Get(ctx, id) })
}

// Categories implements Store.
func (c *CachedStore) Categories(ctx context.Context) ([]Category, error) {
	return cached(c, c.categories, struct{}{}, func() ([]Category, error) { return c.Store.Categories(ctx) })
}

// Listen keeps a connection listening on ChangeChannel until ctx ends,
// emptying the cache on every notification and bypassing it whenever the
// connection is lost, reconnecting with a growing pause that starts small
// again once a connection has listened.
func (c *CachedStore) Listen(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) {
	newBackoff := func() retry.Backoff { return platform.Backoff(500*time.Millisecond, 5*time.Second) }
	backoff := newBackoff()
	for ctx.Err() == nil {
		listened, err := c.listenOnce(ctx, pool)
		c.reset(false)
		if ctx.Err() != nil {
			return
		}
		logger.WarnContext(ctx, "catalog cache off: change notifications lost", "error", err)
		if listened {
			backoff = newBackoff()
		}
		if !platform.Pause(ctx, backoff) {
			return
		}
	}
}

// listenOnce listens on one connection until it fails, and tells whether
// it got as far as listening.
func (c *CachedStore) listenOnce(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangeChannel); err != nil {
		return false, err
	}
	// Writes made before LISTEN took effect were never notified: start empty.
	c.reset(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, err
		}
		c.reset(true)
	}
}
