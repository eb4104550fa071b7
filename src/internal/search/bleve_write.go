package search

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// Every write adds a segment, and every query pays for each (a dictionary
// lookup per clause, a Levenshtein walk per fuzzy word; 20 segments made
// queries twice as slow as one). Scorch's merger merges only segments the
// persister has written to disk, in the background and by its own tiers, so
// a rebuild merges its segments itself before it goes live (mergeAll), and
// the segments of single writes (product events) are merged at once by
// indexing their products again in one batch: that leaves the old
// segments without a live document, and scorch drops such segments. The
// merges are tiered, like an LSM tree's: a new segment is merged with the
// segments before it as long as they hold at most mergeFactor times as
// many products as the merge so far, so the segments after the bulk one
// grow geometrically, there are few of them, and each product is indexed
// again only a logarithmic number of times. The replaced versions stay in
// the bulk segment as deleted documents, which every term of a query
// subtracts, so once the written products are more than an eighth of the
// catalog everything is indexed again into a new index, in the batches of
// a rebuild (eight re-indexed products per write, amortised). Writes wait
// for a merge; searches do not.
const mergeFactor = 4

// Upsert implements Backend.
func (e *Embedded) Upsert(ctx context.Context, d Doc) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.live.Index(d.ID, bleveDocOf(d)); err != nil {
		return fmt.Errorf("indexing product %s: %w", d.ID, err)
	}
	e.docs[d.ID] = d
	return e.wrote(ctx, d.ID)
}

// Delete implements Backend.
func (e *Embedded) Delete(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.live.Delete(id); err != nil {
		return fmt.Errorf("removing product %s: %w", id, err)
	}
	delete(e.docs, id)
	return e.wrote(ctx, id)
}

// wrote records the segment a single write of id added and merges segments
// as the policy above says. The caller holds e.mu.
func (e *Embedded) wrote(ctx context.Context, id string) error {
	merged := map[string]struct{}{id: {}}
	n := len(e.deltas)
	for n > 0 && len(e.deltas[n-1]) <= mergeFactor*len(merged) {
		maps.Copy(merged, e.deltas[n-1])
		n--
	}
	e.deltas = append(e.deltas[:n], merged)
	written := 0
	for _, d := range e.deltas {
		written += len(d)
	}
	switch {
	case written > len(e.docs)/8:
		return e.compact(ctx)
	case len(merged) > 1:
		return e.reindex(maps.Keys(merged))
	}
	return nil
}

// reindex indexes the current version of the products ids in one batch
// (a deleted product is left out, its old versions are already gone).
func (e *Embedded) reindex(ids iter.Seq[string]) error {
	batch := e.live.NewBatch()
	for id := range ids {
		if d, ok := e.docs[id]; ok {
			if err := batch.Index(id, bleveDocOf(d)); err != nil {
				return fmt.Errorf("merging product %s: %w", id, err)
			}
		}
	}
	if err := e.live.Batch(batch); err != nil {
		return fmt.Errorf("merging segments of the embedded index: %w", err)
	}
	return nil
}

// compact indexes every product again into a new index, in the batches of
// a rebuild, and puts it live. Indexing them again into the live index in
// one batch held every product's analysis at once: 2.7 GiB of heap at
// 100,000 products, where a rebuild peaks at 380-408 MiB RSS. The caller
// holds e.mu.
func (e *Embedded) compact(ctx context.Context) error {
	b, err := e.newBuild()
	if err != nil {
		return err
	}
	for _, d := range e.docs {
		if err := b.Add(ctx, d); err != nil {
			return errors.Join(err, b.Abort(ctx))
		}
	}
	if err := b.mergeAll(ctx); err != nil {
		return errors.Join(err, b.Abort(ctx))
	}
	return e.goLive(b)
}

// NewBuild implements Backend.
func (e *Embedded) NewBuild(context.Context) (Build, error) { return e.newBuild() }

// newBuild starts a new, empty index beside the live one.
func (e *Embedded) newBuild() (*embeddedBuild, error) {
	idx, dir, err := newBleveIndex(e.mapping)
	if err != nil {
		return nil, err
	}
	return &embeddedBuild{owner: e, idx: idx, dir: dir, batch: idx.NewBatch(), docs: map[string]Doc{}}, nil
}

// buildBatchSize is how many products a rebuild analyses before it writes
// them to the new index. One batch of the whole catalog held every
// product's analysis at once (2.7 GiB of heap at 100,000 products); a
// batch's analysis is garbage once its segment is built, and the persister
// moves the segment out of the heap to disk, so the heap holds about one
// batch and the runtime's headroom over it. At 100,000 products (make bench
// search-scale, two CPUs at load 11-16) batches of 5,000 peaked at 490 MiB
// RSS, 2,500 at 380 MiB with the build no slower (47 s against 66 s): the
// merges cost by the data, not by the number of segments.
const buildBatchSize = 2500

// embeddedBuild fills a new bleve index in batches; the index becomes live
// only at Commit.
type embeddedBuild struct {
	owner *Embedded
	idx   bleve.Index
	dir   string // the directory of idx
	batch *bleve.Batch
	docs  map[string]Doc
}

func (b *embeddedBuild) Add(_ context.Context, d Doc) error {
	if err := b.batch.Index(d.ID, bleveDocOf(d)); err != nil {
		return fmt.Errorf("indexing product %s: %w", d.ID, err)
	}
	b.docs[d.ID] = d
	if b.batch.Size() < buildBatchSize {
		return nil
	}
	return b.flush()
}

// flush writes the batch to the new index.
func (b *embeddedBuild) flush() error {
	if err := b.idx.Batch(b.batch); err != nil {
		return fmt.Errorf("writing the index: %w", err)
	}
	b.batch.Reset()
	return nil
}

// Commit implements Build. Later operations on an id replace earlier ones in
// a bleve batch, and batches are applied in turn, so the changes keep their
// order over the products added before them. The new index goes live with
// its segments merged into one, so that a query visits one term dictionary
// and the build's replaced versions are gone.
func (b *embeddedBuild) Commit(ctx context.Context, changes []Change) error {
	for _, c := range changes {
		if c.Doc != nil {
			if err := b.batch.Index(c.Doc.ID, bleveDocOf(*c.Doc)); err != nil {
				return fmt.Errorf("indexing product %s: %w", c.Doc.ID, err)
			}
			b.docs[c.Doc.ID] = *c.Doc
		} else {
			b.batch.Delete(c.DeleteID)
			delete(b.docs, c.DeleteID)
		}
	}
	if err := b.mergeAll(ctx); err != nil {
		return err
	}
	b.owner.mu.Lock()
	defer b.owner.mu.Unlock()
	return b.owner.goLive(b)
}

// goLive puts b's index live in place of the current one, which it closes.
// The caller holds e.mu.
func (e *Embedded) goLive(b *embeddedBuild) error {
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	old, oldDir := e.live, e.liveDir
	// Swap waits for searches in flight on the old index, so closing it
	// afterwards cannot break one.
	e.alias.Swap([]bleve.Index{b.idx}, []bleve.Index{old})
	e.live, e.liveDir = b.idx, b.dir
	e.docs, e.deltas = b.docs, nil
	if err := closeBleveIndex(old, oldDir); err != nil {
		return fmt.Errorf("closing the replaced index: %w", err)
	}
	return nil
}

// mergeAll writes the last batch, waits until the persister has written it
// to disk (the merger merges only segments on disk), then merges every
// segment into one. At 100,000 products (in process, batches of 5,000, two
// CPUs at load 15) this took 5-7 s of a 54-64 s build.
func (b *embeddedBuild) mergeAll(ctx context.Context) error {
	persisted := make(chan error, 1)
	// Never block the persister, whatever it calls back.
	b.batch.SetPersistedCallback(func(err error) {
		select {
		case persisted <- err:
		default:
		}
	})
	if err := b.flush(); err != nil {
		return err
	}
	select {
	case err := <-persisted:
		if err != nil {
			return fmt.Errorf("writing the index to disk: %w", err)
		}
	case <-ctx.Done():
		return fmt.Errorf("writing the index to disk: %w", ctx.Err())
	}
	adv, err := b.idx.Advanced()
	if err != nil {
		return fmt.Errorf("merging the index: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("merging the index: it is a %T, not scorch", adv)
	}
	// Scorch's single-segment plan merges at most ten segments a task, which
	// left two segments at 100,000 products; one task takes them all and
	// writes the index once.
	plan := mergeplan.SingleSegmentMergePlanOptions
	plan.SegmentsPerMergeTask = math.MaxInt
	if err := s.ForceMerge(ctx, &plan); err != nil {
		return fmt.Errorf("merging the index: %w", err)
	}
	// ForceMerge returns without an error when ctx ends it.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("merging the index: %w", err)
	}
	return nil
}

func (b *embeddedBuild) Abort(context.Context) error { return closeBleveIndex(b.idx, b.dir) }
