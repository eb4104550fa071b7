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
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/caarlos0/env/v11"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/search"
)

// ports are the runner's own settings: the service ports, so tests and a
// second copy can move them. The services' PORT variable is ignored here.
type ports struct {
	Catalog int `env:"CATALOG_PORT" envDefault:"5001"`
	Search  int `env:"SEARCH_PORT" envDefault:"5002"`
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
	catalogLn, err := listen(catalogCfg.Host, p.Catalog)
	if err != nil {
		return err
	}

	bus, err := openBus(environ, logger)
	if err != nil {
		return err
	}
	defer func() { _ = bus.Close() }()

	// Search reads the catalog of this process unless CATALOG_URL says otherwise.
	if environ["CATALOG_URL"] == "" {
		environ["CATALOG_URL"] = fmt.Sprintf("http://127.0.0.1:%d", p.Catalog)
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
	searchLn, err := listen(searchCfg.Host, p.Search)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "shop is running (Ctrl-C to stop)\n")
	fmt.Fprintf(stdout, "  catalog   http://localhost:%d/catalog\n", p.Catalog)
	fmt.Fprintf(stdout, "  search    http://localhost:%d/search?q=mug\n", p.Search)
	fmt.Fprintf(stdout, "  admin token (catalog PUT/DELETE, POST /search/reindex): %s\n", environ["ADMIN_TOKEN"])

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return platform.Serve(gctx, catalogSvc.App, catalogLn, catalogCfg.ShutdownTimeout) })
	g.Go(func() error { return platform.Serve(gctx, searchSvc.App, searchLn, searchCfg.ShutdownTimeout) })
	g.Go(func() error { return searchSvc.Run(gctx, bus) })
	return g.Wait()
}

// openBus is the event bus the services share: RabbitMQ when AMQP_URL is
// set, else the in-process bus.
func openBus(environ map[string]string, logger *slog.Logger) (mq.Bus, error) {
	var cfg struct{ Broker mq.Config }
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return nil, fmt.Errorf("reading AMQP settings: %w", err)
	}
	if err := cfg.Broker.Validate(); err != nil {
		return nil, err
	}
	opts := mq.Options{ConnectionName: "shop", Exchange: environ["SHOP_EXCHANGE"], Logger: logger}
	if cfg.Broker.URL == "" {
		return mq.NewMemory(opts), nil
	}
	bus, err := mq.NewRabbit(cfg.Broker, opts)
	if err != nil {
		return nil, fmt.Errorf("event bus: %w", err)
	}
	return bus, nil
}

func listen(host string, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listening on port %d: %w", port, err)
	}
	return ln, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
