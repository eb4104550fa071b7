package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// elasticBuild bulk-loads a new index version with esutil.BulkIndexer.
type elasticBuild struct {
	owner *Elastic
	index string
	bulk  esutil.BulkIndexer

	mu       sync.Mutex
	failures []error // the first few failed items and indexer errors
	failed   int
}

const maxReportedFailures = 5

func newElasticBuild(ctx context.Context, owner *Elastic, index string) (*elasticBuild, error) {
	b := &elasticBuild{owner: owner, index: index}
	bulk, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     owner.client,
		Index:      index,
		NumWorkers: 2,
		FlushBytes: 2 << 20,
		OnError:    func(_ context.Context, err error) { b.fail(fmt.Errorf("bulk request: %w", err)) },
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the bulk indexer: %w", err), owner.dropIndex(ctx, index))
	}
	b.bulk = bulk
	return b, nil
}

func (b *elasticBuild) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed++
	if len(b.failures) < maxReportedFailures {
		b.failures = append(b.failures, err)
	}
}

func (b *elasticBuild) Add(ctx context.Context, d Doc) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encoding product %s: %w", d.ID, err)
	}
	return b.bulk.Add(ctx, esutil.BulkIndexerItem{
		Action: "index", DocumentID: d.ID, Body: bytes.NewReader(raw),
		OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
			if err == nil {
				err = fmt.Errorf("%d %s: %s", res.Status, res.Error.Type, res.Error.Reason)
			}
			b.fail(fmt.Errorf("product %s: %w", d.ID, err))
		},
	})
}

// Commit implements Build. Bulk items may be written in any order, so the
// changes that arrived during the load are applied one by one afterwards.
func (b *elasticBuild) Commit(ctx context.Context, changes []Change) error {
	if err := b.bulk.Close(ctx); err != nil {
		b.fail(fmt.Errorf("flushing the bulk indexer: %w", err))
	}
	b.mu.Lock()
	failed, failures := b.failed, b.failures
	b.mu.Unlock()
	if failed > 0 {
		err := fmt.Errorf("bulk indexing into %s: %d failures, first: %w", b.index, failed, errors.Join(failures...))
		return errors.Join(err, b.owner.dropIndex(ctx, b.index))
	}
	for _, c := range changes {
		var err error
		if c.Doc != nil {
			err = b.owner.index(ctx, b.index, *c.Doc)
		} else {
			err = b.owner.delete(ctx, b.index, c.DeleteID)
		}
		if err != nil {
			return errors.Join(err, b.owner.dropIndex(ctx, b.index))
		}
	}
	if err := b.owner.refresh(ctx, b.index); err != nil {
		return errors.Join(err, b.owner.dropIndex(ctx, b.index))
	}
	if err := b.owner.swapAlias(ctx, b.index); err != nil {
		return errors.Join(err, b.owner.dropIndex(ctx, b.index))
	}
	return nil
}

// Abort implements Build.
func (b *elasticBuild) Abort(ctx context.Context) error {
	return errors.Join(b.bulk.Close(ctx), b.owner.dropIndex(ctx, b.index))
}
