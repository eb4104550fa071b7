// Command shop runs the whole shop in one process, each service on its own
// port, with embedded backends unless DATABASE_URL (and AMQP_URL,
// ELASTICSEARCH_URL) point at real ones. It is what `make run` starts.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/caarlos0/env/v11"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/frontend"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/search"
)

// ports are the runner's own settings: the service ports, so tests and a
// second copy can move them. The services' PORT variable is ignored here.
type ports struct {
	Catalog  int `env:"CATALOG_PORT" envDefault:"5001"`
	Search   int `env:"SEARCH_PORT" envDefault:"5002"`
	Order    int `env:"ORDER_PORT" envDefault:"5003"`
	Frontend int `env:"FRONTEND_PORT" envDefault:"5004"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, env.ToMap(os.Environ()), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, environ map[string]string, stdout io.Writer) error {
	// The runner fills in settings of its own (ports, URLs, a token); the
	// caller's map stays as it was.
	environ = maps.Clone(environ)
	delete(environ, "PORT")
	var p ports
	if err := env.ParseWithOptions(&p, env.Options{Environment: environ}); err != nil {
		return fmt.Errorf("reading ports: %w", err)
	}
	if environ["ADMIN_TOKEN"] == "" {
		environ["ADMIN_TOKEN"] = randomToken()
	}

	catalogCfg, err := platform.LoadConfig[catalog.Config](environ)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	catalogCfg.Port = p.Catalog
	logger, closeLog, err := platform.NewLogger("shop", catalogCfg.Base)
	if err != nil {
		return err
	}
	defer func() { _ = closeLog() }()

	catalogSvc, err := catalog.Open(ctx, catalogCfg, logger.With("service", "catalog"))
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer catalogSvc.Close()
	catalogLn, err := platform.Listen(ctx, catalogCfg.Host, p.Catalog)
	if err != nil {
		return err
	}

	// One bus for every service: in-process unless AMQP_URL is set.
	bus, err := mq.Open(catalogCfg.Broker, mq.Options{ConnectionName: "shop", Logger: logger})
	if err != nil {
		return err
	}
	// Deferred after the services' Close: handlers finish before stores close.
	defer func() { _ = bus.Close() }()

	if environ["CATALOG_URL"] == "" {
		environ["CATALOG_URL"] = fmt.Sprintf("http://127.0.0.1:%d", p.Catalog)
	}
	orderCfg, err := platform.LoadConfig[order.Config](environ)
	if err != nil {
		return fmt.Errorf("order: %w", err)
	}
	orderSvc, err := order.Open(ctx, orderCfg, logger.With("service", "order"))
	if err != nil {
		return fmt.Errorf("order: %w", err)
	}
	defer orderSvc.Close()
	orderLn, err := platform.Listen(ctx, orderCfg.Host, p.Order)
	if err != nil {
		return err
	}

	searchCfg, err := platform.LoadConfig[search.Config](environ)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	searchCfg.Port = p.Search
	searchSvc, err := search.Open(searchCfg, logger.With("service", "search"))
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer func() { _ = searchSvc.Close() }()
	searchLn, err := platform.Listen(ctx, searchCfg.Host, p.Search)
	if err != nil {
		return err
	}

	frontendCfg, err := platform.LoadConfig[frontend.Config](environ)
	if err != nil {
		return fmt.Errorf("frontend: %w", err)
	}
	frontendCfg.Port = p.Frontend
	frontendCfg.CatalogURL = localURL(catalogLn)
	frontendCfg.SearchURL = localURL(searchLn)
	frontendCfg.OrderURL = localURL(orderLn)
	frontendApp, err := frontend.NewApp(frontendCfg, logger.With("service", "frontend"), platform.NewRegistry())
	if err != nil {
		return fmt.Errorf("frontend: %w", err)
	}
	frontendLn, err := platform.Listen(ctx, frontendCfg.Host, p.Frontend)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "shop is running (Ctrl-C to stop)\n")
	fmt.Fprintf(stdout, "  storefront http://localhost:%d/\n", p.Frontend)
	fmt.Fprintf(stdout, "  catalog    http://localhost:%d/catalog\n", p.Catalog)
	fmt.Fprintf(stdout, "  search     http://localhost:%d/search?q=mug\n", p.Search)
	fmt.Fprintf(stdout, "  order      http://localhost:%d/ (POST /create-order, GET /orders/{id})\n", p.Order)
	fmt.Fprintf(stdout, "  admin token (catalog PUT/DELETE, POST /search/reindex): %s\n", environ["ADMIN_TOKEN"])

	// Shutdown drains the services in the order they call each other: the
	// storefront first, then order and search (which the storefront calls),
	// then the catalog (which order calls for prices), so no request in
	// flight loses a backend it still needs.
	g, gctx := errgroup.WithContext(ctx)
	frontendDrained := make(chan struct{})
	g.Go(func() error {
		defer close(frontendDrained)
		return platform.Serve(gctx, frontendApp, frontendLn, frontendCfg.ShutdownTimeout)
	})
	orderDrained := make(chan struct{})
	g.Go(func() error {
		defer close(orderDrained)
		return platform.Serve(doneWith(frontendDrained), orderSvc.App, orderLn, orderCfg.ShutdownTimeout)
	})
	g.Go(func() error {
		return platform.Serve(doneWith(orderDrained), catalogSvc.App, catalogLn, catalogCfg.ShutdownTimeout)
	})
	g.Go(func() error { return catalogSvc.Run(gctx, bus) })
	g.Go(func() error {
		return platform.Serve(doneWith(frontendDrained), searchSvc.App, searchLn, searchCfg.ShutdownTimeout)
	})
	g.Go(func() error { return searchSvc.Run(gctx, bus) })
	g.Go(func() error { return orderSvc.Run(gctx, bus) })
	return g.Wait()
}

// doneWith returns a context that ends when ch is closed.
func doneWith(ch <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-ch
		cancel()
	}()
	return ctx
}

// localURL is how one in-process service reaches another on ln: over
// loopback when ln listens on every interface.
func localURL(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
