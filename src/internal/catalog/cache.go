package catalog

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ChangeChannel is the PostgreSQL notification channel a trigger on the
// products table signals on every write (migration 00002).
const ChangeChannel = "catalog_changed"

// maxCachedPages bounds the cache; past it the cache starts over.
const maxCachedPages = 10_000

// CachedStore answers reads from memory and passes writes through. Listings
// are the catalog's hot path and change rarely, so each replica keeps the
// pages it has served until PostgreSQL notifies it of a write, by any
// replica. While the notification connection is down the cache is bypassed,
// so a reader never sees a page older than the last change it could have
// been told about.
type CachedStore struct {
	Store

	mu         sync.Mutex
	enabled    bool
	generation uint64
	pages      map[Query]Page
	products   map[string]Product
	categories []Category
}

// NewCachedStore wraps store with a cache that stays off until Listen runs.
func NewCachedStore(store Store) *CachedStore {
	c := &CachedStore{Store: store}
	c.reset(false)
	return c
}

// reset drops everything cached and turns caching on or off.
func (c *CachedStore) reset(enabled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enabled = enabled
	c.generation++
	c.pages = map[Query]Page{}
	c.products = map[string]Product{}
	c.categories = nil
}

// lookup returns a cached value and the generation to store a fresh one at.
func lookup[K comparable, V any](c *CachedStore, m func() map[K]V, key K) (V, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m()[key]
	return v, ok && c.enabled, c.generation
}

// keep stores a value read at generation gen, unless a change arrived since:
// the value may predate it.
func keep[K comparable, V any](c *CachedStore, m func() map[K]V, gen uint64, key K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled || gen != c.generation {
		return
	}
	if len(m()) >= maxCachedPages {
		clear(m())
	}
	m()[key] = v
}

// List implements Store.
func (c *CachedStore) List(ctx context.Context, q Query) (Page, error) {
	pages := func() map[Query]Page { return c.pages }
	p, ok, gen := lookup(c, pages, q)
	if ok {
		return p, nil
	}
	p, err := c.Store.List(ctx, q)
	if err == nil {
		keep(c, pages, gen, q, p)
	}
	return p, err
}

// Get implements Store.
func (c *CachedStore) Get(ctx context.Context, id string) (Product, error) {
	products := func() map[string]Product { return c.products }
	p, ok, gen := lookup(c, products, id)
	if ok {
		return p, nil
	}
	p, err := c.Store.Get(ctx, id)
	if err == nil {
		keep(c, products, gen, id, p)
	}
	return p, err
}

// Categories implements Store.
func (c *CachedStore) Categories(ctx context.Context) ([]Category, error) {
	c.mu.Lock()
	cached, enabled, gen := c.categories, c.enabled, c.generation
	c.mu.Unlock()
	if enabled && cached != nil {
		return cached, nil
	}
	list, err := c.Store.Categories(ctx)
	if err == nil {
		c.mu.Lock()
		if c.enabled && gen == c.generation {
			c.categories = list
		}
		c.mu.Unlock()
	}
	return list, err
}

// Listen keeps a connection listening on ChangeChannel until ctx ends,
// emptying the cache on every notification and bypassing it whenever the
// connection is lost, reconnecting with a growing pause.
func (c *CachedStore) Listen(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := c.listenOnce(ctx, pool)
		c.reset(false)
		if ctx.Err() != nil {
			return
		}
		logger.WarnContext(ctx, "catalog cache off: change notifications lost", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(time.Duration(attempt+1)*500*time.Millisecond, 5*time.Second)):
		}
	}
}

func (c *CachedStore) listenOnce(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangeChannel); err != nil {
		return err
	}
	// Writes made before LISTEN took effect were never notified: start empty.
	c.reset(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		c.reset(true)
	}
}
