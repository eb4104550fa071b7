package search

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2"
)

// The in-memory index never merges segments: every batch adds one, and every
// query pays for each (a dictionary lookup per clause, a Levenshtein walk per
// fuzzy word; 20 segments made queries twice as slow as one). So a rebuild
// writes one batch, and single writes are compacted: after compactAfter of
// them, the products written one by one since the index was last a single
// segment are indexed again in one batch. That leaves every segment holding
// only them without a live document, and scorch drops such segments: the
// index is back to its bulk segment and one more. Once more than half the
// products have been written one by one, all of them are indexed again and
// the index is one segment. Writes wait for a compaction; searches do not.
const compactAfter = 16

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

// wrote counts a single write of id and compacts the index when it is due.
// The caller holds e.mu.
func (e *Embedded) wrote(id string) error {
	e.written[id] = struct{}{}
	e.writes++
	if e.writes < compactAfter {
		return nil
	}
	full := len(e.written) > len(e.docs)/2
	batch := e.live.NewBatch()
	add := func(d Doc) error {
		if err := batch.Index(d.ID, bleveDocOf(d)); err != nil {
			return fmt.Errorf("compacting product %s: %w", d.ID, err)
		}
		return nil
	}
	if full {
		for _, d := range e.docs {
			if err := add(d); err != nil {
				return err
			}
		}
	} else {
		for id := range e.written {
			if d, ok := e.docs[id]; ok {
				if err := add(d); err != nil {
					return err
				}
			}
		}
	}
	if err := e.live.Batch(batch); err != nil {
		return fmt.Errorf("compacting the embedded index: %w", err)
	}
	e.writes = 0
	if full {
		clear(e.written)
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

// embeddedBuild fills a new bleve index with one batch, written at Commit,
// so the new index is one segment.
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
	return nil
}

// Commit implements Build. Later operations on an id replace earlier ones in
// a bleve batch, so the changes keep their order.
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
	if err := b.idx.Batch(b.batch); err != nil {
		return fmt.Errorf("writing the index: %w", err)
	}
	b.batch.Reset()
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
	o.docs, o.written, o.writes = b.docs, map[string]struct{}{}, 0
	if err := old.Close(); err != nil {
		return fmt.Errorf("closing the replaced index: %w", err)
	}
	return nil
}

func (b *embeddedBuild) Abort(context.Context) error { return b.idx.Close() }
