package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Sort orders of a search. Relevance is the default when there is query
// text; without text every hit scores the same, so name order is used.
const (
	SortRelevance = "relevance"
	SortName      = "name"
	SortNameDesc  = "-name"
	SortPrice     = "price"
	SortPriceDesc = "-price"
)

// Limits of a search request.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	// MaxWindow is how deep results can be paged: Elasticsearch refuses
	// from+size beyond index.max_result_window (10,000 by default), and the
	// embedded engine keeps the same rule so both answer alike.
	MaxWindow     = 10_000
	MaxTextLen    = 200
	MaxCategory   = 64
	MaxPriceCents = 100_000_000
	// MaxTerms bounds the work of one query: words after the first
	// MaxTerms are ignored for matching (they still count in the phrase boost).
	MaxTerms = 10
	// MaxSuggestions is how many completions GET /search/suggest returns.
	MaxSuggestions = 10
)

// Query is a parsed search request.
type Query platform.Listing

// Offset is the number of hits before the page.
func (q Query) Offset() int { return (q.Page - 1) * q.PageSize }

// ParseQuery reads a Query from URL parameters; get returns "" for an absent
// one. Every bad value is a 400 naming the parameter. The text is taken as
// plain words whatever characters it holds: it never becomes query syntax.
// Without words to rank by, relevance falls back to name order.
func ParseQuery(get func(string) string) (Query, error) {
	l, err := platform.ParseListing(get, platform.ListingRules{
		MaxText: MaxTextLen, MaxCategory: MaxCategory,
		DefaultPageSize: DefaultPageSize, MaxPageSize: MaxPageSize, MaxPage: MaxWindow, MaxWindow: MaxWindow,
		MaxPriceCents: MaxPriceCents,
		Sorts:         []string{SortRelevance, SortName, SortNameDesc, SortPrice, SortPriceDesc},
	})
	q := Query(l)
	if err == nil && q.Sort == SortRelevance && len(Terms(q.Text)) == 0 {
		q.Sort = SortName
	}
	return q, err
}

// ParseSuggest reads the text of GET /search/suggest.
func ParseSuggest(raw string) (string, error) {
	text := strings.TrimSpace(raw)
	if !utf8.ValidString(text) {
		return "", platform.BadRequest("invalid_q", "q must be valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextLen {
		return "", platform.BadRequest("invalid_q", "q must be at most %d characters, got %d", MaxTextLen, n)
	}
	return text, nil
}

// Term is one word of the query text and how loosely it may match.
type Term struct {
	Text string
	// Fuzziness is the edit distance allowed: none for short words, where
	// one edit makes another word, more for long ones (as Elasticsearch's
	// AUTO, with the thresholds moved up by one).
	Fuzziness int
	// Prefix marks the last word of the text, which may still be being
	// typed, so it also matches as the start of a name word.
	Prefix bool
}

// Terms splits text into lowercase words, dropping English stop words
// (unless nothing else is left) so "the" does not have to appear in a
// product; at most MaxTerms are kept. Every character that is not a
// letter, digit or an apostrophe inside a word separates words, which is
// what makes quotes, brackets, operators and wildcards plain text.
func Terms(text string) []Term {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
	})
	var kept, stops []string
	for _, w := range words {
		w = strings.Trim(w, "'’")
		switch {
		case w == "":
		case stopWords[w]:
			stops = append(stops, w)
		default:
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = stops
	}
	kept = kept[:min(len(kept), MaxTerms)]
	terms := make([]Term, len(kept))
	for i, w := range kept {
		terms[i] = Term{Text: w, Fuzziness: fuzziness(w)}
	}
	if n := len(terms); n > 0 {
		terms[n-1].Prefix = true
	}
	return terms
}

// suggestFuzzy reports whether a suggestion that found no name is worth
// asking again with typos forgiven: some word is long enough to hold one.
// Both backends forgive typos only then, so a name that starts with what
// was typed is never pushed aside by near misses ("wirel" suggests the
// wireless headphones, not also the wired ones).
func suggestFuzzy(terms []Term) bool {
	for _, t := range terms {
		if t.Fuzziness > 0 {
			return true
		}
	}
	return false
}

func fuzziness(word string) int {
	switch n := utf8.RuneCountInString(word); {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// stopWords is Lucene's English stop set, the one Elasticsearch calls
// _english_.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true,
	"their": true, "then": true, "there": true, "these": true, "they": true, "this": true, "to": true,
	"was": true, "will": true, "with": true,
}
