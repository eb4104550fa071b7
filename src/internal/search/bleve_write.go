package search

import (
	"context"
	"fmt"
	"iter"
	"maps"

	"github.com/blevesearch/bleve/v2"
)

// The in-memory index never merges segments: every batch adds one, and every
// query pays for each (a dictionary lookup per clause, a Levenshtein walk per
// fuzzy word; 20 segments made queries twice as slow as one). So a rebuild
// writes one batch, and the segments of single writes (product events) are
// merged by indexing their products again in one batch: that leaves the old
// segments without a live document, and scorch drops such segments. The
// merges are tiered, like an LSM tree's: a new segment is merged with the
// segments before it as long as they hold at most mergeFactor times as
// many products as the merge so far, so the segments after the bulk one
// grow geometrically, there are few of them, and each product is indexed
// again only a logarithmic number of times. The replaced versions stay in
// the bulk segment as deleted documents, which every term of a query
// subtracts, so once the written products are more than an eighth of the
// catalog everything is indexed again in one segment (eight re-indexed
// products per write, amortised). Writes wait for a merge; searches do not.
const mergeFactor = 4

// Upsert implements Backend.
func (e *Embedded) Upsert(_ context.Context, d Doc) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.live.Index(d.ID, bleveDocOf(d)); err != nil {
		return fmt.Errorf("indexing product %s: %w", d.ID, err)
	}
	e.docs[d.ID] = d
	return e.wrote(d.ID)
}

// Delete implements Backend.
func (e *Embedded) Delete(_ context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.live.Delete(id); err != nil {
		return fmt.Errorf("removing product %s: %w", id, err)
	}
	delete(e.docs, id)
	return e.wrote(id)
}

// wrote records the segment a single write of id added and merges segments
// as the policy above says. The caller holds e.mu.
func (e *Embedded) wrote(id string) error {
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
		e.deltas = nil
		return e.reindex(maps.Keys(e.docs))
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

// NewBuild implements Backend.
func (e *Embedded) NewBuild(context.Context) (Build, error) {
	idx, err := newBleveIndex(e.mapping)
	if err != nil {
		return nil, err
	}
	return &embeddedBuild{owner: e, idx: idx, batch: idx.NewBatch(), docs: map[string]Doc{}}, nil
}

// buildBatchSize is how many products a rebuild analyses before it writes
// them to the new index: one batch of the whole catalog held every
// product's analysis at once (2.7 GiB of heap at 100,000 products); written
// in batches of this size, the heap holds one batch and the segments
// written so far, which scorch merges in the background.
const buildBatchSize = 5000

// embeddedBuild fills a new bleve index in batches; the index becomes live
// only at Commit.
type embeddedBuild struct {
	owner *Embedded
	idx   bleve.Index
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
// order over the products added before them.
func (b *embeddedBuild) Commit(_ context.Context, changes []Change) error {
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
	if err := b.flush(); err != nil {
		return err
	}
	o := b.owner
	o.mu.Lock()
	defer o.mu.Unlock()
	o.liveMu.Lock()
	defer o.liveMu.Unlock()
	old := o.live
	// Swap waits for searches in flight on the old index, so closing it
	// afterwards cannot break one.
	o.alias.Swap([]bleve.Index{b.idx}, []bleve.Index{old})
	o.live = b.idx
	o.docs, o.deltas = b.docs, nil
	if err := old.Close(); err != nil {
		return fmt.Errorf("closing the replaced index: %w", err)
	}
	return nil
}

func (b *embeddedBuild) Abort(context.Context) error { return b.idx.Close() }
