//go:build !embedded

package search

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shop-platform/shop/src/internal/platform"
)

func params(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseQueryDefaults(t *testing.T) {
	q, err := ParseQuery(params(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Query{MaxPrice: -1, Sort: SortName, Page: 1, PageSize: DefaultPageSize}
	if q != want {
		t.Errorf("no parameters: %+v, want %+v (name order: without text every score is equal)", q, want)
	}
	q, _ = ParseQuery(params(map[string]string{"q": "  mug  "}))
	if q.Text != "mug" || q.Sort != SortRelevance {
		t.Errorf("q=mug: %+v, want trimmed text and relevance order", q)
	}
	q, _ = ParseQuery(params(map[string]string{"q": "mug", "min_price": "100", "max_price": "100", "in_stock": "1", "page": "2", "page_size": "5", "sort": "-price"}))
	if q.MinPrice != 100 || q.MaxPrice != 100 || !q.InStock || q.Offset() != 5 || q.Sort != SortPriceDesc {
		t.Errorf("every parameter set: %+v", q)
	}
	if _, err := ParseQuery(params(map[string]string{"page": "100", "page_size": "100"})); err != nil {
		t.Errorf("the last page of the 10,000-hit window: %v, want accepted", err)
	}
}

func TestTermsSplitWordsAndDropStopWords(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"The Yoga Mat", []string{"yoga", "mat"}},
		{`"wireless" AND (headphones)`, []string{"wireless", "headphones"}},
		{"chef's knife", []string{"chef's", "knife"}},
		{"wi-fi*~^/\\", []string{"wi", "fi"}},
		{"the and or", []string{"the", "and", "or"}}, // nothing else left: keep them
		{"  ", nil},
		{"Ärger über Café 漢字", []string{"ärger", "über", "café", "漢字"}},
		{strings.Repeat("word ", 30), slices.Repeat([]string{"word"}, MaxTerms)},
	}
	for _, c := range cases {
		var got []string
		for _, term := range Terms(c.text) {
			got = append(got, term.Text)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Terms(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	terms := Terms("red mug cushioned")
	if terms[0].Fuzziness != 0 || terms[1].Fuzziness != 0 || terms[2].Fuzziness != 2 {
		t.Errorf("fuzziness %+v: want none for words under 4 letters, 2 from 8", terms)
	}
	if terms[1].Prefix || !terms[2].Prefix {
		t.Errorf("prefix %+v: want only the last word, the one being typed", terms)
	}
}

// FuzzSearchText drives the whole text path, parsing and both query
// builders and a real search on the embedded engine, with arbitrary text:
// it must never fail other than with a 4xx naming q.
//
//	go test ./src/internal/search -run '^$' -fuzz FuzzSearchText -fuzztime 60s
func FuzzSearchText(f *testing.F) {
	for _, seed := range []string{
		"mug", "wireless headphones", "hedphones", "shoe", `"quoted phrase"`, `(unbalanced`, `[1 TO 5]`, `{a}`,
		"a AND b OR NOT c", "mug*", "m?g", "mug~2", "boost^4", "/re.*gex/", `back\slash`, "name:mug", "+must -not",
		"&& || !", `\"`, "'", "’s", "\x00", "\xff\xfe", "\u00a0", "漢字", "🎧 headphones", strings.Repeat("x", 200),
		strings.Repeat("ab ", 70), "-1", "*", "?", "~", "^", "/", `\`,
	} {
		f.Add(seed)
	}
	backend, err := NewEmbedded()
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range fixture() {
		if err := backend.Upsert(ctx, DocFrom(p)); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := ParseQuery(params(map[string]string{"q": text}))
		if err != nil {
			var pe *platform.Error
			if !errors.As(err, &pe) || pe.Status != 400 || pe.Code != "invalid_q" {
				t.Fatalf("q=%q: %v, want a 400 invalid_q", text, err)
			}
			if utf8.ValidString(text) && utf8.RuneCountInString(strings.TrimSpace(text)) <= MaxTextLen {
				t.Fatalf("q=%q refused: %v", text, err)
			}
			return
		}
		if _, err := backend.Search(ctx, q); err != nil {
			t.Fatalf("q=%q: search failed: %v", text, err)
		}
		if _, err := backend.Suggest(ctx, q.Text); err != nil {
			t.Fatalf("q=%q: suggest failed: %v", text, err)
		}
		if _, err := json.Marshal(esQuery(q)); err != nil {
			t.Fatalf("q=%q: Elasticsearch query does not encode: %v", text, err)
		}
	})
}
