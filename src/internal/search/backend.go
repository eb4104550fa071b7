package search

import (
	"context"
	"errors"
	"net/http"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Backend is a full-text index of products: the embedded engine (bleve) or
// Elasticsearch. Both pass the contract suite in contract_test.go. Reads go
// through an alias that a rebuild swaps atomically to a new index.
type Backend interface {
	// Name is "embedded" or "elasticsearch", for logs and /ready.
	Name() string
	// Prepare creates the index, its mapping and alias if missing;
	// idempotent, so every replica calls it at start.
	Prepare(ctx context.Context) error
	Search(ctx context.Context, q Query) (Result, error)
	// Suggest returns up to MaxSuggestions products whose names complete text.
	Suggest(ctx context.Context, text string) ([]Suggestion, error)
	// Upsert indexes d under its id, replacing any older version.
	Upsert(ctx context.Context, d Doc) error
	// Delete removes a product; an unknown id is not an error.
	Delete(ctx context.Context, id string) error
	// Count is the number of indexed products.
	Count(ctx context.Context) (int, error)
	// Refresh makes every write so far visible to searches.
	Refresh(ctx context.Context) error
	// NewBuild starts a new, empty index version next to the live one.
	NewBuild(ctx context.Context) (Build, error)
	// Ping checks the backend answers.
	Ping(ctx context.Context) error
	Close() error
}

// Build is an index version being filled by a rebuild.
type Build interface {
	// Add queues d for bulk indexing.
	Add(ctx context.Context, d Doc) error
	// Commit flushes the bulk load, applies the changes that arrived
	// meanwhile in order, and swaps the alias to this version, dropping the
	// old one. Searches keep answering from the old version until then.
	Commit(ctx context.Context, changes []Change) error
	// Abort drops the unfinished version.
	Abort(ctx context.Context) error
}

// Change is one indexing event: an upsert of Doc, or a delete of DeleteID.
type Change struct {
	Doc      *Doc
	DeleteID string
	// Revision is the catalog's revision of the change (0 when the event
	// carried none); rebuilds use it to drop replayed changes older than
	// what they read.
	Revision int64
}

// errBackendDown marks a backend that cannot answer; clients get a 503 that
// says so.
func errBackendDown(backend string, err error) error {
	return errors.Join(platform.NewError(http.StatusServiceUnavailable, "search_unavailable",
		"the search index (%s) is unavailable, try again shortly", backend), err)
}
