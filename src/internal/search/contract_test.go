package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
)

// The backend contract: every Backend passes these, the embedded engine
// always and Elasticsearch when ELASTICSEARCH_URL is set
// (elastic_contract_test.go).

func product(id, name, category string, cents int64, stock int, description string) events.Product {
	return events.Product{
		ID: id, Name: name, Category: category, PriceCents: cents, Currency: "USD",
		Image: "/static/products/" + category + ".svg", Stock: stock, Description: description,
		UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

// fixture is a small catalog written for the relevance set below.
func fixture() []events.Product {
	return []events.Product{
		product("audio-1", "Wireless Headphones", "audio", 8999, 12, "Over-ear headphones with noise cancelling and a 30 hour battery."),
		product("audio-2", "Wired Studio Headphones", "audio", 4999, 0, "Closed-back headphones for mixing and monitoring."),
		product("audio-3", "Headphone Stand", "audio", 1999, 40, "An aluminium stand that keeps your headset tidy on the desk."),
		product("audio-4", "Bluetooth Speaker", "audio", 5999, 8, "A waterproof speaker for the beach and the garden."),
		product("audio-5", "Smart Radio", "audio", 12999, 3, "A radio with a built-in speaker and voice control."),
		product("sport-1", "Running Shoes", "sport", 11999, 5, "Light cushioned shoes for road running."),
		product("sport-2", "Trail Running Shoe", "sport", 13999, 2, "A grippy shoe for muddy trails."),
		product("sport-3", "Yoga Mat", "sport", 2999, 25, "A non-slip mat for yoga and pilates."),
		product("sport-4", "Water Bottle", "sport", 1499, 60, "A steel bottle that keeps drinks cold while running."),
		product("kitchen-1", "Coffee Mug", "kitchen", 1299, 30, "A stoneware mug for coffee or tea."),
		product("kitchen-2", "Travel Mug", "kitchen", 2499, 0, "An insulated mug with a leak-proof lid."),
		product("kitchen-3", "Cast Iron Skillet", "kitchen", 3999, 14, "A pre-seasoned skillet for searing and baking."),
		product("kitchen-4", "Chef's Knife", "kitchen", 7999, 9, "A forged steel knife with a full tang."),
		product("kitchen-5", "Knife Sharpener", "kitchen", 1999, 0, "Keeps every knife in the drawer sharp."),
		product("kitchen-6", "Teapot", "kitchen", 3499, 11, "A glass teapot with an infuser; pairs well with a coffee mug."),
		product("office-1", "Desk Lamp", "office", 4599, 7, "An adjustable lamp with a warm light."),
		product("office-2", "LED Desk Lamp", "office", 6599, 4, "A dimmable lamp for late work."),
		product("office-3", "Desk Organizer with Lamp Hook", "office", 2299, 18, "Trays, a pen cup and a hook to hang a small lamp."),
		product("office-4", "Office Chair", "office", 25999, 6, "An ergonomic chair with lumbar support."),
		product("office-5", "Standing Desk", "office", 49999, 1, "A height-adjustable desk with a memory keypad."),
	}
}

// relevanceCase is one query of the relevance set: the products expected
// first, in any order among themselves (top), and optionally the one that
// must be first.
type relevanceCase struct {
	name  string
	query string
	top   []string
	first string
}

func relevanceSet() []relevanceCase {
	return []relevanceCase{
		{name: "one word", query: "headphones", top: []string{"audio-1", "audio-2", "audio-3"}},
		{name: "two words", query: "wireless headphones", first: "audio-1"},
		{name: "misspelled", query: "hedphones", top: []string{"audio-1", "audio-2", "audio-3"}},
		{name: "misspelled long word", query: "skilet", first: "kitchen-3"},
		{name: "plural finds singular", query: "shoes", top: []string{"sport-1", "sport-2"}},
		{name: "singular finds plural", query: "shoe", top: []string{"sport-1", "sport-2"}},
		{name: "plural of a singular name", query: "mugs", top: []string{"kitchen-1", "kitchen-2"}},
		{name: "prefix while typing", query: "sharp", first: "kitchen-5"},
		{name: "prefix of a second word", query: "travel m", first: "kitchen-2"},
		{name: "name beats description", query: "speaker", first: "audio-4"},
		{name: "name beats description (coffee)", query: "coffee mug", first: "kitchen-1"},
		{name: "exact phrase beats scattered words", query: "desk lamp", top: []string{"office-1", "office-2"}},
		{name: "category word", query: "kitchen", top: []string{"kitchen-1", "kitchen-2", "kitchen-3", "kitchen-4", "kitchen-5", "kitchen-6"}},
		{name: "possessive", query: "chefs knife", first: "kitchen-4"},
		{name: "stop words ignored", query: "the yoga mat", first: "sport-3"},
		{name: "query syntax is text", query: `"wireless" AND (headphones)`, first: "audio-1"},
	}
}

type contractEnv struct {
	backend Backend
	t       *testing.T
}

func (e contractEnv) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	e.t.Cleanup(cancel)
	return ctx
}

func (e contractEnv) load(products []events.Product) {
	e.t.Helper()
	for _, p := range products {
		if err := e.backend.Upsert(e.ctx(), DocFrom(p)); err != nil {
			e.t.Fatalf("upsert %s: %v", p.ID, err)
		}
	}
	e.refresh()
}

func (e contractEnv) refresh() {
	e.t.Helper()
	if err := e.backend.Refresh(e.ctx()); err != nil {
		e.t.Fatalf("refresh: %v", err)
	}
}

func (e contractEnv) search(params map[string]string) Result {
	e.t.Helper()
	q, err := ParseQuery(func(k string) string { return params[k] })
	if err != nil {
		e.t.Fatalf("parse %v: %v", params, err)
	}
	res, err := e.backend.Search(e.ctx(), q)
	if err != nil {
		e.t.Fatalf("search %v: %v", params, err)
	}
	return res
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

// runContract runs the whole suite against backends made by open; each
// subtest gets a fresh, empty backend.
func runContract(t *testing.T, open func(t *testing.T) Backend) {
	env := func(t *testing.T, products []events.Product) contractEnv {
		e := contractEnv{backend: open(t), t: t}
		e.load(products)
		return e
	}

	t.Run("relevance", func(t *testing.T) {
		e := env(t, fixture())
		for _, c := range relevanceSet() {
			t.Run(c.name, func(t *testing.T) {
				e := contractEnv{backend: e.backend, t: t}
				res := e.search(map[string]string{"q": c.query})
				got := ids(res.Hits)
				if c.first != "" && (len(got) == 0 || got[0] != c.first) {
					t.Errorf("q=%q: first hit %v, want %s", c.query, got, c.first)
				}
				if len(got) < len(c.top) {
					t.Fatalf("q=%q: %d hits %v, want at least %v", c.query, len(got), got, c.top)
				}
				for _, id := range c.top {
					if !slices.Contains(got[:len(c.top)], id) {
						t.Errorf("q=%q: top %d are %v, want %v among them", c.query, len(c.top), got[:len(c.top)], c.top)
						break
					}
				}
			})
		}
	})

	t.Run("hits carry the product and highlights", func(t *testing.T) {
		e := env(t, fixture())
		res := e.search(map[string]string{"q": "wireless"})
		if res.Total != 1 || len(res.Hits) != 1 {
			t.Fatalf("q=wireless: total %d hits %v, want exactly audio-1", res.Total, ids(res.Hits))
		}
		h := res.Hits[0]
		want := Hit{ID: "audio-1", Name: "Wireless Headphones", Category: "audio", PriceCents: 8999, Currency: "USD", Image: "/static/products/audio.svg"}
		if h.ID != want.ID || h.Name != want.Name || h.Category != want.Category || h.PriceCents != want.PriceCents ||
			h.Currency != want.Currency || h.Image != want.Image {
			t.Errorf("hit = %+v, want the fields of %+v", h, want)
		}
		if h.Score <= 0 {
			t.Errorf("score = %v, want positive", h.Score)
		}
		if len(h.Highlights["name"]) == 0 || !strings.Contains(h.Highlights["name"][0], "<mark>Wireless</mark>") {
			t.Errorf("name highlights = %q, want <mark>Wireless</mark>", h.Highlights["name"])
		}
		if len(h.Highlights) != 1 {
			t.Errorf("highlights = %q, want the name only", h.Highlights)
		}
		res = e.search(map[string]string{"q": "cancelling"})
		if len(res.Hits) != 1 || len(res.Hits[0].Highlights) != 0 {
			t.Errorf("q=cancelling: %+v, want audio-1, with no highlight: its name does not match", res.Hits)
		}
	})

	t.Run("highlights escape product text", func(t *testing.T) {
		e := env(t, []events.Product{product("x-1", `Mug <script>alert(1)</script> & Co`, "kitchen", 100, 1, "")})
		res := e.search(map[string]string{"q": "mug"})
		if len(res.Hits) != 1 {
			t.Fatalf("hits = %v, want x-1", ids(res.Hits))
		}
		frag := strings.Join(res.Hits[0].Highlights["name"], "")
		if strings.Contains(frag, "<script>") || !strings.Contains(frag, "&lt;script&gt;") || !strings.Contains(frag, "<mark>Mug</mark>") {
			t.Errorf("highlight %q must mark Mug and escape the markup", frag)
		}
	})

	t.Run("facets", func(t *testing.T) {
		e := env(t, fixture())
		res := e.search(map[string]string{"q": "mug"})
		// Coffee Mug, Travel Mug, and the Teapot whose description names a mug.
		wantCats := []CategoryCount{{Value: "kitchen", Count: 3}}
		if !slices.Equal(res.Facets.Category, wantCats) {
			t.Errorf("category facets = %v, want %v", res.Facets.Category, wantCats)
		}
		all := e.search(map[string]string{})
		wantAll := []CategoryCount{{"kitchen", 6}, {"audio", 5}, {"office", 5}, {"sport", 4}}
		if !slices.Equal(all.Facets.Category, wantAll) {
			t.Errorf("category facets of everything = %v, want %v", all.Facets.Category, wantAll)
		}
		// Prices: <25: 1999 1499 1299 2499 1999 2299 = 6; 25-50: 4999 2999 3999 3499 4599 = 5;
		// 50-100: 8999 5999 7999 6599 = 4; 100-250: 12999 11999 13999 = 3; 250+: 25999 49999 = 2.
		wantPrices := []int{6, 5, 4, 3, 2}
		if len(all.Facets.Price) != len(wantPrices) {
			t.Fatalf("price facets = %v, want 5 ranges", all.Facets.Price)
		}
		for i, r := range all.Facets.Price {
			if r.Count != wantPrices[i] || r.From != PriceRanges()[i].From {
				t.Errorf("price range %d = %+v, want from %d count %d", i, r, PriceRanges()[i].From, wantPrices[i])
			}
		}
		if all.Total != 20 {
			t.Errorf("total = %d, want 20", all.Total)
		}
	})

	t.Run("filters", func(t *testing.T) {
		e := env(t, fixture())
		cases := []struct {
			params map[string]string
			want   []string
		}{
			{map[string]string{"category": "kitchen", "sort": "price"}, []string{"kitchen-1", "kitchen-5", "kitchen-2", "kitchen-6", "kitchen-3", "kitchen-4"}},
			{map[string]string{"min_price": "10000", "max_price": "13999", "sort": "price"}, []string{"sport-1", "audio-5", "sport-2"}},
			{map[string]string{"q": "mug", "in_stock": "true", "sort": "name"}, []string{"kitchen-1", "kitchen-6"}},
			{map[string]string{"q": "headphones", "category": "audio", "max_price": "5000", "sort": "-price"}, []string{"audio-2", "audio-3"}},
			{map[string]string{"category": "office", "sort": "-name"}, []string{"office-5", "office-4", "office-2", "office-3", "office-1"}},
			{map[string]string{"category": "garden"}, []string{}},
		}
		for _, c := range cases {
			res := e.search(c.params)
			if got := ids(res.Hits); !slices.Equal(got, c.want) || res.Total != len(c.want) {
				t.Errorf("%v: hits %v total %d, want %v", c.params, got, res.Total, c.want)
			}
		}
	})

	t.Run("pagination", func(t *testing.T) {
		e := env(t, fixture())
		var seen []string
		for page := 1; page <= 7; page++ {
			res := e.search(map[string]string{"page": fmt.Sprint(page), "page_size": "3", "sort": "price"})
			if res.Total != 20 {
				t.Fatalf("page %d: total %d, want 20", page, res.Total)
			}
			wantLen := 3
			if page == 7 {
				wantLen = 2
			}
			if len(res.Hits) != wantLen {
				t.Fatalf("page %d: %d hits, want %d", page, len(res.Hits), wantLen)
			}
			seen = append(seen, ids(res.Hits)...)
		}
		sorted := slices.Clone(seen)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != 20 {
			t.Errorf("pages repeated or missed products: %v", seen)
		}
		beyond := e.search(map[string]string{"page": "8", "page_size": "3"})
		if len(beyond.Hits) != 0 || beyond.Total != 20 {
			t.Errorf("page beyond the results: %d hits total %d, want none and total 20", len(beyond.Hits), beyond.Total)
		}
	})

	t.Run("special characters are plain text", func(t *testing.T) {
		e := env(t, fixture())
		for _, q := range []string{`"`, `(`, `[1 TO 5]`, `mug*`, `mug?`, `mug~2`, `mug^4`, `/mu.*/`, `a\b`, `name:mug`,
			`AND`, `OR NOT`, `!&&||`, `{}`, `+-=<>`, `'`, `’s`, `*`, `?`, "\u00a0", `mug AND NOT`, `ÄÖÜ ß 漢字`, `"mug"`, `(mug)`} {
			res := e.search(map[string]string{"q": q})
			if q == `mug*` || q == `mug?` || q == `mug AND NOT` || q == `"mug"` || q == `(mug)` {
				if len(res.Hits) == 0 {
					t.Errorf("q=%q found nothing, want the mugs (the punctuation is ignored)", q)
				}
			}
		}
	})

	t.Run("suggest", func(t *testing.T) {
		e := env(t, fixture())
		cases := []struct {
			text string
			want []string
		}{
			{"hea", []string{"audio-3", "audio-2", "audio-1"}},
			{"Wireless he", []string{"audio-1"}},
			{"desk l", []string{"office-1", "office-2", "office-3"}},
			{"zzz", []string{}},
			{"", []string{}},
			// A typo: no name starts with it, so near misses are suggested.
			{"cofee", []string{"kitchen-1"}},
			{"hedphone", []string{"audio-1", "audio-2", "audio-3"}},
			{"wireles hea", []string{"audio-1"}},
			// A name that starts with the text keeps near misses out:
			// "wirel" is one letter from "wired".
			{"wirel", []string{"audio-1"}},
			{"mugg", []string{"kitchen-1", "kitchen-2"}},
		}
		for _, c := range cases {
			got, err := e.backend.Suggest(e.ctx(), c.text)
			if err != nil {
				t.Fatalf("suggest %q: %v", c.text, err)
			}
			gotIDs := make([]string, len(got))
			for i, s := range got {
				gotIDs[i] = s.ID
				if s.Name == "" {
					t.Errorf("suggest %q: %+v has no name", c.text, s)
				}
			}
			sortedGot, sortedWant := slices.Sorted(slices.Values(gotIDs)), slices.Sorted(slices.Values(c.want))
			if !slices.Equal(sortedGot, sortedWant) {
				t.Errorf("suggest %q = %v, want %v", c.text, gotIDs, c.want)
			}
		}
		var many []events.Product
		for i := range 15 {
			many = append(many, product(fmt.Sprintf("gizmo-%02d", i), fmt.Sprintf("Gizmo %d", i), "misc", 100, 1, ""))
		}
		e.load(many)
		got, err := e.backend.Suggest(e.ctx(), "giz")
		if err != nil || len(got) != MaxSuggestions {
			t.Errorf("suggest giz over 15 gizmos: %d suggestions (%v), want %d", len(got), err, MaxSuggestions)
		}
	})

	t.Run("update and delete", func(t *testing.T) {
		e := env(t, fixture())
		renamed := fixture()[9]
		renamed.Name = "Espresso Cup"
		e.load([]events.Product{renamed})
		if res := e.search(map[string]string{"q": "espresso"}); !slices.Equal(ids(res.Hits), []string{"kitchen-1"}) {
			t.Errorf("after rename, q=espresso: %v, want kitchen-1", ids(res.Hits))
		}
		for _, h := range e.search(map[string]string{"q": "coffee mug"}).Hits {
			if h.Name == "Coffee Mug" {
				t.Errorf("after rename, q=coffee mug still returns the old name: %+v", h)
			}
		}
		for _, id := range []string{"kitchen-1", "no-such-product"} {
			if err := e.backend.Delete(e.ctx(), id); err != nil {
				t.Fatalf("delete %s: %v", id, err)
			}
		}
		e.refresh()
		if res := e.search(map[string]string{"q": "espresso"}); res.Total != 0 {
			t.Errorf("after delete, q=espresso: %v, want nothing", ids(res.Hits))
		}
		if n, err := e.backend.Count(e.ctx()); err != nil || n != 19 {
			t.Errorf("count after delete = %d (%v), want 19", n, err)
		}
	})

	t.Run("rebuild swaps atomically", func(t *testing.T) {
		e := env(t, fixture()[:3])
		build, err := e.backend.NewBuild(e.ctx())
		if err != nil {
			t.Fatalf("new build: %v", err)
		}
		for _, p := range fixture()[3:] {
			if err := build.Add(e.ctx(), DocFrom(p)); err != nil {
				t.Fatalf("add: %v", err)
			}
		}
		// The live index still answers with the old version.
		if res := e.search(map[string]string{}); res.Total != 3 {
			t.Errorf("during the build, total = %d, want the 3 of the live version", res.Total)
		}
		mug := DocFrom(product("kitchen-9", "Enamel Mug", "kitchen", 900, 1, ""))
		changes := []Change{{Doc: &mug}, {DeleteID: "sport-3"}}
		if err := build.Commit(e.ctx(), changes); err != nil {
			t.Fatalf("commit: %v", err)
		}
		res := e.search(map[string]string{"page_size": "100"})
		got := ids(res.Hits)
		if res.Total != 17 || !slices.Contains(got, "kitchen-9") || slices.Contains(got, "sport-3") || slices.Contains(got, "audio-1") {
			t.Errorf("after the swap: total %d %v, want the 17 rebuilt products with kitchen-9 added and sport-3 deleted", res.Total, got)
		}
		aborted, err := e.backend.NewBuild(e.ctx())
		if err != nil {
			t.Fatalf("new build: %v", err)
		}
		if err := aborted.Abort(e.ctx()); err != nil {
			t.Fatalf("abort: %v", err)
		}
		if res := e.search(map[string]string{}); res.Total != 17 {
			t.Errorf("after an aborted build, total = %d, want 17", res.Total)
		}
	})
}

func TestEmbeddedContract(t *testing.T) {
	runContract(t, func(t *testing.T) Backend {
		b, err := NewEmbedded()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	})
}
