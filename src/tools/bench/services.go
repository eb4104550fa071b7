package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// benchServices measures benchShop's pages on the service binaries, one
// process each as the chart runs them: src/cmd/catalog on its embedded
// store (seeded with the sample catalog), src/cmd/search indexing it and
// src/cmd/frontend calling both over loopback, tracing off (the chart's
// default), each page against bare Fiber sending the same bytes. Against
// benchShop it shows what the one process of make run saves or costs.
func benchServices(ctx context.Context, sum *summary, c *cleanups) error {
	dir, err := buildBinaries(ctx, c, "catalog", "search", "frontend")
	if err != nil {
		return err
	}
	ports, urls, err := loopbackPorts(ctx, "catalog", "search", "frontend")
	if err != nil {
		return err
	}
	// The order service is not started: no page measured here calls it.
	services := []struct {
		name  string
		env   []string
		ready string // the path that answers 200 once the service can serve the pages
	}{
		{"catalog", nil, "/ready"},
		{"search", []string{"CATALOG_URL=" + urls["catalog"]}, "/ready"},
		{"frontend", []string{"CATALOG_URL=" + urls["catalog"], "SEARCH_URL=" + urls["search"], "ORDER_URL=http://127.0.0.1:1",
			"COOKIE_SECRET=bench-cookie-secret-0123456789abcdef"}, "/search?q=table"},
	}
	for _, svc := range services {
		env := append(os.Environ(), "HOST=127.0.0.1", "PORT="+ports[svc.name], "OTEL_EXPORTER_OTLP_ENDPOINT=")
		if _, err := startBinary(ctx, c, filepath.Join(dir, svc.name), append(env, svc.env...), 2*time.Minute, urls[svc.name]+svc.ready); err != nil {
			return err
		}
	}
	fmt.Printf("the service binaries (src/cmd/catalog, search, frontend: one process each, embedded stores, tracing off), concurrency %d, 10 s per run\n\n", benchConcurrency)
	return benchPages(ctx, sum, urls, shopPages)
}
