package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
)

// Analyzer names, shared with the Elasticsearch mapping: shop_en is English
// text (possessives removed, lowercase, Porter stemming, no stop words, which
// Terms drops from queries instead); shop_plain only lowercases, for prefixes.
const (
	analyzerEnglish = "shop_en"
	analyzerPlain   = "shop_plain"
)

// facetField is the embedded index's keyword field holding a product's
// category and price range, joined by facetSeparator, which facetTable
// reads once per segment to count both facets.
const (
	facetField     = "facet"
	facetSeparator = "\x00"
)

// bleveDoc is a Doc as the embedded index stores it: with the joined facet
// field, which Elasticsearch does not need.
type bleveDoc struct {
	Doc
	Facet string `json:"facet"`
}

func bleveDocOf(d Doc) bleveDoc {
	return bleveDoc{Doc: d, Facet: d.Category + facetSeparator + d.PriceRange}
}

var errEmbeddedClosed = errors.New("embedded index is closed")

// Embedded is the embedded full-text backend: bleve indexes in directories
// of their own under the temporary directory (newBleveIndex says why) behind
// a bleve index alias, which a rebuild swaps atomically.
type Embedded struct {
	mapping mapping.IndexMapping
	english analysis.Analyzer // how names are analysed, for dictionary lookups
	facets  *facetTable
	alias   bleve.IndexAlias
	closed  atomic.Bool

	liveMu  sync.RWMutex // guards live and liveDir; whoever changes them also holds mu
	live    bleve.Index
	liveDir string // where live is, removed when it is closed

	mu   sync.Mutex     // serialises writes; guards the fields below
	docs map[string]Doc // the products of live, to index them again
	// deltas are the ids in each segment written after the bulk one,
	// oldest first (bleve_write.go).
	deltas []map[string]struct{}
}

// NewEmbedded returns an empty index.
func NewEmbedded() (*Embedded, error) {
	m, err := bleveMapping()
	if err != nil {
		return nil, err
	}
	english := m.AnalyzerNamed(analyzerEnglish)
	if english == nil {
		return nil, fmt.Errorf("the %s analyzer is not defined", analyzerEnglish)
	}
	idx, dir, err := newBleveIndex(m)
	if err != nil {
		return nil, err
	}
	return &Embedded{
		mapping: m, english: english, facets: newFacetTable(), alias: bleve.NewIndexAlias(idx), live: idx, liveDir: dir,
		docs: map[string]Doc{},
	}, nil
}

// newBleveIndex makes a scorch index in a new directory under the
// temporary directory, which closeBleveIndex removes. It is on disk rather
// than in memory because in-memory scorch never merges segments: a rebuild
// had to choose between one batch of the whole catalog (its analysis held
// at once: 3.0-3.6 GiB peak RSS at 100,000 products) and batches that leave
// one segment each (20 at 100,000 products, 602-671 MiB peak, every query
// visiting all of them). On disk, scorch's persister writes each batch out
// of the heap and its merger merges segments, which ForceMerge finishes
// (embeddedBuild.Commit). The segments are memory-mapped: reads cost what
// they did in memory, and their pages are the kernel's to reclaim.
// unsafe_batch makes a write return once it is searchable, without waiting
// for the persister's fsync (the index is rebuilt from the catalog at every
// start, nothing needs it durable); a rebuild waits for its last batch
// itself.
func newBleveIndex(m mapping.IndexMapping) (bleve.Index, string, error) {
	dir, err := os.MkdirTemp("", "shop-search-")
	if err != nil {
		return nil, "", fmt.Errorf("creating the embedded index's directory: %w", err)
	}
	// bleve makes the directory itself, and refuses one that exists.
	path := dir + string(os.PathSeparator) + "index"
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, map[string]any{"unsafe_batch": true})
	if err != nil {
		return nil, "", errors.Join(fmt.Errorf("creating the embedded index: %w", err), os.RemoveAll(dir))
	}
	return idx, dir, nil
}

// closeBleveIndex closes idx and removes its directory dir. Snapshots still
// open keep reading their segments: they hold the mappings of the files.
func closeBleveIndex(idx bleve.Index, dir string) error {
	err := idx.Close()
	if err != nil {
		err = fmt.Errorf("closing the embedded index: %w", err)
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("removing the embedded index's files: %w", rerr))
	}
	return err
}

func bleveMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomAnalyzer(analyzerEnglish, map[string]any{
		"type": custom.Name, "tokenizer": unicode.Name,
		"token_filters": []any{en.PossessiveName, lowercase.Name, porter.Name},
	}); err != nil {
		return nil, fmt.Errorf("defining %s analyzer: %w", analyzerEnglish, err)
	}
	if err := im.AddCustomAnalyzer(analyzerPlain, map[string]any{
		"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, fmt.Errorf("defining %s analyzer: %w", analyzerPlain, err)
	}
	text := func(analyzer string, store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeTermVectors = store // highlighting needs the term positions
		f.IncludeInAll = false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeInAll = false
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	num := bleve.NewNumericFieldMapping()
	num.Store = true
	num.IncludeInAll = false
	boolean := bleve.NewBooleanFieldMapping()
	boolean.IncludeInAll = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("id", kw(true))
	doc.AddFieldMappingsAt("name", text(analyzerEnglish, true))
	doc.AddFieldMappingsAt("name_plain", text(analyzerPlain, false))
	doc.AddFieldMappingsAt("name_sort", kw(false))
	doc.AddFieldMappingsAt("description", text(analyzerEnglish, false))
	doc.AddFieldMappingsAt("category", kw(true))
	doc.AddFieldMappingsAt("category_text", text(analyzerEnglish, false))
	doc.AddFieldMappingsAt("price_cents", num)
	doc.AddFieldMappingsAt(facetField, kw(false))
	doc.AddFieldMappingsAt("price_sort", kw(false))
	doc.AddFieldMappingsAt("currency", stored())
	doc.AddFieldMappingsAt("image", stored())
	doc.AddFieldMappingsAt("in_stock", boolean)
	im.DefaultMapping = doc
	im.DefaultAnalyzer = analyzerEnglish
	return im, nil
}

// Name implements Backend.
func (e *Embedded) Name() string { return "embedded" }

// Prepare implements Backend: NewEmbedded made the index.
func (e *Embedded) Prepare(context.Context) error { return nil }

// Count implements Backend.
func (e *Embedded) Count(context.Context) (int, error) {
	n, err := e.alias.DocCount()
	if err != nil {
		return 0, fmt.Errorf("counting products: %w", err)
	}
	return int(n), nil //nolint:gosec // a document count, far below MaxInt
}

// Refresh implements Backend: bleve writes are visible at once.
func (e *Embedded) Refresh(context.Context) error { return nil }

// Ping implements Backend.
func (e *Embedded) Ping(context.Context) error {
	if e.closed.Load() {
		return errEmbeddedClosed
	}
	return nil
}

// Close implements Backend. Closing twice is harmless (scorch itself
// panics on a second close).
func (e *Embedded) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.liveMu.Lock()
	defer e.liveMu.Unlock()
	return closeBleveIndex(e.live, e.liveDir)
}

// reader opens a snapshot of the live index; the caller closes it. A
// snapshot holds its segments, so it stays readable after a swap closes
// the index it came from.
func (e *Embedded) reader() (index.IndexReader, error) {
	e.liveMu.RLock()
	defer e.liveMu.RUnlock()
	// Like a search, a read of a closed index is an error; Close sets
	// closed before it takes liveMu.
	if e.closed.Load() {
		return nil, errEmbeddedClosed
	}
	adv, err := e.live.Advanced()
	if err != nil {
		return nil, fmt.Errorf("reading the embedded index: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("reading the embedded index: %w", err)
	}
	return r, nil
}
