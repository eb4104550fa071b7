package accounting

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/catalog"
	"github.com/shop-platform/shop/src/internal/order"
	"github.com/shop-platform/shop/src/internal/payment"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/pg"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// books returns a database with the catalog's and the order service's own
// tables (their migrations), products a (stock 10) and b (stock 5), and a
// function that stores an order as the order service does.
func books(t *testing.T) (*pgxpool.Pool, func(status, reason, email string, lines map[string]int) string) {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	pool, err := pg.Open(ctx, pg.Config{URL: platform.Secret(testenv.NewDatabase(t)), MaxConns: 4}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := catalog.Migrate(ctx, pool, logger); err != nil {
		t.Fatal(err)
	}
	if err := order.Migrate(ctx, pool, logger); err != nil {
		t.Fatal(err)
	}
	if err := payment.Migrate(ctx, pool, logger); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO products (id, name, description, category, price_cents, currency, image, stock)
		VALUES ('a', 'A', '', 'c', 100, 'USD', '', 10), ('b', 'B', '', 'c', 100, 'USD', '', 5)`); err != nil {
		t.Fatal(err)
	}
	return pool, func(status, reason, email string, lines map[string]int) string {
		var items []map[string]any
		for id, n := range lines {
			items = append(items, map[string]any{"product_id": id, "quantity": n})
		}
		id := uuid.NewString()
		if _, err := pool.Exec(ctx, `INSERT INTO orders (id, status, reason, customer, items, total_cents, currency)
			VALUES ($1, $2, $3, jsonb_build_object('email', $4::text), $5, 0, 'USD')`, id, status, reason, email, items); err != nil {
			t.Fatal(err)
		}
		return id
	}
}

func TestBooksThatBalance(t *testing.T) {
	db, store := books(t)
	a := store("confirmed", "", "shopper-run1-1@example.com", map[string]int{"a": 2, "b": 1})
	b := store("rejected", "out of stock", "shopper-run1-2@example.com", map[string]int{"b": 9})
	store("confirmed", "", "someone-else@example.com", map[string]int{"a": 1})
	if _, err := db.Exec(context.Background(), `UPDATE products SET stock = stock - 3 WHERE id = 'a'; UPDATE products SET stock = stock - 1 WHERE id = 'b'`); err != nil {
		t.Fatal(err)
	}
	r, err := Books{Accepted: map[string]string{a: "confirmed", b: "pending"}, Emails: "shopper-run1-%",
		StockAtStart: map[string]int{"a": 10, "b": 5}, AllAnswered: true, Settle: time.Second}.Check(t.Context(), db, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v: %v", r, err)
	}
	if r.Stored != 2 || r.Confirmed != 1 || r.Rejected != 1 || r.ConfirmedUnits != 4 || r.StockAfter != 11 {
		t.Fatalf("counted %+v", r)
	}
}

// Every way the books can be wrong is counted and named.
func TestBooksThatDoNotBalance(t *testing.T) {
	db, store := books(t)
	confirmed := store("confirmed", "", "shopper-run2-1@example.com", map[string]int{"a": 2})
	store("confirmed", "", "shopper-run2-1@example.com", map[string]int{"a": 2}) // the same checkout again
	rejected := store("rejected", "", "shopper-run2-2@example.com", map[string]int{"b": 1})
	store("pending", "", "shopper-run2-3@example.com", map[string]int{"b": 1})
	accepted := map[string]string{confirmed: "rejected", rejected: "rejected", uuid.NewString(): "pending"}
	r, err := Books{Accepted: accepted, Emails: "shopper-run2-%", StockAtStart: map[string]int{"a": 10, "b": 5},
		AllAnswered: true, Settle: 300 * time.Millisecond}.Check(t.Context(), db, db)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Accepted: 3, Stored: 4, Confirmed: 2, Rejected: 1, Pending: 1, Lost: 1, Duplicated: 1, Unanswered: 2,
		Contradicted: 1, RejectedWithoutReason: 1, ConfirmedUnits: 4, StockBefore: 15, StockAfter: 15, StockMismatches: 1}
	r.SettleS, r.allAnswered, r.stockChecked = 0, false, false
	if r != want {
		t.Fatalf("counted\n%+v\nwant\n%+v", r, want)
	}
	r.allAnswered = true
	for _, problem := range []string{"1 orders still pending", "1 accepted orders are not stored", "1 orders are a checkout stored again",
		"2 orders are stored that the client", "1 orders differ", "1 orders were rejected without a reason", "1 products' stock"} {
		if !strings.Contains(r.Err().Error(), problem) {
			t.Errorf("problems %q lack %q", r.Err(), problem)
		}
	}
}

// pay records an order's payment as the payment service does: its row,
// and a payment.captured event in the outbox for each capture.
func pay(t *testing.T, db *pgxpool.Pool, orderID, status string, cents int64, captures int) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, `UPDATE orders SET total_cents = $2, subtotal_cents = $2 WHERE id = $1`, orderID, cents); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO payments (order_id, method_id, amount_cents, currency, status) VALUES ($1, 'pm_card_visa', $2, 'USD', $3)`,
		orderID, cents, status); err != nil {
		t.Fatal(err)
	}
	for range captures {
		if _, err := db.Exec(ctx, `INSERT INTO outbox (id, type, envelope) VALUES ($1, 'shop.payment.captured.v1', jsonb_build_object('data', jsonb_build_object('order_id', $2::text)))`,
			uuid.NewString(), orderID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMoneyThatBalances(t *testing.T) {
	db, store := books(t)
	confirmed := store("confirmed", "", "money-1@example.com", map[string]int{"a": 1})
	pay(t, db, confirmed, "captured", 2599, 1)
	declined := store("rejected", "Your card was declined: try another card.", "money-2@example.com", map[string]int{"a": 1})
	pay(t, db, declined, "declined", 999, 0)
	outOfStock := store("rejected", "insufficient stock", "money-3@example.com", map[string]int{"b": 9})
	pay(t, db, outOfStock, "pending", 500, 0)
	cancelled := store("cancelled", "", "money-4@example.com", map[string]int{"a": 1})
	pay(t, db, cancelled, "refunded", 1500, 1)
	r, err := Books{Accepted: map[string]string{confirmed: "pending", declined: "pending", outOfStock: "pending", cancelled: "pending"},
		Emails: "money-%", Payments: db, AllAnswered: true, Settle: time.Second}.Check(t.Context(), db, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%v: %v", r, err)
	}
	if r.Captured != 2 || r.CapturedCents != 2599+1500 || r.Refunded != 1 || r.RefundedCents != 1500 || r.Cancelled != 1 {
		t.Fatalf("counted %v", r)
	}
}

// A charge twice, a capture for a rejected order, a cancellation not
// refunded and a capture of the wrong amount are each a mismatch.
func TestMoneyThatDoesNotBalance(t *testing.T) {
	db, store := books(t)
	twice := store("confirmed", "", "money-bad-1@example.com", map[string]int{"a": 1})
	pay(t, db, twice, "captured", 2599, 2)
	rejected := store("rejected", "Your card was declined: try another card.", "money-bad-2@example.com", map[string]int{"a": 1})
	pay(t, db, rejected, "captured", 999, 1)
	notRefunded := store("cancelled", "", "money-bad-3@example.com", map[string]int{"a": 1})
	pay(t, db, notRefunded, "captured", 1500, 1)
	wrongAmount := store("confirmed", "", "money-bad-4@example.com", map[string]int{"a": 1})
	pay(t, db, wrongAmount, "captured", 100, 1)
	if _, err := db.Exec(context.Background(), `UPDATE payments SET amount_cents = 99 WHERE order_id = $1`, wrongAmount); err != nil {
		t.Fatal(err)
	}
	r, err := Books{Accepted: map[string]string{twice: "pending", rejected: "pending", notRefunded: "pending", wrongAmount: "pending"},
		Emails: "money-bad-%", Payments: db, AllAnswered: true, Settle: 300 * time.Millisecond}.Check(t.Context(), db, db)
	if err != nil {
		t.Fatal(err)
	}
	if r.MoneyMismatches != 4 || r.Err() == nil || !strings.Contains(r.Err().Error(), "4 orders' payments disagree") {
		t.Fatalf("counted %v: %v, want 4 payments off", r, r.Err())
	}
}
