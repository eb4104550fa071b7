package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// Boosts of the relevance model, shared by both backends: the name counts
// most, then the category, then the description; an exact word beats a
// fuzzy one (typos are forgiven in names only), and the whole text as a
// phrase in the name beats everything.
const (
	boostName        = 3.0
	boostNameFuzzy   = 1.0
	boostNamePrefix  = 1.5
	boostCategory    = 1.5
	boostDescription = 1.0
	boostPhrase      = 5.0
	// fuzzyPrefix is how many leading letters a fuzzy match must share:
	// first letters are rarely mistyped, and the rule cuts the terms a
	// fuzzy query has to consider by an order of magnitude.
	fuzzyPrefix = 1
)

// Search implements Backend.
func (e *Embedded) Search(ctx context.Context, q Query) (Result, error) {
	terms, err := e.withoutNeedlessFuzz(ctx, Terms(q.Text))
	if err != nil {
		return Result{}, err
	}
	req := bleve.NewSearchRequestOptions(bleveQuery(q, terms), q.PageSize, q.Offset(), false)
	req.Fields = []string{"id", "name", "category", "price_cents", "currency", "image"}
	req.SortBy(bleveSort(q.Sort))
	if len(terms) > 0 {
		req.Highlight = bleve.NewHighlightWithStyle(html.Name)
		req.Highlight.AddField("name")
	}
	facets := &facetCount{table: e.facets}
	res, err := e.alias.SearchInContext(facets.collecting(ctx), req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("searching the embedded index: %w", err)
	}
	out := Result{Hits: make([]Hit, 0, len(res.Hits)), Total: int(res.Total)} //nolint:gosec // a hit count, far below MaxInt
	for _, m := range res.Hits {
		out.Hits = append(out.Hits, bleveHit(m))
	}
	out.Facets = facets.facets()
	return out, nil
}

// withoutNeedlessFuzz drops the typo tolerance of words that a product's
// name holds exactly (after English analysis): a word spelled as in some
// product name is taken as meant, and its fuzzy clause, which builds a
// Levenshtein automaton and walks the dictionary, was a fifth of a query's
// cost. A misspelled word still matches names within its edit distance.
// Postings are counted without deleted documents, so a word only an
// earlier version of a product held stays forgiven.
func (e *Embedded) withoutNeedlessFuzz(ctx context.Context, terms []Term) ([]Term, error) {
	if !slices.ContainsFunc(terms, func(t Term) bool { return t.Fuzziness > 0 }) {
		return terms, nil
	}
	r, err := e.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close() //nolint:errcheck // a snapshot reader only drops a reference
	out := slices.Clone(terms)
	for i, t := range out {
		if t.Fuzziness == 0 {
			continue
		}
		known, err := e.inNames(ctx, r, t.Text)
		if err != nil {
			return nil, err
		}
		if known {
			out[i].Fuzziness = 0
		}
	}
	return out, nil
}

// inNames reports whether some live product's name holds every token of
// word, analysed as names are.
func (e *Embedded) inNames(ctx context.Context, r index.IndexReader, word string) (bool, error) {
	tokens := e.english.Analyze([]byte(word))
	for _, tok := range tokens {
		tfr, err := r.TermFieldReader(ctx, tok.Term, "name", false, false, false)
		if err != nil {
			return false, fmt.Errorf("reading the name dictionary: %w", err)
		}
		n := tfr.Count()
		if err := tfr.Close(); err != nil {
			return false, fmt.Errorf("reading the name dictionary: %w", err)
		}
		if n == 0 {
			return false, nil
		}
	}
	return len(tokens) > 0, nil
}

func bleveHit(m *search.DocumentMatch) Hit {
	str := func(f string) string { s, _ := m.Fields[f].(string); return s }
	price, _ := m.Fields["price_cents"].(float64)
	h := Hit{
		ID: m.ID, Name: str("name"), Category: str("category"), PriceCents: int64(price),
		Currency: str("currency"), Image: str("image"), Score: m.Score,
		Highlights: map[string][]string{},
	}
	// bleve also returns the start of a field without any match; only
	// fragments with a match are highlights, as in Elasticsearch.
	for field, frags := range m.Fragments {
		var marked []string
		for _, f := range frags {
			if strings.Contains(f, "<mark>") {
				marked = append(marked, f)
			}
		}
		if len(marked) > 0 {
			h.Highlights[field] = marked
		}
	}
	return h
}

func bleveSort(s string) []string {
	switch s {
	case SortName:
		return []string{"name_sort", "_id"}
	case SortNameDesc:
		return []string{"-name_sort", "_id"}
	case SortPrice:
		return []string{"price_sort", "_id"}
	case SortPriceDesc:
		return []string{"-price_sort", "_id"}
	default:
		// Ties keep index order: an _id tie-break would load a doc value
		// for every hit.
		return []string{"-_score"}
	}
}

// bleveQuery is the relevance model of Terms and the boosts above, plus the
// filters, which narrow the hits without changing scores.
func bleveQuery(q Query, terms []Term) query.Query {
	b := bleve.NewBooleanQuery()
	if len(terms) == 0 {
		b.AddMust(bleve.NewMatchAllQuery())
	}
	for _, t := range terms {
		b.AddMust(bleveTerm(t))
	}
	if len(terms) > 1 {
		phrase := bleve.NewMatchPhraseQuery(q.Text)
		phrase.SetField("name")
		phrase.SetBoost(boostPhrase)
		b.AddShould(phrase)
	}
	if f := bleveFilter(q); f != nil {
		b.AddFilter(f)
	}
	return b
}

func bleveTerm(t Term) query.Query {
	match := func(field string, boost float64, fuzz int) query.Query {
		m := bleve.NewMatchQuery(t.Text)
		m.SetField(field)
		m.SetBoost(boost)
		if fuzz > 0 {
			m.SetFuzziness(fuzz)
			m.SetPrefix(fuzzyPrefix)
		}
		return m
	}
	d := bleve.NewDisjunctionQuery(
		match("name", boostName, 0),
		match("category_text", boostCategory, 0),
		match("description", boostDescription, 0),
	)
	if t.Fuzziness > 0 {
		d.AddQuery(match("name", boostNameFuzzy, t.Fuzziness))
	}
	if t.Prefix {
		p := bleve.NewPrefixQuery(t.Text)
		p.SetField("name_plain")
		p.SetBoost(boostNamePrefix)
		d.AddQuery(p)
	}
	return d
}

func bleveFilter(q Query) query.Query {
	var filters []query.Query
	if q.Category != "" {
		t := bleve.NewTermQuery(q.Category)
		t.SetField("category")
		filters = append(filters, t)
	}
	if q.MinPrice > 0 || q.MaxPrice >= 0 {
		var lo, hi *float64
		if q.MinPrice > 0 {
			v := float64(q.MinPrice)
			lo = &v
		}
		if q.MaxPrice >= 0 {
			v := float64(q.MaxPrice)
			hi = &v
		}
		yes := true
		r := bleve.NewNumericRangeInclusiveQuery(lo, hi, &yes, &yes)
		r.SetField("price_cents")
		filters = append(filters, r)
	}
	if q.InStock {
		s := bleve.NewBoolFieldQuery(true)
		s.SetField("in_stock")
		filters = append(filters, s)
	}
	switch len(filters) {
	case 0:
		return nil
	case 1:
		return filters[0]
	default:
		return bleve.NewConjunctionQuery(filters...)
	}
}

// Suggest implements Backend: names whose words start with the typed words,
// the last one as a prefix, best matches first, then by name. When no name
// does, the words are taken as possibly mistyped ("cofee" suggests the
// coffees): suggestFuzzy.
func (e *Embedded) Suggest(ctx context.Context, text string) ([]Suggestion, error) {
	terms := Terms(text)
	if len(terms) == 0 {
		return []Suggestion{}, nil
	}
	c := bleve.NewConjunctionQuery()
	for i, t := range terms {
		if i == len(terms)-1 {
			p := bleve.NewPrefixQuery(t.Text)
			p.SetField("name_plain")
			c.AddQuery(p)
			continue
		}
		m := bleve.NewMatchQuery(t.Text)
		m.SetField("name")
		c.AddQuery(m)
	}
	out, err := e.suggestions(ctx, c)
	if err != nil || len(out) > 0 || !suggestFuzzy(terms) {
		return out, err
	}
	fuzzy := bleve.NewConjunctionQuery()
	for _, t := range terms {
		exact := bleve.NewMatchQuery(t.Text)
		exact.SetField("name")
		exact.SetBoost(boostName)
		d := bleve.NewDisjunctionQuery(exact)
		if t.Fuzziness > 0 {
			// Unstemmed words: stems of typos drift ("wireles" stems
			// to "wirel", one edit from "wire").
			m := bleve.NewMatchQuery(t.Text)
			m.SetField("name_plain")
			m.SetFuzziness(t.Fuzziness)
			m.SetPrefix(fuzzyPrefix)
			m.SetBoost(boostNameFuzzy)
			d.AddQuery(m)
		}
		if t.Prefix {
			p := bleve.NewPrefixQuery(t.Text)
			p.SetField("name_plain")
			p.SetBoost(boostNamePrefix)
			d.AddQuery(p)
		}
		fuzzy.AddQuery(d)
	}
	return e.suggestions(ctx, fuzzy)
}

// suggestions runs a suggest query: the best MaxSuggestions names.
func (e *Embedded) suggestions(ctx context.Context, c query.Query) ([]Suggestion, error) {
	req := bleve.NewSearchRequestOptions(c, MaxSuggestions, 0, false)
	req.Fields = []string{"name"}
	req.SortBy([]string{"-_score", "name_sort", "_id"})
	res, err := e.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("suggesting from the embedded index: %w", err)
	}
	out := make([]Suggestion, 0, len(res.Hits))
	for _, m := range res.Hits {
		name, _ := m.Fields["name"].(string)
		out = append(out, Suggestion{ID: m.ID, Name: name})
	}
	return out, nil
}
