//go:build !embedded

package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shop-platform/shop/src/internal/platform/es"
)

// elasticBuild bulk-loads a new index version: Add appends each document to
// an NDJSON _bulk body and sends the body once it reaches bulkFlushBytes;
// Commit sends the rest. One request is in flight at a time: Add is called
// from one goroutine as the catalog is paged through, the load runs in the
// background while the live alias keeps serving, and a catalog of this size
// is a few batches, so parallel workers would add locking and little speed.
type elasticBuild struct {
	owner *Elastic
	index string
	body  bytes.Buffer // the documents not sent yet

	failures []error // the first few items Elasticsearch refused
	failed   int
}

const (
	maxReportedFailures = 5
	bulkFlushBytes      = 2 << 20
)

// bulkAction is the action line before each document of a _bulk body.
type bulkAction struct {
	Index struct {
		ID string `json:"_id"`
	} `json:"index"`
}

// bulkResult is the part of a _bulk answer that says which items failed.
type bulkResult struct {
	Errors bool `json:"errors"`
	Items  []struct {
		Index struct {
			ID     string `json:"_id"`
			Status int    `json:"status"`
			Error  struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"index"`
	} `json:"items"`
}

// Add implements Build. A _bulk request that fails as a whole is returned
// at once: the build cannot complete, and the caller aborts it.
func (b *elasticBuild) Add(ctx context.Context, d Doc) error {
	mark := b.body.Len()
	var action bulkAction
	action.Index.ID = d.ID
	enc := json.NewEncoder(&b.body) // each value on a line of its own
	err := enc.Encode(action)
	if err == nil {
		err = enc.Encode(d)
	}
	if err != nil {
		b.body.Truncate(mark)
		return fmt.Errorf("encoding product %s: %w", d.ID, err)
	}
	if b.body.Len() < bulkFlushBytes {
		return nil
	}
	return b.flush(ctx)
}

// flush sends the queued documents in one _bulk request and counts the
// items Elasticsearch refused; Commit reports them.
func (b *elasticBuild) flush(ctx context.Context) error {
	if b.body.Len() == 0 {
		return nil
	}
	body := bytes.NewReader(b.body.Bytes())
	// A new buffer for the next batch: the HTTP transport may still read
	// this one after the answer has come.
	b.body = bytes.Buffer{}
	api := b.owner.client
	res, err := api.Bulk(body, api.Bulk.WithIndex(b.index), api.Bulk.WithContext(ctx))
	var out bulkResult
	if err := es.Check("bulk indexing into "+b.index, res, err, &out); err != nil {
		return err
	}
	if !out.Errors {
		return nil
	}
	for _, item := range out.Items {
		r := item.Index
		if r.Error.Type == "" && r.Status < 300 {
			continue
		}
		b.failed++
		if len(b.failures) < maxReportedFailures {
			b.failures = append(b.failures, fmt.Errorf("product %s: %d %s: %s", r.ID, r.Status, r.Error.Type, r.Error.Reason))
		}
	}
	return nil
}

// Commit implements Build. Bulk items may be written in any order, so the
// changes that arrived during the load are applied one by one afterwards.
func (b *elasticBuild) Commit(ctx context.Context, changes []Change) error {
	if err := b.flush(ctx); err != nil {
		return errors.Join(err, b.owner.dropIndex(ctx, b.index))
	}
	if b.failed > 0 {
		err := fmt.Errorf("bulk indexing into %s: %d failures, first: %w", b.index, b.failed, errors.Join(b.failures...))
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

// Abort implements Build: the documents not sent yet are dropped with the
// index.
func (b *elasticBuild) Abort(ctx context.Context) error {
	return b.owner.dropIndex(ctx, b.index)
}
