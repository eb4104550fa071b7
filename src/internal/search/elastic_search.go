//go:build !embedded

package search

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/shop-platform/shop/src/internal/platform/es"
)

// Search implements Backend with the same relevance model as bleveQuery.
func (e *Elastic) Search(ctx context.Context, q Query) (Result, error) {
	body := map[string]any{
		"query":            esQuery(q),
		"from":             q.Offset(),
		"size":             q.PageSize,
		"sort":             esSort(q.Sort),
		"track_total_hits": true,
		"track_scores":     true,
		"_source":          []string{"id", "name", "category", "price_cents", "currency", "image"},
		"aggs":             esAggs(),
	}
	if len(Terms(q.Text)) > 0 {
		body["highlight"] = map[string]any{
			"pre_tags": []string{"<mark>"}, "post_tags": []string{"</mark>"}, "encoder": "html",
			"require_field_match": false,
			"fields": map[string]any{
				"name": map[string]any{"number_of_fragments": 0},
			},
		}
	}
	var out esSearchAnswer
	if err := e.search(ctx, "searching products", body, &out); err != nil {
		return Result{}, err
	}
	return out.result(), nil
}

// search runs a search request with body on the alias and decodes the
// answer into out.
func (e *Elastic) search(ctx context.Context, op string, body map[string]any, out *esSearchAnswer) error {
	r, err := jsonBody(body)
	if err != nil {
		return err
	}
	api := e.client
	res, err := api.Search(api.Search.WithIndex(e.alias), api.Search.WithBody(r), api.Search.WithContext(ctx))
	return es.Check(op, res, err, out)
}

type esSearchAnswer struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID        string              `json:"_id"`
			Score     *float64            `json:"_score"`
			Source    Doc                 `json:"_source"`
			Highlight map[string][]string `json:"highlight"`
		} `json:"hits"`
	} `json:"hits"`
	Aggregations struct {
		Category esBuckets `json:"category"`
		Price    esBuckets `json:"price"`
	} `json:"aggregations"`
}

type esBuckets struct {
	Buckets []struct {
		Key      json.RawMessage `json:"key"`
		DocCount int             `json:"doc_count"`
	} `json:"buckets"`
}

func (a esSearchAnswer) result() Result {
	out := Result{Hits: make([]Hit, 0, len(a.Hits.Hits)), Total: a.Hits.Total.Value}
	for _, h := range a.Hits.Hits {
		hit := Hit{
			ID: h.ID, Name: h.Source.Name, Category: h.Source.Category, PriceCents: h.Source.PriceCents,
			Currency: h.Source.Currency, Image: h.Source.Image, Highlights: map[string][]string{},
		}
		if h.Score != nil {
			hit.Score = *h.Score
		}
		for field, frags := range h.Highlight {
			if len(frags) > 0 {
				hit.Highlights[field] = frags
			}
		}
		out.Hits = append(out.Hits, hit)
	}
	out.Facets = Facets{Category: []CategoryCount{}, Price: PriceRanges()}
	for _, b := range a.Aggregations.Category.Buckets {
		var value string
		if json.Unmarshal(b.Key, &value) == nil {
			out.Facets.Category = append(out.Facets.Category, CategoryCount{Value: value, Count: b.DocCount})
		}
	}
	sortCategories(out.Facets.Category)
	counts := map[string]int{}
	for _, b := range a.Aggregations.Price.Buckets {
		var key string
		if json.Unmarshal(b.Key, &key) == nil {
			counts[key] = b.DocCount
		}
	}
	for i := range out.Facets.Price {
		out.Facets.Price[i].Count = counts[rangeName(out.Facets.Price[i])]
	}
	return out
}

func esAggs() map[string]any {
	var ranges []any
	for _, r := range PriceRanges() {
		spec := map[string]any{"key": rangeName(r), "from": r.From}
		if r.To != nil {
			spec["to"] = *r.To
		}
		ranges = append(ranges, spec)
	}
	return map[string]any{
		"category": map[string]any{"terms": map[string]any{"field": "category", "size": maxCategoryFacets}},
		"price":    map[string]any{"range": map[string]any{"field": "price_cents", "ranges": ranges}},
	}
}

func esSort(s string) []any {
	byID := map[string]any{"id": "asc"}
	switch s {
	case SortName:
		return []any{map[string]any{"name_sort": "asc"}, byID}
	case SortNameDesc:
		return []any{map[string]any{"name_sort": "desc"}, byID}
	case SortPrice:
		return []any{map[string]any{"price_cents": "asc"}, byID}
	case SortPriceDesc:
		return []any{map[string]any{"price_cents": "desc"}, byID}
	default:
		return []any{map[string]any{"_score": "desc"}}
	}
}

// esQuery mirrors bleveQuery: every word must match somewhere (exactly,
// fuzzily or, for the last, as a name prefix); the phrase only adds score;
// filters do not score.
func esQuery(q Query) map[string]any {
	terms := Terms(q.Text)
	must := []any{}
	if len(terms) == 0 {
		must = append(must, map[string]any{"match_all": map[string]any{}})
	}
	for _, t := range terms {
		must = append(must, esTerm(t))
	}
	b := map[string]any{"must": must}
	if len(terms) > 1 {
		b["should"] = []any{map[string]any{"match_phrase": map[string]any{"name": map[string]any{"query": q.Text, "boost": boostPhrase}}}}
	}
	if f := esFilters(q); len(f) > 0 {
		b["filter"] = f
	}
	return map[string]any{"bool": b}
}

func esTerm(t Term) map[string]any {
	match := func(field string, boost float64, fuzz int) any {
		m := map[string]any{"query": t.Text, "boost": boost}
		if fuzz > 0 {
			m["fuzziness"], m["prefix_length"] = strconv.Itoa(fuzz), fuzzyPrefix
		}
		return map[string]any{"match": map[string]any{field: m}}
	}
	should := []any{
		match("name", boostName, 0),
		match("category_text", boostCategory, 0),
		match("description", boostDescription, 0),
	}
	if t.Fuzziness > 0 {
		should = append(should, match("name", boostNameFuzzy, t.Fuzziness))
	}
	if t.Prefix {
		should = append(should, map[string]any{"prefix": map[string]any{"name_plain": map[string]any{"value": t.Text, "boost": boostNamePrefix}}})
	}
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

func esFilters(q Query) []any {
	var f []any
	if q.Category != "" {
		f = append(f, map[string]any{"term": map[string]any{"category": q.Category}})
	}
	if q.MinPrice > 0 || q.MaxPrice >= 0 {
		r := map[string]any{}
		if q.MinPrice > 0 {
			r["gte"] = q.MinPrice
		}
		if q.MaxPrice >= 0 {
			r["lte"] = q.MaxPrice
		}
		f = append(f, map[string]any{"range": map[string]any{"price_cents": r}})
	}
	if q.InStock {
		f = append(f, map[string]any{"term": map[string]any{"in_stock": true}})
	}
	return f
}

// Suggest implements Backend like Embedded.Suggest, with the same fallback
// to typo-forgiving matches when no name starts with the typed words.
func (e *Elastic) Suggest(ctx context.Context, text string) ([]Suggestion, error) {
	terms := Terms(text)
	if len(terms) == 0 {
		return []Suggestion{}, nil
	}
	must := make([]any, 0, len(terms))
	for i, t := range terms {
		if i == len(terms)-1 {
			must = append(must, map[string]any{"prefix": map[string]any{"name_plain": t.Text}})
		} else {
			must = append(must, map[string]any{"match": map[string]any{"name": t.Text}})
		}
	}
	list, err := e.suggestions(ctx, must)
	if err != nil || len(list) > 0 || !suggestFuzzy(terms) {
		return list, err
	}
	fuzzy := make([]any, 0, len(terms))
	for _, t := range terms {
		should := []any{map[string]any{"match": map[string]any{"name": map[string]any{"query": t.Text, "boost": boostName}}}}
		if t.Fuzziness > 0 {
			// Unstemmed words, as in the embedded index.
			should = append(should, map[string]any{"match": map[string]any{"name_plain": map[string]any{"query": t.Text,
				"boost": boostNameFuzzy, "fuzziness": strconv.Itoa(t.Fuzziness), "prefix_length": fuzzyPrefix}}})
		}
		if t.Prefix {
			should = append(should, map[string]any{"prefix": map[string]any{"name_plain": map[string]any{"value": t.Text, "boost": boostNamePrefix}}})
		}
		fuzzy = append(fuzzy, map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}})
	}
	return e.suggestions(ctx, fuzzy)
}

// suggestions runs a suggest query whose clauses must all match: the best
// MaxSuggestions names.
func (e *Elastic) suggestions(ctx context.Context, must []any) ([]Suggestion, error) {
	body := map[string]any{
		"size":    MaxSuggestions,
		"_source": []string{"name"},
		"query":   map[string]any{"bool": map[string]any{"must": must}},
		"sort":    []any{map[string]any{"_score": "desc"}, map[string]any{"name_sort": "asc"}, map[string]any{"id": "asc"}},
	}
	var out esSearchAnswer
	if err := e.search(ctx, "suggesting product names", body, &out); err != nil {
		return nil, err
	}
	list := make([]Suggestion, 0, len(out.Hits.Hits))
	for _, h := range out.Hits.Hits {
		list = append(list, Suggestion{ID: h.ID, Name: h.Source.Name})
	}
	return list, nil
}
