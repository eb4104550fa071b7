package catalog

import (
	"bytes"
	"encoding/json"
	"testing"
)

// sentPage is the JSON the encoder writes for p.
func sentPage(t *testing.T, enc encoder, p Page) []byte {
	t.Helper()
	b, err := enc.appendPage(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The catalog's answers are the bytes json.Marshal writes, whether a
// product's encoding comes from the encoder's cache or not, and a product
// written again (a new revision) is encoded afresh.
func TestEncoderWritesWhatJSONMarshalWrites(t *testing.T) {
	store := memStoreOf(t, 30)
	page, err := store.List(t.Context(), Query{Page: 1, PageSize: 20, Sort: "name", MaxPrice: -1})
	if err != nil {
		t.Fatal(err)
	}
	page.Items[0].Name = `<Lamp> & "shade"`
	enc := newEncoder()
	for round := range 2 {
		got := sentPage(t, enc, page)
		want, _ := json.Marshal(page)
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d:\n got %s\nwant %s", round, got, want)
		}
	}
	changed := page.Items[1]
	changed.Stock, changed.Revision = changed.Stock+1, changed.Revision+1000
	got, _ := enc.product(changed)
	if want, _ := json.Marshal(changed); !bytes.Equal(got, want) {
		t.Fatalf("after a write: got %s, want %s", got, want)
	}
	empty := sentPage(t, enc, Page{Page: 3, PageSize: 20, Total: 40, TotalCapped: true, Items: []Product{}})
	if want, _ := json.Marshal(Page{Page: 3, PageSize: 20, Total: 40, TotalCapped: true, Items: []Product{}}); !bytes.Equal(empty, want) {
		t.Fatalf("empty page: got %s, want %s", empty, want)
	}
}
