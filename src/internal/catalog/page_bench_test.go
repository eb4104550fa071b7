package catalog

import (
	"context"
	"log/slog"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/shop-platform/shop/src/internal/platform"
)

// BenchmarkCatalogPage measures GET /catalog?page_size=20 on the embedded
// store (make run's), in process and without the network: the handler
// and the app factory's middleware alone, as fasthttp calls them.
// Allocations per request are the figure docs/benchmarks.md records.
func BenchmarkCatalogPage(b *testing.B) {
	cfg, err := platform.LoadConfig[Config](map[string]string{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	h := svc.App.Handler()
	var ctx fasthttp.RequestCtx
	get := func() {
		ctx.ResetUserValues()
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod(fasthttp.MethodGet)
		ctx.Request.SetRequestURI("/catalog?page_size=20")
		h(&ctx)
	}
	get()
	if status := ctx.Response.StatusCode(); status != fasthttp.StatusOK {
		b.Fatalf("status %d: %s", status, ctx.Response.Body())
	}
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}
