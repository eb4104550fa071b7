//go:build !embedded

package search

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/shop-platform/shop/src/internal/platform/es"
)

// Elastic is the Elasticsearch backend. Searches and writes go through an
// alias (products by default) that points at one versioned index,
// <alias>-<unix nanoseconds>; a rebuild fills a new one and swaps the alias
// in a single atomic _aliases call.
type Elastic struct {
	client *esapi.API
	alias  string
	logger *slog.Logger
}

// openElastic connects the Elasticsearch backend cfg names. Builds
// tagged embedded (make run's) leave it out: elastic_embedded.go.
func openElastic(cfg Config, logger *slog.Logger) (Backend, error) {
	client, err := es.NewClient(es.Options{
		URL: cfg.ElasticsearchURL, Username: cfg.ElasticsearchUsername, Password: cfg.ElasticsearchPassword,
		CACertPath: cfg.ElasticsearchCACert, Timeout: cfg.RequestTimeout,
	})
	if err != nil {
		return nil, err
	}
	return NewElastic(client, cfg.ElasticsearchIndex, logger), nil
}

// NewElastic returns the backend over client; it contacts nothing until
// Prepare or a request.
func NewElastic(client *esapi.API, alias string, logger *slog.Logger) *Elastic {
	return &Elastic{client: client, alias: alias, logger: logger}
}

// Name implements Backend.
func (e *Elastic) Name() string { return "elasticsearch" }

// indexBody is the explicit mapping and the analyzers, the same as the
// embedded engine's: see bleveMapping. One shard keeps scores exact for a
// catalog of this size; replicas expand to 1 on a multi-node cluster.
func indexBody(alias string) map[string]any {
	text := func(analyzer string) map[string]any { return map[string]any{"type": "text", "analyzer": analyzer} }
	keyword := map[string]any{"type": "keyword"}
	stored := map[string]any{"type": "keyword", "index": false, "doc_values": false}
	body := map[string]any{
		"settings": map[string]any{
			"number_of_shards":     1,
			"auto_expand_replicas": "0-1",
			"analysis": map[string]any{
				"filter": map[string]any{
					"shop_possessive": map[string]any{"type": "stemmer", "language": "possessive_english"},
				},
				"analyzer": map[string]any{
					analyzerEnglish: map[string]any{"type": "custom", "tokenizer": "standard", "filter": []string{"shop_possessive", "lowercase", "porter_stem"}},
					analyzerPlain:   map[string]any{"type": "custom", "tokenizer": "standard", "filter": []string{"lowercase"}},
				},
			},
		},
		"mappings": map[string]any{
			"dynamic": "strict",
			"properties": map[string]any{
				"id": keyword, "name": text(analyzerEnglish), "name_plain": text(analyzerPlain), "name_sort": keyword,
				"description": text(analyzerEnglish), "category": keyword, "category_text": text(analyzerEnglish),
				"price_cents": map[string]any{"type": "long"}, "price_range": keyword, "price_sort": keyword, "currency": stored, "image": stored,
				"stock": map[string]any{"type": "integer"}, "in_stock": map[string]any{"type": "boolean"},
				"updated_at": map[string]any{"type": "date"},
			},
		},
	}
	if alias != "" {
		body["aliases"] = map[string]any{alias: map[string]any{}}
	}
	return body
}

// jsonBody encodes a request body whole: the request then knows its length
// and how to send it again on a retry, so the transport need not copy it.
func jsonBody(v any) (io.Reader, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encoding an Elasticsearch request: %w", err)
	}
	return &buf, nil
}

// Prepare creates the first index with its mapping and the alias if the
// alias does not exist yet. Replicas starting together race on one fixed
// name, so exactly one index is created.
func (e *Elastic) Prepare(ctx context.Context) error {
	api := e.client
	res, err := api.Indices.ExistsAlias([]string{e.alias}, api.Indices.ExistsAlias.WithContext(ctx))
	if err := es.Check("checking the index alias", res, err, nil); err == nil {
		return nil
	} else if !es.IsStatus(err, http.StatusNotFound) {
		return err
	}
	first := e.alias + "-initial"
	body, err := jsonBody(indexBody(e.alias))
	if err != nil {
		return err
	}
	res, err = api.Indices.Create(first, api.Indices.Create.WithBody(body), api.Indices.Create.WithContext(ctx))
	err = es.Check("creating index "+first, res, err, nil)
	if es.IsType(err, "resource_already_exists_exception") {
		return nil
	}
	if err == nil {
		e.logger.InfoContext(ctx, "created the search index", "index", first, "alias", e.alias)
	}
	return err
}

// Upsert implements Backend.
func (e *Elastic) Upsert(ctx context.Context, d Doc) error {
	return e.index(ctx, e.alias, d)
}

func (e *Elastic) index(ctx context.Context, index string, d Doc) error {
	body, err := jsonBody(d)
	if err != nil {
		return err
	}
	api := e.client
	res, err := api.Index(index, body, api.Index.WithDocumentID(d.ID), api.Index.WithContext(ctx))
	return es.Check("indexing product "+d.ID, res, err, nil)
}

// Delete implements Backend.
func (e *Elastic) Delete(ctx context.Context, id string) error {
	return e.delete(ctx, e.alias, id)
}

func (e *Elastic) delete(ctx context.Context, index, id string) error {
	res, err := e.client.Delete(index, id, e.client.Delete.WithContext(ctx))
	err = es.Check("removing product "+id, res, err, nil)
	if es.IsStatus(err, http.StatusNotFound) && !es.IsType(err, "index_not_found_exception") {
		return nil // already gone
	}
	return err
}

// Count implements Backend.
func (e *Elastic) Count(ctx context.Context) (int, error) {
	var out struct {
		Count int `json:"count"`
	}
	api := e.client
	res, err := api.Count(api.Count.WithIndex(e.alias), api.Count.WithContext(ctx))
	if err := es.Check("counting products", res, err, &out); err != nil {
		return 0, err
	}
	return out.Count, nil
}

// Refresh implements Backend.
func (e *Elastic) Refresh(ctx context.Context) error {
	return e.refresh(ctx, e.alias)
}

func (e *Elastic) refresh(ctx context.Context, index string) error {
	api := e.client
	res, err := api.Indices.Refresh(api.Indices.Refresh.WithIndex(index), api.Indices.Refresh.WithContext(ctx))
	return es.Check("refreshing "+index, res, err, nil)
}

// Ping implements Backend: the cluster answers and the alias exists.
func (e *Elastic) Ping(ctx context.Context) error {
	_, err := e.Count(ctx)
	return err
}

// Close implements Backend: the client holds only idle connections.
func (e *Elastic) Close() error { return nil }

// NewBuild implements Backend.
func (e *Elastic) NewBuild(ctx context.Context) (Build, error) {
	name := e.alias + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	body, err := jsonBody(indexBody(""))
	if err != nil {
		return nil, err
	}
	api := e.client
	res, err := api.Indices.Create(name, api.Indices.Create.WithBody(body), api.Indices.Create.WithContext(ctx))
	if err := es.Check("creating index "+name, res, err, nil); err != nil {
		return nil, err
	}
	return &elasticBuild{owner: e, index: name}, nil
}

// liveIndices lists the indices the alias points at now.
func (e *Elastic) liveIndices(ctx context.Context) ([]string, error) {
	var out map[string]json.RawMessage
	api := e.client
	res, err := api.Indices.GetAlias(api.Indices.GetAlias.WithName(e.alias), api.Indices.GetAlias.WithContext(ctx))
	if err := es.Check("reading the alias "+e.alias, res, err, &out); err != nil && !es.IsStatus(err, http.StatusNotFound) {
		return nil, err
	}
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	return names, nil
}

// swapAlias points the alias at index alone, atomically, and drops the
// indices it pointed at before.
func (e *Elastic) swapAlias(ctx context.Context, index string) error {
	old, err := e.liveIndices(ctx)
	if err != nil {
		return err
	}
	actions := []any{map[string]any{"add": map[string]any{"index": index, "alias": e.alias}}}
	for _, o := range old {
		actions = append(actions, map[string]any{"remove": map[string]any{"index": o, "alias": e.alias}})
	}
	body, err := jsonBody(map[string]any{"actions": actions})
	if err != nil {
		return err
	}
	api := e.client
	res, err := api.Indices.UpdateAliases(body, api.Indices.UpdateAliases.WithContext(ctx))
	if err := es.Check("swapping the alias "+e.alias+" to "+index, res, err, nil); err != nil {
		return err
	}
	var errs []error
	for _, o := range old {
		if o == index {
			continue
		}
		if err := e.dropIndex(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The swap is done; an old index left behind only costs disk.
		e.logger.WarnContext(ctx, "could not delete a replaced search index", "error", err)
	}
	return nil
}

func (e *Elastic) dropIndex(ctx context.Context, index string) error {
	res, err := e.client.Indices.Delete([]string{index}, e.client.Indices.Delete.WithContext(ctx))
	return es.Check("deleting index "+index, res, err, nil)
}
