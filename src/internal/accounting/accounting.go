// Package accounting checks the books of a run that placed orders: every
// order a client was told was accepted is stored exactly once and ends
// confirmed or rejected (or, later, cancelled or shipped), no checkout was
// stored twice, the stock moved by exactly the quantities of the orders
// that kept it (confirmed and shipped), and, with the payments database,
// the money: every kept order captured exactly once for its total, nothing
// captured for a rejected order, a refund for every cancellation. It reads the order and catalog
// databases (the orders and products tables) with PostgreSQL's own
// numbers, so a client that was told wrong cannot hide it. The drill and
// make e2e (src/tools) and the saga tests (src/cmd/shop) all count this way.
package accounting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DB is a database the accounting reads: a *pgx.Conn or a *pgxpool.Pool.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Stock reads every product's stock from the catalog's database.
func Stock(ctx context.Context, catalog DB) (map[string]int, error) {
	return sums(ctx, catalog, `SELECT id, stock FROM products`)
}

// sums reads rows of a key and a number into a map.
func sums(ctx context.Context, db DB, query string, args ...any) (map[string]int, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var key string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&key, &n}, func() error { out[key] = n; return nil })
	return out, err
}

// Books are what a run is checked against.
type Books struct {
	// Accepted maps every order the client was told was accepted to the
	// status it last saw ("pending" when it did not follow the order).
	Accepted map[string]string
	// Emails is the SQL LIKE pattern of the customer emails of the run's
	// orders ("%": every order). Each checkout has an address of its own
	// (shopper.Run's shopper-<run>-<n>@example.com), so two orders with
	// one address are one checkout stored twice.
	Emails string
	// StockAtStart, when set, is every product's stock before the first
	// order in the database: each must equal its stock now plus the
	// quantities of every confirmed order.
	StockAtStart map[string]int
	// AllAnswered says every request of the run was answered, so an
	// order stored that the client was never told about is a problem
	// rather than the answer a dropped connection lost.
	AllAnswered bool
	// Settle is how long orders may stay pending, and the compensations
	// (stock released, refunds) that follow them may lag.
	Settle time.Duration
	// Payments, when set, is the payment service's database (payments
	// table and outbox): the money is checked too.
	Payments DB
}

// Result is the outcome of Check.
type Result struct {
	Accepted, Stored, Confirmed, Rejected, Pending, Cancelled, Shipped int
	// Lost are accepted orders not stored; Duplicated orders beyond the
	// first of one checkout; Unanswered stored orders the client was not
	// told about; Contradicted orders the client saw final and the
	// database holds otherwise.
	Lost, Duplicated, Unanswered, Contradicted int
	// RejectedWithoutReason are rejected orders that do not say why.
	RejectedWithoutReason int
	// ConfirmedUnits are the quantities of the confirmed orders of the
	// whole database; StockMismatches the products whose stock is not
	// their stock at start less those; NegativeStock those below zero.
	ConfirmedUnits, StockBefore, StockAfter, StockMismatches, NegativeStock int
	SettleS                                                                 float64
	// The money, with Books.Payments: Captured orders and their cents,
	// Refunded ones; MoneyMismatches the orders whose payment disagrees
	// with their status (a kept order not captured once for its total, a
	// rejected order captured, a cancelled one not refunded).
	Captured, Refunded           int
	CapturedCents, RefundedCents int64
	MoneyMismatches              int
	allAnswered, stockChecked    bool
	moneyChecked                 bool
}

// Check waits up to Settle for the run's orders (and, with StockAtStart,
// every order) to be final, then compares the books with the databases.
func (b Books) Check(ctx context.Context, orders, catalog DB) (Result, error) {
	r := Result{Accepted: len(b.Accepted), allAnswered: b.AllAnswered, stockChecked: b.StockAtStart != nil}
	start := time.Now()
	if err := b.settle(ctx, orders, start); err != nil {
		return r, err
	}
	r.SettleS = time.Since(start).Seconds()
	if err := b.countOrders(ctx, orders, &r); err != nil {
		return r, err
	}
	// The compensations follow the orders' final statuses through the
	// bus: the books are read again until they balance or Settle is up.
	for {
		if b.StockAtStart != nil {
			if err := b.checkStock(ctx, orders, catalog, &r); err != nil {
				return r, err
			}
		}
		if b.Payments != nil {
			if err := b.checkMoney(ctx, orders, &r); err != nil {
				return r, err
			}
		}
		if r.StockMismatches == 0 && r.MoneyMismatches == 0 || time.Since(start) > b.Settle {
			return r, nil
		}
		if err := pause(ctx); err != nil {
			return r, err
		}
	}
}

// settle waits until no order Check looks at is pending, or until Settle
// has passed since start.
func (b Books) settle(ctx context.Context, orders DB, start time.Time) error {
	waitFor := b.Emails
	if b.StockAtStart != nil {
		waitFor = "%"
	}
	for {
		var pending int
		err := orders.QueryRow(ctx, `SELECT count(*) FROM orders WHERE status = 'pending' AND customer->>'email' LIKE $1`, waitFor).Scan(&pending)
		if err != nil {
			return fmt.Errorf("counting pending orders: %w", err)
		}
		if pending == 0 || time.Since(start) > b.Settle {
			return nil
		}
		if err := pause(ctx); err != nil {
			return err
		}
	}
}

// pause waits a moment between two reads of the books.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(250 * time.Millisecond):
		return nil
	}
}

// countOrders counts the run's stored orders by status and compares them
// with what the client was told: lost, duplicated, unanswered and
// contradicted orders.
func (b Books) countOrders(ctx context.Context, orders DB, r *Result) error {
	rows, err := orders.Query(ctx, `SELECT id::text, status, reason, customer->>'email' FROM orders WHERE customer->>'email' LIKE $1`, b.Emails)
	if err != nil {
		return fmt.Errorf("reading orders: %w", err)
	}
	stored, perEmail := map[string]bool{}, map[string]int{}
	var id, status, reason, email string
	_, err = pgx.ForEachRow(rows, []any{&id, &status, &reason, &email}, func() error {
		stored[id] = true
		perEmail[email]++
		r.countStatus(status, reason)
		if seen, ok := b.Accepted[id]; !ok {
			r.Unanswered++
		} else if seen != "pending" && seen != status {
			r.Contradicted++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading orders: %w", err)
	}
	r.Stored = len(stored)
	for id := range b.Accepted {
		if !stored[id] {
			r.Lost++
		}
	}
	for _, n := range perEmail {
		r.Duplicated += n - 1
	}
	return nil
}

// countStatus counts one stored order by its status.
func (r *Result) countStatus(status, reason string) {
	switch status {
	case "confirmed":
		r.Confirmed++
	case "rejected":
		r.Rejected++
		if reason == "" {
			r.RejectedWithoutReason++
		}
	case "cancelled":
		r.Cancelled++
	case "shipped":
		r.Shipped++
	default:
		r.Pending++
	}
}

// checkMoney compares every order of the run with its payment: a
// confirmed or shipped order has one captured payment of its total and
// one payment.captured event; a rejected one nothing captured; a
// cancelled one its payment refunded.
func (b Books) checkMoney(ctx context.Context, orders DB, r *Result) error {
	r.moneyChecked = true
	r.Captured, r.Refunded, r.CapturedCents, r.RefundedCents, r.MoneyMismatches = 0, 0, 0, 0, 0
	type order struct {
		status string
		total  int64
	}
	rows, err := orders.Query(ctx, `SELECT id::text, status, total_cents FROM orders WHERE customer->>'email' LIKE $1`, b.Emails)
	if err != nil {
		return fmt.Errorf("reading orders: %w", err)
	}
	run := map[string]order{}
	var id, status string
	var cents int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &status, &cents}, func() error { run[id] = order{status, cents}; return nil }); err != nil {
		return fmt.Errorf("reading orders: %w", err)
	}
	type payment struct {
		status string
		amount int64
	}
	paid := map[string]payment{}
	rows, err = b.Payments.Query(ctx, `SELECT order_id::text, status, amount_cents FROM payments`)
	if err != nil {
		return fmt.Errorf("reading payments: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&id, &status, &cents}, func() error { paid[id] = payment{status, cents}; return nil }); err != nil {
		return fmt.Errorf("reading payments: %w", err)
	}
	captures, err := sums(ctx, b.Payments, `SELECT envelope->'data'->>'order_id', count(*) FROM outbox WHERE type = 'shop.payment.captured.v1' GROUP BY 1`)
	if err != nil {
		return fmt.Errorf("counting captures: %w", err)
	}
	for id, o := range run {
		p := paid[id]
		if p.status == "captured" || p.status == "refunded" {
			r.Captured++
			r.CapturedCents += p.amount
		}
		if p.status == "refunded" {
			r.Refunded++
			r.RefundedCents += p.amount
		}
		var ok bool
		switch o.status {
		case "confirmed", "shipped":
			ok = p.status == "captured" && p.amount == o.total && captures[id] == 1
		case "rejected":
			ok = p.status != "captured" && p.status != "refunded" && captures[id] == 0
		case "cancelled":
			ok = p.status == "refunded" && p.amount == o.total && captures[id] == 1
		default:
			ok = true // pending: counted as such
		}
		if !ok {
			r.MoneyMismatches++
		}
	}
	return nil
}

// checkStock compares every product's stock now plus the quantities of
// the orders that kept their stock (confirmed and shipped; a rejected or
// cancelled order's reservation is released) with its stock at start.
func (b Books) checkStock(ctx context.Context, orders, catalog DB, r *Result) error {
	r.StockBefore, r.StockAfter, r.ConfirmedUnits, r.StockMismatches, r.NegativeStock = 0, 0, 0, 0, 0
	sold, err := sums(ctx, orders, `SELECT l->>'product_id', sum((l->>'quantity')::int)
		FROM orders, jsonb_array_elements(items) AS l WHERE status IN ('confirmed', 'shipped') GROUP BY 1`)
	if err != nil {
		return fmt.Errorf("summing confirmed quantities: %w", err)
	}
	now, err := Stock(ctx, catalog)
	if err != nil {
		return fmt.Errorf("reading stock: %w", err)
	}
	for id, n := range b.StockAtStart {
		r.StockBefore += n
		r.StockAfter += now[id]
		r.ConfirmedUnits += sold[id]
		if now[id]+sold[id] != n {
			r.StockMismatches++
		}
		if now[id] < 0 {
			r.NegativeStock++
		}
	}
	for id := range sold {
		if _, ok := b.StockAtStart[id]; !ok {
			r.StockMismatches++ // sold, but not a product at start
		}
	}
	return nil
}

// Err is every problem of the books, or nil when they balance.
func (r Result) Err() error {
	var errs []error
	check := func(bad bool, format string, v ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, v...))
		}
	}
	check(r.Accepted == 0, "no order was accepted: nothing was counted")
	check(r.Pending != 0, "%d orders still pending after %.0fs", r.Pending, r.SettleS)
	check(r.Lost != 0, "%d accepted orders are not stored", r.Lost)
	check(r.Duplicated != 0, "%d orders are a checkout stored again", r.Duplicated)
	check(r.allAnswered && r.Unanswered != 0, "%d orders are stored that the client was never told were accepted", r.Unanswered)
	check(r.Contradicted != 0, "%d orders differ from what the client was shown", r.Contradicted)
	check(r.RejectedWithoutReason != 0, "%d orders were rejected without a reason", r.RejectedWithoutReason)
	check(r.StockMismatches != 0, "%d products' stock is not down by exactly the confirmed quantities", r.StockMismatches)
	check(r.NegativeStock != 0, "%d products' stock is below zero", r.NegativeStock)
	check(r.MoneyMismatches != 0, "%d orders' payments disagree with them (a kept order not captured exactly once for its total, a rejected order captured, a cancellation not refunded)", r.MoneyMismatches)
	return errors.Join(errs...)
}

func (r Result) String() string {
	s := fmt.Sprintf("orders accepted %d, stored %d (confirmed %d, rejected %d, cancelled %d, shipped %d, pending %d after %.0fs); lost %d, duplicated %d, stored without an answer %d, contradicted %d",
		r.Accepted, r.Stored, r.Confirmed, r.Rejected, r.Cancelled, r.Shipped, r.Pending, r.SettleS, r.Lost, r.Duplicated, r.Unanswered, r.Contradicted)
	if r.stockChecked {
		s += fmt.Sprintf("; stock %d -> %d, confirmed units %d, products off %d", r.StockBefore, r.StockAfter, r.ConfirmedUnits, r.StockMismatches)
	}
	if r.moneyChecked {
		s += fmt.Sprintf("; captured %d (%d cents), refunded %d (%d cents), payments off %d", r.Captured, r.CapturedCents, r.Refunded, r.RefundedCents, r.MoneyMismatches)
	}
	return s
}
