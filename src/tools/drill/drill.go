package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/shopper"
)

// drillCommand runs shoppers against the shop while its dependencies and
// services fail in turn, then checks the books (package accounting): every
// accepted order settled, none lost or doubled, stock down by exactly what
// was confirmed. PostgreSQL and RabbitMQ are private instances the drill
// starts, so stopping them disturbs no one else on the machine.
func drillCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	sf := newStackFlags(fs, map[string]string{"users": "10", "think": "200ms", "progress": "10s", "mix": "browse=30,search=20,buy=50"})
	o := &sf.o
	gap := fs.Duration("gap", 20*time.Second, "load between one fault and the next (make drill DRILL_ARGS=-gap=5s for a short drill)")
	freeze := fs.String("freeze", "catalog", "the service frozen with SIGSTOP")
	settle := fs.Duration("settle", 90*time.Second, "how long orders may take to settle after the load ends")
	jsonOut := fs.String("json", "", "write the report and the accounting as JSON to this file")
	plotOut := fs.String("plot", "", "draw latency and throughput over time to this PNG")
	keep := fs.Bool("keep", false, "keep the run directory (logs) after the drill")
	if err := sf.parse(fs, args); err != nil {
		return err
	}
	run := "drill_" + randomHex(4)
	dir, err := os.MkdirTemp("", "shop-"+run+"-")
	if err != nil {
		return err
	}
	// The private PostgreSQL runs as the postgres user, which must reach
	// its directory inside ours.
	_ = os.Chmod(dir, 0o755)
	if !*keep {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stdout, "%s drill: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	logf("run directory %s", dir)
	cleanup := context.WithoutCancel(ctx)

	pg, err := startPrivatePostgres(ctx, dir)
	if err != nil {
		return err
	}
	defer func() { _ = pg.destroy(cleanup) }()
	logf("private PostgreSQL at %s", pg.addr)
	mq, err := startPrivateRabbit(ctx, dir, "shop-"+run)
	if err != nil {
		return err
	}
	defer func() { _ = mq.destroy(cleanup) }()
	logf("private RabbitMQ node %s at %s", mq.node, mq.url)

	st, err := sf.startStack(ctx, dir, run, pg, mq)
	if err != nil {
		return err
	}
	defer func() { _ = st.stop(cleanup) }()
	// Connections of before the faults do not outlive the PostgreSQL
	// restart: each read of the books connects anew.
	connect := func(service string) (*pgx.Conn, error) { return pgx.Connect(ctx, pg.url(st.dbs[service])) }
	catalogDB, err := connect("catalog")
	if err != nil {
		return err
	}
	before, err := accounting.Stock(ctx, catalogDB)
	_ = catalogDB.Close(cleanup)
	if err != nil {
		return err
	}
	logf("shop up (%d products); load starts", len(before))

	// The load runs until the faults are over; the lowest stock is
	// watched all along.
	o.Duration = 0
	until := make(chan struct{})
	rec := shopper.NewRecorder(time.Now())
	var rep shopper.Report
	var wg sync.WaitGroup
	wg.Go(func() { rep = shopper.Run(ctx, o, rec, until, shopper.Progress(stdout, sf.progress)) })
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	minStock := make(chan int, 1)
	go func() { minStock <- watchMinStock(watchCtx, pg, st.dbs["catalog"]) }()

	var faultErrs []error
	step := func(label string, f func() error) {
		if ctx.Err() != nil {
			return
		}
		rec.Mark(label)
		logf("%s", label)
		if err := f(); err != nil {
			logf("%s failed: %v", label, err)
			faultErrs = append(faultErrs, fmt.Errorf("%s: %w", label, err))
		}
	}
	platform.Sleep(ctx, *gap)
	step("close AMQP connections", func() error {
		n, err := mq.closeConnections(ctx)
		logf("closed %d broker connections", n)
		if err == nil && n == 0 {
			err = errors.New("no connections of the shop to close")
		}
		return err
	})
	platform.Sleep(ctx, *gap)
	step("broker stopped", func() error { return mq.stop(ctx) })
	platform.Sleep(ctx, 10*time.Second)
	step("broker started", func() error { return mq.start(ctx) })
	platform.Sleep(ctx, *gap)
	step("PostgreSQL restart", func() error { return pg.restart(ctx) })
	platform.Sleep(ctx, *gap)
	for _, name := range serviceNames {
		step("SIGTERM "+name, func() error {
			return errors.Join(st.terminate(name), st.start(ctx, name))
		})
		platform.Sleep(ctx, *gap)
	}
	step("SIGSTOP "+*freeze, func() error { return st.signal(*freeze, syscall.SIGSTOP) })
	platform.Sleep(ctx, 10*time.Second)
	step("SIGCONT "+*freeze, func() error { return st.signal(*freeze, syscall.SIGCONT) })
	platform.Sleep(ctx, *gap)
	close(until)
	logf("faults done; load stops, shoppers follow their orders")
	wg.Wait()
	rep.Print(stdout)

	dbs := map[string]*pgx.Conn{}
	for _, service := range []string{"order", "catalog", "payment"} {
		conn, err := connect(service)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(cleanup) }()
		dbs[service] = conn
	}
	books := accounting.Books{Accepted: rep.Orders.IDs, Emails: "%", StockAtStart: before, Settle: *settle, Payments: dbs["payment"]}
	acc, err := books.Check(ctx, dbs["order"], dbs["catalog"])
	stopWatch()
	lowest := <-minStock
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\naccounting (PostgreSQL): %s; lowest stock seen %d\n", acc, lowest)
	problems := acc.Err()
	if lowest < 0 {
		problems = errors.Join(problems, fmt.Errorf("stock went negative (%d)", lowest))
	}
	if problems == nil {
		fmt.Fprintln(stdout, "OK: nothing lost, nothing duplicated, stock exact")
	}
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, struct {
			shopper.Report
			Accounting accounting.Result `json:"accounting"`
			MinStock   int               `json:"min_stock"`
		}{rep, acc, lowest}); err != nil {
			return err
		}
	}
	if *plotOut != "" {
		if err := drawTimeline(rep, "Resilience drill: storefront latency and throughput", *plotOut); err != nil {
			return err
		}
	}
	if *keep {
		logf("logs kept in %s", dir)
	}
	return errors.Join(append(faultErrs, problems)...)
}

// watchMinStock samples the lowest stock every second until ctx ends;
// queries failing while PostgreSQL restarts are skipped.
func watchMinStock(ctx context.Context, pg *postgres, db string) int {
	lowest := 1 << 30
	for {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if conn, err := pgx.Connect(qctx, pg.url(db)); err == nil {
			var n int
			if conn.QueryRow(qctx, `SELECT coalesce(min(stock), 0) FROM products`).Scan(&n) == nil {
				lowest = min(lowest, n)
			}
			_ = conn.Close(context.Background())
		}
		cancel()
		if !platform.Sleep(ctx, time.Second) {
			return lowest
		}
	}
}
