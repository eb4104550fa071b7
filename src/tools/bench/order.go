package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// Settings of the order scenario.
const (
	orderRunTime   = 5 * time.Second
	orderRounds    = 3
	orderPoolConns = "16"
	sagaRate       = 100.0
	sagaRunTime    = 20 * time.Second
	benchStock     = 10_000_000
)

// orderClients are the client counts both the service and pgbench are run at.
var orderClients = []int{16, 64}

// benchOrder measures POST /create-order on PostgreSQL next to pgbench
// running the same two-row transaction (the order and its outbox event) on
// the same database, then the created->confirmed latency of the whole saga
// over RabbitMQ at a fixed rate.
func benchOrder(ctx context.Context, sum *summary, c *cleanups) error {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		return errors.New("pgbench not found: install the Debian package postgresql-client (apt-get install postgresql-client)")
	}
	catalogSvc, catalogURL, err := startBenchCatalog(ctx, c)
	if err != nil {
		return err
	}
	// The HTTP path alone: the service's relay does not run in this phase,
	// and the service is closed before the saga's starts.
	var httpPhase cleanups
	c.add(httpPhase.close)
	orders, err := startBenchOrder(ctx, &httpPhase, "order", catalogURL)
	if err != nil {
		return err
	}
	orderURL, dbURL := orders.url, orders.dbURL

	fmt.Printf("POST /create-order (2 lines, prices from the catalog over HTTP), order pool %s connections; median of %d alternating %s runs each; relay not running\n",
		orderPoolConns, orderRounds, orderRunTime)
	fmt.Printf("pgbench: the same INSERT orders + INSERT outbox transaction (-M prepared), same database, same client counts\n\n")
	_ = createOrders(ctx, orderURL, 16, 0, orderRunTime/2, false) // warm-up: connections, caches, statement cache
	script, err := pgbenchScript(ctx, dbURL)
	if err != nil {
		return err
	}
	fmt.Printf("| clients | order service | pgbench (2-row tx) | ratio | service p50 | service p99 | errors |\n|---|---|---|---|---|---|---|\n")
	var firstErrs []string
	for _, clients := range orderClients {
		// Short runs of each side alternate and the medians are compared,
		// so a burst of load from other processes hits both alike.
		var shops []shopper.Result
		var tpss []float64
		for range orderRounds {
			r := createOrders(ctx, orderURL, clients, 0, orderRunTime, false)
			if r.FirstErr != nil {
				firstErrs = append(firstErrs, fmt.Sprintf("%d clients: %v", clients, r.FirstErr))
			}
			tps, err := runPgbench(ctx, pgbench, script, dbURL, clients)
			if err != nil {
				return err
			}
			shops, tpss = append(shops, r), append(tpss, tps)
		}
		slices.SortFunc(shops, func(a, b shopper.Result) int { return cmp.Compare(a.RPS(), b.RPS()) })
		slices.Sort(tpss)
		shop, tps := shops[orderRounds/2], tpss[orderRounds/2]
		sum.ratio(fmt.Sprintf("create-order vs pgbench, %d clients", clients), shop.RPS(), tps, "/s", 0.5)
		fmt.Printf("| %d | %.0f orders/s | %.0f tx/s | %.2f | %s | %s | %d |\n", clients, shop.RPS(), tps, shop.RPS()/tps,
			shop.Percentile(50).Round(time.Microsecond), shop.Percentile(99).Round(time.Microsecond), shop.Errors)
	}
	for _, e := range firstErrs {
		fmt.Printf("\nfirst error at %s", e)
	}
	fmt.Printf("\nratio target >= 0.5\n\n")
	httpPhase.close()
	return benchSaga(ctx, sum, c, catalogSvc, catalogURL)
}

// startBenchCatalog serves a catalog on its own fresh database, with
// products that have stock enough for every order of the run.
func startBenchCatalog(ctx context.Context, c *cleanups) (*catalog.Service, string, error) {
	dbURL, err := freshDatabase(ctx, "order_catalog")
	if err != nil {
		return nil, "", err
	}
	// A small pool: prices come from its cache, and pgbench at 64 clients
	// needs room under the server's max_connections.
	svc, url, err := serveCatalog(ctx, c, map[string]string{"DATABASE_URL": dbURL, "DATABASE_MAX_CONNS": "4"})
	if err != nil {
		return nil, "", err
	}
	for _, id := range []string{benchProductA, benchProductB} {
		in := catalog.ProductInput{Name: "Bench " + id, Category: "bench", PriceCents: 1999, Currency: "USD", Stock: benchStock}
		if _, _, err := svc.Store.Upsert(ctx, id, in); err != nil {
			return nil, "", err
		}
	}
	return svc, url, nil
}

// benchOrderService is an order service on a fresh database of its own,
// served, with the payment service it tokenises cards with (embedded
// store, test provider; its Run charges the orders in the saga bench).
type benchOrderService struct {
	order      *order.Service
	payment    *payment.Service
	url, dbURL string
}

// startBenchOrder recreates the benchmark database for part and starts a
// benchOrderService on it, pricing orders with the catalog at catalogURL.
func startBenchOrder(ctx context.Context, c *cleanups, part, catalogURL string) (_ *benchOrderService, err error) {
	s := &benchOrderService{}
	if s.dbURL, err = freshDatabase(ctx, part); err != nil {
		return nil, err
	}
	logger := slog.New(slog.DiscardHandler)
	payCfg, err := platform.LoadConfig[payment.Config](map[string]string{})
	if err != nil {
		return nil, err
	}
	if s.payment, err = payment.Open(ctx, payCfg, logger); err != nil {
		return nil, err
	}
	c.add(s.payment.Close)
	payURL, err := serve(ctx, c, s.payment.App)
	if err != nil {
		return nil, err
	}
	cfg, err := platform.LoadConfig[order.Config](map[string]string{
		"DATABASE_URL": s.dbURL, "DATABASE_MAX_CONNS": orderPoolConns, "CATALOG_URL": catalogURL, "PAYMENT_URL": payURL,
	})
	if err != nil {
		return nil, err
	}
	if s.order, err = order.Open(ctx, cfg, logger); err != nil {
		return nil, err
	}
	c.add(s.order.Close)
	s.url, err = serve(ctx, c, s.order.App)
	return s, err
}

// The products every bench order buys, and benchOrderBody, the order every
// bench request places: two lines of products with plenty of stock, so the
// saga confirms them all (the bytes json.Marshal writes for it).
const (
	benchProductA  = "bench-widget-a"
	benchProductB  = "bench-widget-b"
	benchOrderBody = `{"customer":{"address":{"city":"Leeds","country":"GB","line1":"1 Load Street","line2":"","postal_code":"LS1 1AA"},` +
		`"email":"bench@example.com","name":"Bench Customer"},` +
		`"items":[{"product_id":"` + benchProductA + `","quantity":1},{"product_id":"` + benchProductB + `","quantity":2}],` +
		`"payment":{"card_number":"4242424242424242","cvc":"123","exp_month":12,"exp_year":2040}}`
)

// createOrders drives POST /create-order; rate 0 is closed loop. Keyed
// orders each carry an Idempotency-Key of their own, as the storefront's do.
func createOrders(ctx context.Context, base string, clients int, rate float64, d time.Duration, keyed bool) shopper.Result {
	client := shopper.NewClient(clients)
	return shopper.Drive(ctx, shopper.Load{Workers: clients, Duration: d, Rate: rate}, func(ctx context.Context, _ int) error {
		key := ""
		if keyed {
			key = uuid.NewString()
		}
		return placeOrder(ctx, client, base, key)
	})
}

// placeOrder POSTs benchOrderBody to base's /create-order, with key as its
// Idempotency-Key unless key is empty, and expects 202.
func placeOrder(ctx context.Context, client *http.Client, base, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/create-order", strings.NewReader(benchOrderBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /create-order: status %d %s", resp.StatusCode, body)
	}
	return nil
}

// pgbenchScript writes, to a temporary directory, a pgbench script of the
// transaction the order service commits for one order: the orders row and
// the outbox row, with the JSON values of a real order the warm-up stored,
// so column shapes and sizes match.
func pgbenchScript(ctx context.Context, dbURL string) (string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close(ctx) }()
	var customer, items, envelope, eventType, currency string
	var total int64
	err = conn.QueryRow(ctx, `SELECT o.customer::text, o.items::text, o.total_cents, o.currency, e.envelope::text, e.type
		FROM orders o JOIN outbox e ON e.envelope->'data'->>'order_id' = o.id::text LIMIT 1`).
		Scan(&customer, &items, &total, &currency, &envelope, &eventType)
	if err != nil {
		return "", fmt.Errorf("reading a stored order to copy: %w", err)
	}
	lits := make([]string, 3)
	for i, raw := range []string{customer, items, envelope} {
		if lits[i], err = pgbenchJSON(raw); err != nil {
			return "", err
		}
	}
	script := fmt.Sprintf(`BEGIN;
INSERT INTO orders (id, status, reason, customer, items, subtotal_cents, total_cents, currency, idempotency_key, request_hash, created_at, updated_at) VALUES (gen_random_uuid(), 'pending', '', %s::jsonb, %s::jsonb, %d, %d, '%s', NULL, NULL, now(), now());
INSERT INTO outbox (id, type, envelope, created_at) VALUES (gen_random_uuid(), '%s', %s::jsonb, now());
END;
`, lits[0], lits[1], total, total, currency, eventType, lits[2])
	dir, err := os.MkdirTemp("", "shop-bench-order-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "order.sql")
	return path, os.WriteFile(path, []byte(script), 0o600)
}

// pgbenchJSON turns a JSON document as jsonb prints it into an SQL literal
// pgbench leaves alone: pgbench takes ":name" for a variable, even inside
// quotes. jsonb prints ": " after every key, so any other colon is inside
// a string, where \u003a stands for it. The document's value, and so its
// jsonb, does not change; the function checks that it did not.
func pgbenchJSON(raw string) (string, error) {
	literal := strings.NewReplacer(": ", ": ", ":", `\u003a`).Replace(raw)
	var want, got any
	if err := json.Unmarshal([]byte(raw), &want); err != nil {
		return "", fmt.Errorf("stored JSON: %w", err)
	}
	if err := json.Unmarshal([]byte(literal), &got); err != nil {
		return "", fmt.Errorf("rewriting JSON for pgbench: %w", err)
	}
	if !reflect.DeepEqual(want, got) {
		return "", errors.New("rewriting JSON for pgbench changed its value")
	}
	return "'" + strings.ReplaceAll(literal, "'", "''") + "'", nil
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs script at clients connections for orderRunTime and
// returns its transactions per second.
func runPgbench(ctx context.Context, pgbench, script, dbURL string, clients int) (float64, error) {
	threads := min(clients, 2)
	var out []byte
	var err error
	// Other processes share the server's connections: when they briefly
	// hold too many for pgbench's clients, try again.
	for try := 1; ; try++ {
		cmd := exec.CommandContext(ctx, pgbench, "-n", "-M", "prepared", "-f", script,
			"-c", strconv.Itoa(clients), "-j", strconv.Itoa(threads), "-T", strconv.Itoa(int(orderRunTime.Seconds())), dbURL)
		out, err = cmd.CombinedOutput()
		if err == nil {
			break
		}
		if try == 5 || !bytes.Contains(out, []byte("too many clients")) {
			return 0, fmt.Errorf("pgbench at %d clients: %w\n%s", clients, err, out)
		}
		time.Sleep(2 * time.Second)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// benchSaga runs the whole saga (order and catalog services, their relays
// and consumers, RabbitMQ) and measures, per order, the time from its
// creation to its final state as the database records them.
func benchSaga(ctx context.Context, sum *summary, c *cleanups, catalogSvc *catalog.Service, catalogURL string) error {
	amqpURL := cmp.Or(os.Getenv("BENCH_AMQP_URL"), "amqp://guest:guest@127.0.0.1:5672/")
	probe, err := amqp.Dial(amqpURL)
	if err != nil {
		return fmt.Errorf("RabbitMQ at %s (BENCH_AMQP_URL): %w", platform.Secret(amqpURL), err)
	}
	_ = probe.Close()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	broker := mq.Config{URL: platform.Secret(amqpURL), Exchange: "bench.events." + suffix, QueuePrefix: "bench-" + suffix + "."}
	c.add(func() { deleteBrokerObjects(amqpURL, broker) })

	orders, err := startBenchOrder(ctx, c, "order_saga", catalogURL)
	if err != nil {
		return err
	}
	// Each service on a bus of its own, as in its own process: its
	// consumers subscribed, then its relay run. The runs all stop before
	// the first bus closes.
	runCtx, stopRun := context.WithCancel(ctx)
	var running sync.WaitGroup
	var buses cleanups
	c.add(buses.close)
	c.add(func() { stopRun(); running.Wait() })
	services := map[string][2]func(context.Context, mq.Bus) error{
		"order": {orders.order.Subscribe, orders.order.Run}, "catalog": {catalogSvc.Subscribe, catalogSvc.Run},
		"payment": {orders.payment.Subscribe, orders.payment.Run}, "search": {productSink, untilDone},
	}
	for name, svc := range services {
		bus, err := mq.Open(broker, mq.Options{ConnectionName: name})
		if err != nil {
			return err
		}
		buses.add(func() { _ = bus.Close() })
		if err := svc[0](ctx, bus); err != nil {
			return err
		}
		running.Go(func() {
			if err := svc[1](runCtx, bus); err != nil {
				fmt.Fprintln(os.Stderr, "bench: saga service:", err)
			}
		})
	}

	conn, err := pgx.Connect(ctx, orders.dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	// Warm-up: the consumers have declared their queues and the first
	// orders went all the way through before measuring.
	if r := createOrders(ctx, orders.url, 16, sagaRate, 2*time.Second, false); r.FirstErr != nil {
		return fmt.Errorf("warm-up: %w", r.FirstErr)
	}
	if err := waitSettled(ctx, conn, time.Minute); err != nil {
		return err
	}
	start := time.Now()
	load := createOrders(ctx, orders.url, 32, sagaRate, sagaRunTime, false)
	if err := waitSettled(ctx, conn, time.Minute); err != nil {
		return err
	}
	var n, confirmed int
	var p50, p99, worst float64
	err = conn.QueryRow(ctx, `
		WITH l AS (SELECT status, EXTRACT(EPOCH FROM updated_at - created_at) * 1000 AS ms FROM orders WHERE created_at >= $1)
		SELECT count(*), count(*) FILTER (WHERE status = 'confirmed'),
			percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), percentile_disc(0.99) WITHIN GROUP (ORDER BY ms), max(ms) FROM l`,
		start).Scan(&n, &confirmed, &p50, &p99, &worst)
	if err != nil {
		return fmt.Errorf("reading latencies: %w", err)
	}
	fmt.Printf("saga on PostgreSQL + RabbitMQ (order, catalog, a no-op search consumer): %.0f orders/s open loop for %s; created_at -> updated_at (final state) per order\n\n", sagaRate, sagaRunTime)
	fmt.Printf("| orders | confirmed | p50 | p99 | max | create-order HTTP p50 | p99 | errors |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| %d | %d | %.1f ms | %.1f ms | %.1f ms | %s | %s | %d |\n", n, confirmed, p50, p99, worst,
		load.Percentile(50).Round(time.Microsecond), load.Percentile(99).Round(time.Microsecond), load.Errors)
	if load.FirstErr != nil {
		fmt.Printf("\nfirst error: %v\n", load.FirstErr)
	}
	fmt.Printf("\ncreated->confirmed p99 target <= 250 ms\n")
	sum.latency("created->final p99, 100 orders/s", time.Duration(p99*float64(time.Millisecond)), 0, 250*time.Millisecond)
	return nil
}

// productSinkQueue names the stand-in's queue (its dead-letter queue is
// durable and deleted after the run).
const productSinkQueue = "search.bench"

// productSink stands in for the search service, the consumer of the
// catalog's product events (a reservation changes its products' stock):
// without one bound, those events are unroutable and the catalog's relay
// retries them, oldest first, ahead of the stock outcomes.
func productSink(ctx context.Context, bus mq.Bus) error {
	return bus.Subscribe(ctx, mq.Subscription{
		Queue: productSinkQueue, PerReplica: true, Types: []string{events.ProductUpserted, events.ProductDeleted},
		Handler: func(context.Context, events.Envelope) error { return nil },
	})
}

// untilDone is the stand-in's work: none, until ctx ends.
func untilDone(ctx context.Context, _ mq.Bus) error {
	<-ctx.Done()
	return nil
}

// waitSettled waits until no order is pending.
func waitSettled(ctx context.Context, conn *pgx.Conn, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var pending int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status = 'pending'`).Scan(&pending); err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d orders still pending after %s", pending, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// deleteBrokerObjects removes the run's durable queues and exchanges.
func deleteBrokerObjects(amqpURL string, broker mq.Config) {
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: cleaning up the broker:", err)
		return
	}
	defer func() { _ = conn.Close() }()
	// A failed operation closes its channel: one channel each.
	do := func(op func(ch *amqp.Channel) error) {
		if ch, err := conn.Channel(); err == nil {
			_ = op(ch)
			_ = ch.Close()
		}
	}
	for _, q := range []string{catalog.ReserveQueue, order.SettleQueue, productSinkQueue} {
		for _, name := range []string{broker.QueuePrefix + q, broker.QueuePrefix + q + ".dlq"} {
			do(func(ch *amqp.Channel) error { _, err := ch.QueueDelete(name, false, false, false); return err })
		}
	}
	for _, x := range []string{broker.Exchange, broker.Exchange + ".dlx"} {
		do(func(ch *amqp.Channel) error { return ch.ExchangeDelete(x, false, false) })
	}
}
