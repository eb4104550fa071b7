package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	index "github.com/blevesearch/bleve_index_api"
)

// facetTable counts the facets of the embedded index outside bleve. A bleve
// facet request reads the doc values of every hit, decompressing their
// chunks for each query, which was a third of a query's cost. Segments never
// change, so the facet of each document of a segment is read once, into an
// array of small codes, and a query counts its hits by their document
// numbers in those arrays.
type facetTable struct {
	mu    sync.Mutex
	codes map[string]uint32 // facet field term -> code
	terms []string          // code -> facet field term
	// segments holds the codes of the documents of each segment seen, by
	// local document number; entries of segments no longer live are dropped
	// when a new segment is read.
	segments map[any][]uint32
}

func newFacetTable() *facetTable {
	return &facetTable{codes: map[string]uint32{}, segments: map[any][]uint32{}}
}

// snapshotFacets are the code arrays of the segments of one index snapshot,
// with the global number of their first document.
type snapshotFacets struct {
	offsets []uint64
	codes   [][]uint32
	terms   []string // every term a code of these segments names
}

// forSnapshot returns the code arrays of r's segments, reading the ones not
// seen before.
func (t *facetTable) forSnapshot(r index.IndexReader) (snapshotFacets, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return snapshotFacets{}, fmt.Errorf("the embedded index reader is a %T, not a scorch snapshot", r)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out snapshotFacets
	var offset uint64
	var dv index.DocValueReader
	for _, s := range snap.Segments() {
		seg := s.Segment()
		codes, seen := t.segments[seg]
		if !seen {
			if dv == nil {
				var err error
				if dv, err = snap.DocValueReader([]string{facetField}); err != nil {
					return snapshotFacets{}, fmt.Errorf("reading facets: %w", err)
				}
			}
			var err error
			if codes, err = t.read(dv, offset, seg.Count()); err != nil {
				return snapshotFacets{}, err
			}
			t.segments[seg] = codes
		}
		out.offsets = append(out.offsets, offset)
		out.codes = append(out.codes, codes)
		offset += seg.Count()
	}
	if dv != nil {
		t.keepOnly(snap)
	}
	out.terms = t.terms[:len(t.terms):len(t.terms)]
	return out, nil
}

// keepOnly forgets the segments that snap does not hold. The caller holds
// t.mu.
func (t *facetTable) keepOnly(snap *scorch.IndexSnapshot) {
	live := map[any]bool{}
	for _, s := range snap.Segments() {
		live[s.Segment()] = true
	}
	for seg := range t.segments {
		if !live[seg] {
			delete(t.segments, seg)
		}
	}
}

// read reads the facet codes of the n documents from global number first.
// The caller holds t.mu.
func (t *facetTable) read(dv index.DocValueReader, first, n uint64) ([]uint32, error) {
	codes := make([]uint32, n)
	id := make(index.IndexInternalID, 8)
	for local := range n {
		id.SetValue(first + local)
		err := dv.VisitDocValues(id, func(_ string, term []byte) {
			code, ok := t.codes[string(term)]
			if !ok {
				code = uint32(len(t.terms)) //nolint:gosec // one code per category term: a few hundred
				t.codes[string(term)] = code
				t.terms = append(t.terms, string(term))
			}
			codes[local] = code
		})
		if err != nil {
			return nil, fmt.Errorf("reading the facets of document %d: %w", first+local, err)
		}
	}
	return codes, nil
}

// facetCount counts the hits of one search by facet code.
type facetCount struct {
	table  *facetTable
	counts []int
	terms  []string
}

// collecting returns ctx set up so that bleve's collector hands every hit
// to c before its own top-N handling.
func (c *facetCount) collecting(ctx context.Context) context.Context {
	handler := search.MakeDocumentMatchHandler(func(sc *search.SearchContext) (search.DocumentMatchHandler, bool, error) {
		topN, loadID, err := collector.MakeTopNDocumentMatchHandler(sc)
		if err != nil {
			return nil, false, err
		}
		f, err := c.table.forSnapshot(sc.IndexReader)
		if err != nil {
			return nil, false, err
		}
		c.terms, c.counts = f.terms, make([]int, len(f.terms))
		return func(hit *search.DocumentMatch) error {
			if hit != nil {
				n := hit.IndexInternalID.Value()
				// The segment holding n: the last one starting at or before it.
				i, found := slices.BinarySearch(f.offsets, n)
				if !found {
					i--
				}
				c.counts[f.codes[i][n-f.offsets[i]]]++
			}
			return topN(hit)
		}, loadID, nil
	})
	return context.WithValue(ctx, search.MakeDocumentMatchHandlerKey, handler)
}

// facets turns the counts into the answer's facets: the terms are
// "category\x00price range" (bleveDocOf).
func (c *facetCount) facets() Facets {
	out := Facets{Category: []CategoryCount{}, Price: PriceRanges()}
	categories := map[string]int{}
	ranges := map[string]int{}
	for code, n := range c.counts {
		if n == 0 {
			continue
		}
		category, price, _ := strings.Cut(c.terms[code], facetSeparator)
		categories[category] += n
		ranges[price] += n
	}
	for value, count := range categories {
		out.Category = append(out.Category, CategoryCount{Value: value, Count: count})
	}
	sortCategories(out.Category)
	out.Category = out.Category[:min(len(out.Category), maxCategoryFacets)]
	for i := range out.Price {
		out.Price[i].Count = ranges[rangeName(out.Price[i])]
	}
	return out
}
