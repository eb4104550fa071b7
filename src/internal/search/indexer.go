package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/sethvargo/go-retry"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
)

// Subscription is how the indexer listens to product changes: its own
// queue per replica, since every replica may hold its own embedded index.
func (ix *Indexer) Subscription() mq.Subscription {
	return mq.Subscription{
		Queue:      "search.products",
		PerReplica: true,
		Types:      []string{events.ProductUpserted, events.ProductDeleted},
		Handler:    ix.Handle,
	}
}

// Indexer keeps the index in step with the catalog: it applies product
// events as they come and rebuilds the index from the catalog on demand and
// when it starts empty.
type Indexer struct {
	backend Backend
	catalog *CatalogClient
	logger  *slog.Logger
	metrics *metrics

	// mu orders event writes against the end of a rebuild, so an event is
	// either in the journal the rebuild replays or written after the swap.
	mu      sync.Mutex
	journal *[]Change                 // non-nil while a rebuild runs
	applied *lru.Cache[string, int64] // product id -> revision the index holds

	statusMu sync.Mutex
	status   ReindexStatus
	loaded   bool
	requests chan struct{}
	interval time.Duration // periodic rebuilds; 0: none
}

// ReindexStatus is the state of the latest rebuild, the answer of
// POST and GET /search/reindex.
type ReindexStatus struct {
	State      string     `json:"state"` // idle, running, done, failed
	Indexed    int        `json:"indexed"`
	Error      string     `json:"error,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// rememberedRevisions bounds the revisions the indexer remembers, least
// recently changed products forgotten first: an event of a forgotten
// product is applied as it comes. Far above a shop's catalog, a few MB.
const rememberedRevisions = 100_000

// Rebuild states.
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// ErrReindexRunning is returned when a rebuild is asked for during one.
var ErrReindexRunning = platform.NewError(http.StatusConflict, "reindex_running", "a reindex is already running; GET /search/reindex shows its progress")

// NewIndexer returns an indexer; Run starts its work. A positive interval
// rebuilds the index that often.
func NewIndexer(backend Backend, catalog *CatalogClient, logger *slog.Logger, m *metrics, interval time.Duration) *Indexer {
	applied, _ := lru.New[string, int64](rememberedRevisions) // fails only for a size below 1
	return &Indexer{
		backend: backend, catalog: catalog, logger: logger, metrics: m, interval: interval,
		status:   ReindexStatus{State: StateIdle},
		applied:  applied,
		requests: make(chan struct{}, 1),
	}
}

// Handle applies one product event; it is the indexer's mq.Handler.
// Upserts and deletes are idempotent, so redelivery is harmless. Events of
// one product can arrive out of order (the bus hands several to handlers
// at once; the relay retries an old event after newer ones), so an event
// whose revision is not above the one the index holds for the product is
// skipped rather than let it undo the newer change. Revisions come from the
// catalog's database, in the write itself: no replica's clock is trusted.
// An event that cannot be decoded is dead-lettered at once; an index that
// is down keeps the event for a retry.
func (ix *Indexer) Handle(ctx context.Context, e events.Envelope) error {
	change, id, err := changeOf(e)
	if err != nil {
		ix.metrics.events.WithLabelValues(e.Type, "error").Inc()
		return mq.Permanent(err)
	}
	if change == nil {
		ix.metrics.events.WithLabelValues(e.Type, "ignored").Inc()
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if last, ok := ix.applied.Get(id); ok && change.Revision > 0 && change.Revision <= last {
		ix.metrics.events.WithLabelValues(e.Type, "stale").Inc()
		return nil
	}
	if change.Doc != nil {
		err = ix.backend.Upsert(ctx, *change.Doc)
	} else {
		err = ix.backend.Delete(ctx, change.DeleteID)
	}
	ix.metrics.events.WithLabelValues(e.Type, result(err)).Inc()
	if err != nil {
		return fmt.Errorf("applying event %s: %w", e.ID, err)
	}
	if change.Revision > 0 {
		ix.applied.Add(id, change.Revision)
	}
	if ix.journal != nil {
		*ix.journal = append(*ix.journal, *change)
	}
	return nil
}

// changeOf decodes an event into an index change and the product id; a
// nil change for event types the index does not care about.
func changeOf(e events.Envelope) (*Change, string, error) {
	switch e.Type {
	case events.ProductUpserted:
		var p events.Product
		if err := e.Decode(&p); err != nil {
			return nil, "", err
		}
		if p.ID == "" {
			return nil, "", fmt.Errorf("event %s: product without an id", e.ID)
		}
		d := DocFrom(p)
		return &Change{Doc: &d, Revision: p.Revision}, p.ID, nil
	case events.ProductDeleted:
		var r events.ProductRemoved
		if err := e.Decode(&r); err != nil {
			return nil, "", err
		}
		if r.ID == "" {
			return nil, "", fmt.Errorf("event %s: deletion without an id", e.ID)
		}
		return &Change{DeleteID: r.ID, Revision: r.Revision}, r.ID, nil
	default:
		return nil, "", nil
	}
}

// Reindex rebuilds the index from the catalog now, unless a rebuild is
// already running.
func (ix *Indexer) Reindex(ctx context.Context) (int, error) {
	if !ix.begin() {
		return 0, ErrReindexRunning
	}
	return ix.rebuild(ctx)
}

// rebuild fills a new index version from the catalog and swaps it in;
// searches keep answering from the old version meanwhile. Events arriving
// during the rebuild are applied to the old version at once and replayed
// onto the new one before the swap. The caller has called begin.
func (ix *Indexer) rebuild(ctx context.Context) (n int, err error) {
	defer func() { ix.finish(n, err) }()
	build, err := ix.backend.NewBuild(ctx)
	if err != nil {
		return 0, err
	}
	ix.mu.Lock()
	ix.journal = &[]Change{}
	ix.mu.Unlock()
	read := map[string]int64{} // product id -> revision the rebuild read
	n, err = ix.catalog.Each(ctx, func(p events.Product) error {
		read[p.ID] = p.Revision
		return build.Add(ctx, DocFrom(p))
	})
	ix.mu.Lock()
	defer ix.mu.Unlock()
	journal := *ix.journal
	ix.journal = nil
	if err != nil {
		return n, errors.Join(err, build.Abort(context.WithoutCancel(ctx)))
	}
	// A change the rebuild already read a newer state of is not replayed.
	changes := make([]Change, 0, len(journal))
	for _, c := range journal {
		id := c.DeleteID
		if c.Doc != nil {
			id = c.Doc.ID
		}
		if c.Revision == 0 || c.Revision > read[id] {
			changes = append(changes, c)
		}
	}
	if err := build.Commit(ctx, changes); err != nil {
		return n, err
	}
	// The new index holds what was read: an older event arriving later
	// (a retry from a producer's outbox) is stale.
	for id, rev := range read {
		if last, ok := ix.applied.Get(id); !ok || rev > last {
			ix.applied.Add(id, rev)
		}
	}
	return n, nil
}

func (ix *Indexer) begin() bool {
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	if ix.status.State == StateRunning {
		return false
	}
	now := time.Now().UTC()
	ix.status = ReindexStatus{State: StateRunning, StartedAt: &now}
	return true
}

func (ix *Indexer) finish(n int, err error) {
	ix.metrics.reindex.WithLabelValues(result(err)).Inc()
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	now := time.Now().UTC()
	ix.status.FinishedAt, ix.status.Indexed = &now, n
	if err != nil {
		ix.status.State, ix.status.Error = StateFailed, err.Error()
		ix.logger.Error("reindex failed", "indexed", n, "error", err)
		return
	}
	ix.status.State = StateDone
	ix.loaded = true
	ix.logger.Info("reindexed from the catalog", "products", n, "took", now.Sub(*ix.status.StartedAt).String())
}

// Status is the state of the latest rebuild.
func (ix *Indexer) Status() ReindexStatus {
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	return ix.status
}

// RequestReindex starts a rebuild in the background (Run performs it),
// unless one is already running.
func (ix *Indexer) RequestReindex() (ReindexStatus, error) {
	if !ix.begin() {
		return ix.Status(), ErrReindexRunning
	}
	// begin admits one rebuild at a time, so the buffer of one always has room.
	ix.requests <- struct{}{}
	return ix.Status(), nil
}

// Run prepares the backend, fills an empty index from the catalog
// (retrying until both answer), then performs the requested rebuilds until
// ctx ends.
func (ix *Indexer) Run(ctx context.Context) {
	backoff := platform.Backoff(500*time.Millisecond, 10*time.Second)
	var count int
	err := retry.Do(ctx, backoff, func(ctx context.Context) error {
		err := ix.backend.Prepare(ctx)
		if err == nil {
			count, err = ix.backend.Count(ctx)
		}
		if err != nil {
			ix.logger.WarnContext(ctx, "search index not ready, retrying", "backend", ix.backend.Name(), "error", err)
			return retry.RetryableError(err)
		}
		return nil
	})
	if err != nil {
		return // cancelled before the backend answered
	}
	if count > 0 {
		ix.markLoaded()
	} else {
		// An admin may have asked for a rebuild already: it loads the index.
		_, _ = ix.RequestReindex()
	}
	var tick <-chan time.Time
	if ix.interval > 0 {
		t := time.NewTicker(ix.interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if !ix.begin() {
				continue
			}
		case <-ix.requests:
		}
		if _, err := ix.rebuild(ctx); err == nil || ix.Loaded(ctx) == nil {
			continue
		}
		// The index was never filled: retry until the catalog answers.
		if !platform.Pause(ctx, backoff) {
			return
		}
		_, _ = ix.RequestReindex()
	}
}

func (ix *Indexer) markLoaded() {
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	ix.loaded = true
}

// Loaded is the readiness check of the initial load: it fails until the
// index has been filled once.
func (ix *Indexer) Loaded(context.Context) error {
	ix.statusMu.Lock()
	defer ix.statusMu.Unlock()
	if ix.loaded {
		return nil
	}
	if ix.status.Error != "" {
		return fmt.Errorf("loading the index from the catalog: %s", ix.status.Error)
	}
	return errors.New("loading the index from the catalog")
}
