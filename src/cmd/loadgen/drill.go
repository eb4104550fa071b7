package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// drillCommand runs shoppers against the shop while its dependencies and
// services fail in turn, then checks the books: every accepted order
// settled, none lost or doubled, stock down by exactly what was confirmed.
// PostgreSQL and RabbitMQ are private instances the drill starts, so
// stopping them disturbs no one else on the machine.
func drillCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadgen drill", flag.ContinueOnError)
	sf := newStackFlags(fs, map[string]string{"users": "10", "think": "200ms", "progress": "10s", "mix": "browse=30,search=20,buy=50"})
	o := &sf.o
	gap := fs.Duration("gap", 20*time.Second, "load between one fault and the next")
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
	logf("private PostgreSQL on port %d", pg.port)
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
	before, err := stockLevels(ctx, pg, st.dbs["catalog"])
	if err != nil {
		return err
	}
	logf("shop up (%d products); load starts", len(before))

	// The load runs until the faults are over; minimum stock is watched
	// all along.
	o.duration = maxDuration
	until := make(chan struct{})
	o.until = until
	recCh := make(chan *recorder, 1)
	var rep Report
	var wg sync.WaitGroup
	wg.Go(func() {
		rep = runLoad(ctx, o, newProgress(stdout, o.progressEvery), func(r *recorder) { recCh <- r })
	})
	rec := <-recCh
	watchCtx, stopWatch := context.WithCancel(ctx)
	minStock := make(chan int, 1)
	go func() { minStock <- watchMinStock(watchCtx, pg, st.dbs["catalog"]) }()

	var faultErrs []error
	step := func(label string, f func() error) {
		if ctx.Err() != nil {
			return
		}
		rec.mark(time.Now(), label)
		logf("%s", label)
		if err := f(); err != nil {
			logf("%s failed: %v", label, err)
			faultErrs = append(faultErrs, fmt.Errorf("%s: %w", label, err))
		}
	}
	wait := func(d time.Duration) { _ = sleep(ctx, d) }

	wait(*gap)
	step("close AMQP connections", func() error {
		n, err := mq.closeConnections(ctx)
		logf("closed %d broker connections", n)
		if err == nil && n == 0 {
			err = errors.New("no connections of the shop to close")
		}
		return err
	})
	wait(*gap)
	step("broker stopped", func() error { return mq.stop(ctx) })
	wait(10 * time.Second)
	step("broker started", func() error { return mq.start(ctx) })
	wait(*gap)
	step("PostgreSQL restart", func() error { return pg.restart(ctx) })
	wait(*gap)
	for _, name := range serviceNames {
		step("SIGTERM "+name, func() error {
			return errors.Join(st.terminate(name), st.start(ctx, name))
		})
		wait(*gap)
	}
	step("SIGSTOP "+*freeze, func() error { return st.signal(*freeze, syscall.SIGSTOP) })
	wait(10 * time.Second)
	step("SIGCONT "+*freeze, func() error { return st.signal(*freeze, syscall.SIGCONT) })
	wait(*gap)
	close(until)
	logf("faults done; load stops, shoppers follow their orders")
	wg.Wait()
	printReport(stdout, rep)

	acc, err := account(ctx, pg, st.dbs, before, rep.Orders.IDs, *settle)
	stopWatch()
	acc.MinStock = <-minStock
	if err != nil {
		return err
	}
	printAccounting(stdout, acc)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(struct {
			Report
			Accounting Accounting `json:"accounting"`
		}{rep, acc}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *plotOut != "" {
		if err := drawTimeline(rep, "Resilience drill: storefront latency and throughput", *plotOut); err != nil {
			return err
		}
	}
	if *keep {
		logf("logs kept in %s", filepath.Clean(dir))
	}
	return errors.Join(append(faultErrs, acc.problems()...)...)
}

// Accounting is the drill's books: the orders the shoppers were told were
// accepted against what the order and catalog databases hold.
type Accounting struct {
	Accepted  int `json:"accepted"`
	Stored    int `json:"stored"`
	Confirmed int `json:"confirmed"`
	Rejected  int `json:"rejected"`
	Pending   int `json:"pending"`
	Lost      int `json:"lost"`
	// Duplicated counts orders beyond the first of one checkout (each
	// checkout has its own email address).
	Duplicated int `json:"duplicated"`
	// Unanswered are stored orders whose shopper never got an answer (the
	// storefront died mid-request): not lost, and they must settle too.
	Unanswered int `json:"unanswered"`
	// Contradicted counts orders whose status the shopper saw as final
	// and the database holds differently.
	Contradicted    int     `json:"contradicted"`
	ConfirmedUnits  int     `json:"confirmed_units"`
	StockBefore     int     `json:"stock_before"`
	StockAfter      int     `json:"stock_after"`
	StockMismatches int     `json:"stock_mismatches"`
	MinStock        int     `json:"min_stock"`
	SettleS         float64 `json:"settle_s"`
}

func (a Accounting) problems() []error {
	var errs []error
	check := func(bad bool, format string, v ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, v...))
		}
	}
	check(a.Pending != 0, "%d orders still pending after the settle timeout", a.Pending)
	check(a.Lost != 0, "%d accepted orders are not stored", a.Lost)
	check(a.Duplicated != 0, "%d orders are duplicates", a.Duplicated)
	check(a.Contradicted != 0, "%d orders differ from what the shopper was shown", a.Contradicted)
	check(a.StockMismatches != 0, "%d products' stock is not down by exactly the confirmed quantities", a.StockMismatches)
	check(a.MinStock < 0, "stock went negative (%d)", a.MinStock)
	check(a.Accepted == 0, "no order was accepted: the drill measured nothing")
	return errs
}

func printAccounting(w io.Writer, a Accounting) {
	fmt.Fprintf(w, "\naccounting (PostgreSQL):\n")
	fmt.Fprintf(w, "  orders accepted %d, stored %d (confirmed %d, rejected %d, pending %d after %.0fs)\n",
		a.Accepted, a.Stored, a.Confirmed, a.Rejected, a.Pending, a.SettleS)
	fmt.Fprintf(w, "  lost %d, duplicated %d, stored without an answer to the shopper %d, status contradicted %d\n",
		a.Lost, a.Duplicated, a.Unanswered, a.Contradicted)
	fmt.Fprintf(w, "  stock %d -> %d, confirmed units %d, products off by any amount %d, lowest stock seen %d\n",
		a.StockBefore, a.StockAfter, a.ConfirmedUnits, a.StockMismatches, a.MinStock)
	if len(a.problems()) == 0 {
		fmt.Fprintln(w, "  OK: nothing lost, nothing duplicated, stock exact")
	}
}

func stockLevels(ctx context.Context, pg *postgres, db string) (map[string]int, error) {
	conn, err := pgx.Connect(ctx, pg.url(db))
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rows, err := conn.Query(ctx, `SELECT id, stock FROM products`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var id string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, err
}

// watchMinStock samples the lowest stock every second until ctx ends;
// queries failing while PostgreSQL restarts are skipped.
func watchMinStock(ctx context.Context, pg *postgres, db string) int {
	lowest := 1 << 30
	for ctx.Err() == nil {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if conn, err := pgx.Connect(qctx, pg.url(db)); err == nil {
			var n int
			if conn.QueryRow(qctx, `SELECT coalesce(min(stock), 0) FROM products`).Scan(&n) == nil {
				lowest = min(lowest, n)
			}
			_ = conn.Close(context.Background())
		}
		cancel()
		_ = sleep(ctx, time.Second)
	}
	return lowest
}

// account waits for every stored order to settle, then compares.
func account(ctx context.Context, pg *postgres, dbs map[string]string, before map[string]int, accepted map[string]string, settle time.Duration) (Accounting, error) {
	a := Accounting{Accepted: len(accepted)}
	start := time.Now()
	type row struct {
		id, status, email string
		items             []struct {
			ProductID string `json:"product_id"`
			Quantity  int    `json:"quantity"`
		}
	}
	var rows []row
	for {
		conn, err := pgx.Connect(ctx, pg.url(dbs["order"]))
		if err != nil {
			return a, err
		}
		r, err := conn.Query(ctx, `SELECT id::text, status, customer->>'email', items FROM orders`)
		if err != nil {
			_ = conn.Close(context.Background())
			return a, err
		}
		rows = rows[:0]
		var x row
		_, err = pgx.ForEachRow(r, []any{&x.id, &x.status, &x.email, &x.items}, func() error {
			rows = append(rows, x)
			x = row{}
			return nil
		})
		_ = conn.Close(context.Background())
		if err != nil {
			return a, err
		}
		pending := 0
		for _, r := range rows {
			if r.status == "pending" {
				pending++
			}
		}
		if pending == 0 || time.Since(start) > settle {
			break
		}
		if err := sleep(ctx, time.Second); err != nil {
			return a, err
		}
	}
	a.SettleS = time.Since(start).Seconds()
	after, err := stockLevels(ctx, pg, dbs["catalog"])
	if err != nil {
		return a, err
	}
	stored := map[string]bool{}
	perEmail := map[string]int{}
	taken := map[string]int{}
	for _, r := range rows {
		stored[r.id] = true
		perEmail[r.email]++
		switch r.status {
		case "confirmed":
			a.Confirmed++
			for _, it := range r.items {
				taken[it.ProductID] += it.Quantity
				a.ConfirmedUnits += it.Quantity
			}
		case "rejected":
			a.Rejected++
		default:
			a.Pending++
		}
		seen, ok := accepted[r.id]
		if !ok {
			a.Unanswered++
		} else if (seen == "confirmed" || seen == "rejected") && seen != r.status {
			a.Contradicted++
		}
	}
	a.Stored = len(rows)
	for id := range accepted {
		if !stored[id] {
			a.Lost++
		}
	}
	for _, n := range perEmail {
		a.Duplicated += n - 1
	}
	for id, n := range before {
		a.StockBefore += n
		a.StockAfter += after[id]
		if after[id] != n-taken[id] {
			a.StockMismatches++
		}
	}
	return a, nil
}
