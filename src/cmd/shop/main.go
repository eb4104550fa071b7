// Command shop runs the whole shop in one process, each service on its own
// port, with embedded backends unless DATABASE_URL (and AMQP_URL,
// ELASTICSEARCH_URL) point at real ones. It is what `make run` starts.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"
	"golang.org/x/sync/errgroup"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// ports are the runner's own settings: the service ports, so tests and a
// second copy can move them. The services' PORT variable is ignored here.
type ports struct {
	Catalog  int `env:"CATALOG_PORT" envDefault:"5001"`
	Search   int `env:"SEARCH_PORT" envDefault:"5002"`
	Order    int `env:"ORDER_PORT" envDefault:"5003"`
	Frontend int `env:"FRONTEND_PORT" envDefault:"5004"`
	Payment  int `env:"PAYMENT_PORT" envDefault:"5005"`
	// Traces is where the runner keeps spans when no OTLP endpoint is
	// set: "memory" records the recent traces in the process and serves
	// them on TracesPort; empty (the default outside `make run`) installs
	// no tracer at all, so the services' benchmarks pay nothing.
	Traces     string `env:"SHOP_TRACES"`
	TracesPort int    `env:"TRACES_PORT" envDefault:"5006"`
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
	if p.Traces != "" && p.Traces != "memory" {
		return fmt.Errorf("SHOP_TRACES %q: the only value is memory (or empty for no in-process traces)", p.Traces)
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

	// What serve opened is closed after it returns, also when it failed
	// half-way: the bus before the stores its handlers write to.
	var td teardown
	if p.Traces == "memory" {
		td.recorder = tracing.NewRecorder(200, 2000)
	}
	err = serve(ctx, logger, environ, p, catalogCfg, stdout, &td)
	return errors.Join(err, td.run(ctx, logger))
}

// teardown is what serve opened and its caller closes, in this order: the
// bus, then the stores in the order they were opened, then the tracer
// providers, which flush the spans of all that.
type teardown struct {
	bus     func() error
	stores  []closer
	tracers []func()
	// recorder, when set, records the spans of every service that has
	// no OTLP endpoint (SHOP_TRACES=memory).
	recorder *tracing.Recorder
}

// trace sets up base's tracer provider for the service name (tracing.Start)
// and has td flush it. OTEL_SERVICE_NAME is ignored: one name for the four
// services would merge them in every trace.
func (td *teardown) trace(ctx context.Context, logger *slog.Logger, name string, base *platform.Base) error {
	cfg := base.Trace
	cfg.ServiceName = ""
	if cfg.Endpoint == "" && td.recorder != nil {
		p, err := td.recorder.Provider(ctx, cfg, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		base.Tracer = p
		return nil
	}
	tracer, stop, err := tracing.Start(ctx, cfg, name, logger)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	base.Tracer = tracer
	td.tracers = append(td.tracers, stop)
	return nil
}

// closer is one store, named for the log.
type closer struct {
	name  string
	close func() error
}

func (td *teardown) store(name string, fn func() error) {
	td.stores = append(td.stores, closer{"store " + name, fn})
}

func (td *teardown) run(ctx context.Context, logger *slog.Logger) error {
	var errs []error
	if td.bus != nil {
		errs = append(errs, stopStep(ctx, logger, "bus", td.bus))
	}
	for _, c := range td.stores {
		errs = append(errs, stopStep(ctx, logger, c.name, c.close))
	}
	for _, stop := range td.tracers {
		stop()
	}
	return errors.Join(errs...)
}

// stopStep runs one shutdown step and logs it, so an operator (and the
// shutdown test) sees the order things stopped in.
func stopStep(ctx context.Context, logger *slog.Logger, name string, fn func() error) error {
	err := fn()
	logger.InfoContext(ctx, "shutdown step done", "step", name, "error", err)
	if err != nil {
		return fmt.Errorf("stopping %s: %w", name, err)
	}
	return nil
}

// serve opens the five services on one bus and serves them until ctx ends
// or one fails (see serveAll for the order things stop in); the caller
// then closes what td holds: the bus, then the stores.
func serve(ctx context.Context, logger *slog.Logger, environ map[string]string, p ports,
	catalogCfg catalog.Config, stdout io.Writer, td *teardown,
) error {
	o := opener{logger: logger, environ: environ, td: td}
	catalogSvc, catalogEP, err := o.catalog(ctx, p.Catalog)
	if err != nil {
		return err
	}
	// One bus for every service: in-process unless AMQP_URL is set.
	bus, err := mq.Open(catalogCfg.Broker, mq.Options{ConnectionName: "shop", Logger: logger})
	if err != nil {
		return err
	}
	td.bus = bus.Close
	paymentSvc, paymentEP, err := o.payment(ctx, p.Payment)
	if err != nil {
		return err
	}
	if environ["CATALOG_URL"] == "" {
		environ["CATALOG_URL"] = fmt.Sprintf("http://127.0.0.1:%d", p.Catalog)
	}
	if environ["PAYMENT_URL"] == "" {
		environ["PAYMENT_URL"] = localURL(paymentEP.ln)
	}
	orderSvc, orderEP, mailbox, err := o.order(ctx, p.Order)
	if err != nil {
		return err
	}
	searchSvc, searchEP, err := o.search(ctx, p.Search)
	if err != nil {
		return err
	}
	frontendEP, err := o.frontend(ctx, p.Frontend, catalogEP, searchEP, orderEP)
	if err != nil {
		return err
	}
	// Every consumer is subscribed before anything is served or relayed:
	// an event published before a queue of the shop's exists reaches no
	// one there.
	for _, svc := range []interface {
		Subscribe(ctx context.Context, bus mq.Bus) error
	}{catalogSvc, orderSvc, searchSvc, paymentSvc} {
		if err := svc.Subscribe(ctx, bus); err != nil {
			return err
		}
	}
	var traces func(stopping context.Context) error
	if td.recorder != nil {
		tracesLn, err := platform.Listen(ctx, catalogCfg.Host, p.TracesPort)
		if err != nil {
			return err
		}
		traces = func(stopping context.Context) error {
			return serveTraces(ctx, stopping, td.recorder, mailbox, tracesLn)
		}
	}
	printBanner(stdout, p, paymentSvc.Provider.Name(), traces != nil, mailbox != nil, environ["ADMIN_TOKEN"])
	return serveAll(ctx, logger, bus, endpoints{frontend: frontendEP, order: orderEP, search: searchEP, catalog: catalogEP, payment: paymentEP},
		[]func(context.Context, mq.Bus) error{catalogSvc.Run, orderSvc.Run, searchSvc.Run, paymentSvc.Run}, traces)
}

// printBanner tells the developer where each part of the shop answers.
func printBanner(stdout io.Writer, p ports, provider string, traces, mail bool, adminToken string) {
	fmt.Fprintf(stdout, "shop is running (Ctrl-C to stop)\n")
	fmt.Fprintf(stdout, "  storefront http://localhost:%d/\n", p.Frontend)
	fmt.Fprintf(stdout, "  catalog    http://localhost:%d/catalog\n", p.Catalog)
	fmt.Fprintf(stdout, "  search     http://localhost:%d/search?q=mug\n", p.Search)
	fmt.Fprintf(stdout, "  order      http://localhost:%d/ (POST /create-order, GET /orders/{id})\n", p.Order)
	fmt.Fprintf(stdout, "  payment    http://localhost:%d/ (provider %s; test cards in docs/payment.md)\n", p.Payment, provider)
	if traces {
		fmt.Fprintf(stdout, "  traces     http://localhost:%d/ (recent traces, in memory)\n", p.TracesPort)
	}
	if traces && mail {
		fmt.Fprintf(stdout, "  mail       http://localhost:%d/mail (emails to shoppers, in memory)\n", p.TracesPort)
	}
	fmt.Fprintf(stdout, "  admin token (catalog PUT/DELETE, POST /search/reindex): %s\n", adminToken)
}

// endpoints are the services' HTTP sides.
type endpoints struct {
	frontend, order, search, catalog, payment endpoint
}

// serveAll serves every endpoint and runs every service's consumers and
// relays on bus until ctx ends or one part fails. Shutdown runs in
// explicit steps, in dependency order: the HTTP servers drain in the order
// the services call each other (the storefront, then order and search,
// then the catalog that order calls for prices, and payment that order
// calls to tokenise), so no request in flight loses a backend it still
// needs; then the consumers and relays stop, since requests may still have
// written events and handlers write to the stores.
func serveAll(ctx context.Context, logger *slog.Logger, bus mq.Bus, eps endpoints,
	workers []func(context.Context, mq.Bus) error, traces func(stopping context.Context) error,
) error {
	// stopping ends on the signal or on the first failure of any part.
	stopping, fail := context.WithCancel(ctx)
	defer fail()
	failing := func(fn func() error) func() error {
		return func() error {
			err := fn()
			if err != nil {
				fail()
			}
			return err
		}
	}
	var servers errgroup.Group
	httpStep := func(after context.Context, ep endpoint) <-chan struct{} {
		drained := make(chan struct{})
		servers.Go(failing(func() error {
			defer close(drained)
			return stopStep(ctx, logger, "http "+ep.name, func() error { return platform.Serve(after, ep.app, ep.ln, ep.timeout) })
		}))
		return drained
	}
	frontendDrained := httpStep(stopping, eps.frontend)
	orderDrained := httpStep(doneWith(frontendDrained), eps.order)
	searchDrained := httpStep(doneWith(frontendDrained), eps.search)
	httpStep(doneWith(orderDrained, searchDrained), eps.catalog)
	httpStep(doneWith(orderDrained), eps.payment)
	if traces != nil {
		servers.Go(failing(func() error { return traces(stopping) }))
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var running errgroup.Group
	for _, run := range workers {
		running.Go(failing(func() error { return run(workCtx, bus) }))
	}
	httpErr := servers.Wait()
	stopWork()
	return errors.Join(httpErr, stopStep(ctx, logger, "consumers and relays", running.Wait))
}

// serveTraces serves the recorder's pages on ln until stopping ends. It is
// a plain net/http server: a developer's page, not a service, with no
// middleware (its own requests would otherwise fill the recorder).
func serveTraces(ctx context.Context, stopping context.Context, rec *tracing.Recorder, mailbox *order.Mailbox, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/", rec.Handler())
	if mailbox != nil {
		mux.Handle("GET /mail", mailbox.Handler())
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-stopping.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving traces: %w", err)
	}
	return nil
}

// doneWith returns a context that ends when every ch is closed.
func doneWith(chs ...<-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for _, ch := range chs {
			<-ch
		}
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
