package catalog

import (
	"context"
	"fmt"

	"github.com/shop-platform/shop/src/internal/events"
)

// Store keeps the products. Both implementations, PostgreSQL and in-memory,
// pass the same contract tests (store_contract_test.go).
type Store interface {
	// List returns one page of the products matching q, and their total.
	List(ctx context.Context, q Query) (Page, error)
	// Get returns one product, or ErrNotFound.
	Get(ctx context.Context, id string) (Product, error)
	// Categories lists every category with its product count, by name.
	Categories(ctx context.Context) ([]Category, error)
	// Upsert creates or replaces the product with this id and records a
	// product.upserted event in the outbox, atomically. created tells which.
	Upsert(ctx context.Context, id string, in ProductInput) (p Product, created bool, err error)
	// Delete removes a product and records product.deleted, atomically; an
	// unknown id is ErrNotFound.
	Delete(ctx context.Context, id string) error
	// SeedIfEmpty inserts products when the store has none (without events:
	// consumers build their state from the catalog when they start empty)
	// and returns how many it inserted.
	SeedIfEmpty(ctx context.Context, products []Product) (int, error)
	// Reserve applies the order.created event eventID: it takes the stock
	// of every line, or of none when any line cannot be served, and records
	// stock.reserved or stock.rejected (and product.upserted for each product
	// whose stock moved) in the outbox, atomically. Concurrent reservations
	// never oversell; an event applied before changes nothing (reserve.go).
	Reserve(ctx context.Context, eventID string, order events.OrderCreatedData) (Reservation, error)
	// Release puts back the stock an order's reservation took (the saga's
	// compensation after a declined payment or a cancellation), with a
	// product.upserted for each product, atomically and once per order: it
	// reports whether it released anything (release.go).
	Release(ctx context.Context, orderID string) (bool, error)
	// Ping checks the store answers, for /ready.
	Ping(ctx context.Context) error
}

// Versioned is a store that numbers the states of its catalog: v changes
// with every write, and a listing read after Version returned v shows
// state v or a later one. The HTTP layer keeps each listing's JSON under
// its query and v, so a page asked for again before the next write is
// sent as it was. ok false: what is read now must not be kept (the
// PostgreSQL cache while its change notifications are lost).
type Versioned interface {
	Version() (v uint64, ok bool)
}

// Source is the CloudEvents source of the catalog's events.
const Source = "/shop/catalog"

func upsertedEvent(p Product) (events.Envelope, error) {
	e, err := events.New(Source, events.ProductUpserted, p)
	if err != nil {
		return e, fmt.Errorf("building event: %w", err)
	}
	return e, nil
}

func deletedEvent(id string, revision int64) (events.Envelope, error) {
	e, err := events.New(Source, events.ProductDeleted, events.ProductRemoved{ID: id, Revision: revision})
	if err != nil {
		return e, fmt.Errorf("building event: %w", err)
	}
	return e, nil
}
