package frontend_test

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkPages measures what the storefront spends on each page it
// serves, in process and without the network (the handler alone, as
// fasthttp calls it), for a shopper with no cookies yet, as a load
// generator is. The backends answer from the storefront's cache
// (BACKEND_CACHE_TTL), so this is the storefront's own cost: middleware,
// cookies, templates. Allocations per request are the figure
// docs/benchmarks.md records; they do not move with the machine's load.
func BenchmarkPages(b *testing.B) {
	catalogURL := startCatalog(b)
	app, _ := startFrontendApp(b, backendURLs{catalog: catalogURL, search: startSearch(b, catalogURL), order: deadURL(b)},
		map[string]string{"BACKEND_CACHE_TTL": "1h"})
	h := app.Handler()
	for _, page := range []struct{ name, path string }{
		{"home", "/"}, {"category", "/category/books"}, {"product", "/product/kitchenware-007"}, {"search", "/search?q=table"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			get := func() {
				ctx.ResetUserValues()
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fasthttp.MethodGet)
				ctx.Request.SetRequestURI(page.path)
				h(&ctx)
			}
			get() // fills the backend cache
			if status := ctx.Response.StatusCode(); status != fasthttp.StatusOK {
				b.Fatalf("GET %s: status %d", page.path, status)
			}
			b.ReportAllocs()
			for b.Loop() {
				get()
			}
		})
	}
}
