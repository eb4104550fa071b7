package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/tools/proc"
)

// The targets for the pages a user of `make run` meets, against
// bare Fiber sending the same bytes, and for tracing.
const (
	listingRatio   = 0.6 // catalog page, storefront home
	pageRatio      = 0.5 // product and search pages
	halfRateP99    = 5 * time.Millisecond
	maxTracingCost = 0.10 // of throughput, in-memory tracing on against off
)

// page is one page measured against bare Fiber: the service that serves
// it (the key of its base URL), its path, and its target ratio.
type page struct {
	name, service, path, contentType string
	ratio                            float64
}

// shopPages are the pages measured on the composed process.
var shopPages = []page{
	{"catalog page", "catalog", "/catalog?page_size=20", fiber.MIMEApplicationJSON, listingRatio},
	{"storefront home", "frontend", "/", fiber.MIMETextHTMLCharsetUTF8, listingRatio},
	{"product page", "frontend", "/product/kitchenware-007", fiber.MIMETextHTMLCharsetUTF8, pageRatio},
	{"search page", "frontend", "/search?q=table", fiber.MIMETextHTMLCharsetUTF8, pageRatio},
}

// benchShop measures `make run`'s process as a user runs it: src/cmd/shop
// built and started with its defaults (embedded stores, SHOP_TRACES=memory),
// each page against bare Fiber; then the cost of its in-memory tracing,
// wrk on a second process started with SHOP_TRACES empty, the two runs
// alternating three times on the same pages.
func benchShop(ctx context.Context, sum *summary, c *cleanups) error {
	dir, err := buildBinaries(ctx, c, "embedded", "shop")
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "shop")
	traced, err := startShop(ctx, c, bin, "memory")
	if err != nil {
		return err
	}
	fmt.Printf("the shop binary (src/cmd/shop, embedded stores, SHOP_TRACES=memory, as make run), concurrency %d, 10 s per run\n\n", benchConcurrency)
	if err := benchPages(ctx, sum, traced, shopPages); err != nil {
		return err
	}
	untraced, err := startShop(ctx, c, bin, "")
	if err != nil {
		return err
	}
	fmt.Printf("in-memory tracing: wrk -t1 -c32 -d10s, SHOP_TRACES=memory and empty alternating, three rounds\n\n| page | round | tracing on | tracing off |\n|---|---|---|---|\n")
	for _, p := range shopPages[:2] {
		var on, off float64
		for round := 1; round <= 3; round++ {
			a, err := runWrk(ctx, traced[p.service]+p.path)
			if err != nil {
				return err
			}
			b, err := runWrk(ctx, untraced[p.service]+p.path)
			if err != nil {
				return err
			}
			on, off = on+a.rps, off+b.rps
			fmt.Printf("| %s | %d | %.0f req/s | %.0f req/s |\n", p.name, round, a.rps, b.rps)
		}
		cost := 1 - on/off
		sum.add(p.name+": in-memory tracing's cost of throughput (wrk, 3 rounds)", fmt.Sprintf("%.1f%% (%.0f req/s)", 100*cost, on/3),
			fmt.Sprintf("%.0f req/s off", off/3), fmt.Sprintf("<= %.0f%%", 100*maxTracingCost), cost <= maxTracingCost)
	}
	return nil
}

// benchServices measures benchShop's pages on the service binaries, one
// process each as the chart runs them: src/cmd/catalog on its embedded
// store (seeded with the sample catalog), src/cmd/search indexing it and
// src/cmd/frontend calling both over loopback, tracing off (the chart's
// default), each page against bare Fiber sending the same bytes. Against
// benchShop it shows what the one process of make run saves or costs.
func benchServices(ctx context.Context, sum *summary, c *cleanups) error {
	dir, err := buildBinaries(ctx, c, "", "catalog", "search", "frontend")
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

// benchPages measures each of pages, served at the base URL of its service
// in urls, against bare Fiber.
func benchPages(ctx context.Context, sum *summary, urls map[string]string, pages []page) error {
	for _, p := range pages {
		if err := againstBare(ctx, sum, p.name, urls[p.service], p.path, p.contentType, p.ratio, halfRateP99); err != nil {
			return err
		}
	}
	return nil
}

// startShop starts the shop binary on free loopback ports with
// SHOP_TRACES=traces, waits until the storefront and the search index are
// ready, and returns each service's base URL by name.
func startShop(ctx context.Context, c *cleanups, bin, traces string) (map[string]string, error) {
	ports, urls, err := loopbackPorts(ctx, "catalog", "search", "order", "frontend", "payment", "traces")
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "SHOP_TRACES="+traces, "HOST=127.0.0.1")
	for name, port := range ports {
		env = append(env, strings.ToUpper(name)+"_PORT="+port)
	}
	_, err = startBinary(ctx, c, bin, env, 2*time.Minute, urls["frontend"]+"/ready", urls["search"]+"/ready", urls["frontend"]+"/search?q=table")
	return urls, err
}

// loopbackPorts picks a free loopback port for each of names, and returns
// the ports and the base URLs on them by name.
func loopbackPorts(ctx context.Context, names ...string) (ports, urls map[string]string, err error) {
	ports, urls = map[string]string{}, map[string]string{}
	for _, name := range names {
		port, err := testenv.FreeLoopbackPort(ctx)
		if err != nil {
			return nil, nil, err
		}
		ports[name] = strconv.Itoa(port)
		urls[name] = "http://127.0.0.1:" + ports[name]
	}
	return ports, urls, nil
}

// startBinary starts bin with env and waits, for up to limit, until each
// of ready answers 200, in turn; c stops it.
func startBinary(ctx context.Context, c *cleanups, bin string, env []string, limit time.Duration, ready ...string) (*proc.Process, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	// The binary's own error, if it exits, is its last line on stderr.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	p, err := proc.Start(cmd, time.Minute, nil)
	if err != nil {
		return nil, err
	}
	c.add(func() { _ = p.Stop() })
	if err := p.WaitReady(ctx, limit, ready...); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, stderr.Bytes())
	}
	return p, nil
}

// buildBinaries builds the commands of src/cmd named, with the build tags
// given (make run builds the shop with "embedded"), into a new temporary
// directory, which c removes.
func buildBinaries(ctx context.Context, c *cleanups, tags string, names ...string) (string, error) {
	dir, err := os.MkdirTemp("", "shop-bench-")
	if err != nil {
		return "", err
	}
	c.add(func() { _ = os.RemoveAll(dir) })
	args := []string{"build", "-tags=" + tags, "-o", dir + string(os.PathSeparator)}
	for _, name := range names {
		args = append(args, "./src/cmd/"+name)
	}
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s (run from the repository root): %w\n%s", strings.Join(args, " "), err, out)
	}
	return dir, nil
}
