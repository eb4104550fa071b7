package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shop-platform/shop/src/internal/events"
)

// BenchmarkEmbeddedSearch runs the mixed query set of `make bench search`
// in process, without HTTP, for profiling, on the index as a rebuild leaves
// it and after 1,000 product events (stock changes of random products, as
// orders make) have added and merged segments:
//
//	go test ./src/internal/search -run '^$' -bench EmbeddedSearch -cpuprofile /tmp/cpu.out
func BenchmarkEmbeddedSearch(b *testing.B) {
	f := gofakeit.New(20261125)
	backend, err := NewEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	build, err := backend.NewBuild(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	var docs []Doc
	for i := range 10_000 {
		p := events.Product{ID: fmt.Sprintf("p-%05d", i), Name: f.ProductName(), Description: f.ProductDescription(),
			Category: fmt.Sprint("cat-", i%12), PriceCents: int64(f.IntRange(199, 49999)), Currency: "USD", Stock: f.IntRange(0, 100)}
		names = append(names, strings.ToLower(p.Name))
		docs = append(docs, DocFrom(p))
		if err := build.Add(ctx, DocFrom(p)); err != nil {
			b.Fatal(err)
		}
	}
	if err := build.Commit(ctx, nil); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var queries []Query
	for range 200 {
		words := strings.Fields(names[rng.IntN(len(names))])
		w := words[rng.IntN(len(words))]
		q := Query{Text: w, MaxPrice: -1, Sort: SortRelevance, Page: 1, PageSize: 20}
		switch rng.IntN(5) {
		case 1:
			q.Text = strings.Join(words[:min(2, len(words))], " ")
		case 2:
			if len(w) >= 5 {
				q.Text = w[:2] + w[3:]
			}
		case 3:
			q.Text = w[:min(3, len(w))]
		case 4:
			q.Category, q.MaxPrice, q.InStock, q.Sort = "cat-3", 25000, true, SortPrice
		}
		queries = append(queries, q)
	}
	run := func(b *testing.B) {
		for i := range b.N {
			if _, err := backend.Search(ctx, queries[i%len(queries)]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("rebuilt", run)
	for range 1000 {
		d := docs[rng.IntN(len(docs))]
		d.Stock = rng.IntN(100)
		d.InStock = d.Stock > 0
		if err := backend.Upsert(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("after 1000 events", run)
}
