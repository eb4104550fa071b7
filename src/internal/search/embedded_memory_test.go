package search

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shop-platform/shop/src/internal/events"
)

// BenchmarkEmbeddedBuildMemory builds the embedded index of 1,000, 10,000
// and 100,000 generated products as a rebuild does and reports the Go heap
// the finished index keeps (live-MiB, after a collection) and per product,
// and the segments it goes live with, where make bench search-scale sees
// the process's RSS:
//
//	go test ./src/internal/search -run '^$' -bench EmbeddedBuildMemory -benchtime 1x -memprofile /tmp/mem.out
func BenchmarkEmbeddedBuildMemory(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		f := gofakeit.New(20261125)
		products := make([]events.Product, n)
		for i := range products {
			products[i] = events.Product{ID: fmt.Sprintf("p-%06d", i), Name: f.ProductName(), Description: f.ProductDescription(),
				Category: fmt.Sprint("cat-", i%12), PriceCents: int64(f.IntRange(199, 49999)), Currency: "USD", Stock: f.IntRange(0, 100)}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				backend, err := NewEmbedded()
				if err != nil {
					b.Fatal(err)
				}
				build, err := backend.NewBuild(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range products {
					if err := build.Add(ctx, DocFrom(p)); err != nil {
						b.Fatal(err)
					}
				}
				if err := build.Commit(ctx, nil); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				live := float64(after.HeapAlloc) - float64(before.HeapAlloc)
				b.ReportMetric(live/(1<<20), "live-MiB")
				b.ReportMetric(live/float64(n)/1024, "live-KiB/product")
				b.ReportMetric(float64(after.HeapSys)/(1<<20), "heap-sys-MiB")
				b.ReportMetric(float64(segments(b, backend)), "segments")
				runtime.KeepAlive(backend)
				if err := backend.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
