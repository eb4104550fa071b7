package catalog

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Reserve implements Store in one transaction: the processed-event record
// first (a concurrent duplicate waits on it, then skips), then the
// products' rows locked in id order, the check, the update and the events.
// The stock >= 0 constraint backs the check.
func (s *PostgresStore) Reserve(ctx context.Context, eventID string, order events.OrderCreatedData) (Reservation, error) {
	var r Reservation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		first, err := outbox.MarkProcessed(ctx, tx, reserveConsumer, eventID)
		if err != nil || !first {
			return err
		}
		ids, want := wanted(order.Lines)
		rows, err := tx.Query(ctx, `SELECT id, stock FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		have := map[string]int{}
		var id string
		var stock int
		if _, err := pgx.ForEachRow(rows, []any{&id, &stock}, func() error { have[id] = stock; return nil }); err != nil {
			return err
		}
		r = Reservation{Applied: true, Reason: shortage(ids, want, have)}
		r.Reserved = r.Reason == ""
		if r.Reserved {
			if err := takeStock(ctx, tx, ids, want); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO reservations (order_id, lines) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`, order.OrderID, want); err != nil {
				return err
			}
		}
		e, err := outcomeEvent(order.OrderID, r.Reason)
		if err != nil {
			return err
		}
		return outbox.Insert(ctx, tx, e)
	})
	if err != nil {
		return Reservation{}, pg.Wrap("reserving stock", err)
	}
	return r, nil
}

// takeStock lowers the stock of the locked rows and records each product's
// new state for the catalog's listeners.
func takeStock(ctx context.Context, tx pgx.Tx, ids []string, want map[string]int) error {
	qty := make([]int, len(ids))
	for i, id := range ids {
		qty[i] = want[id]
	}
	rows, err := tx.Query(ctx, `
		UPDATE products SET stock = products.stock - x.qty, updated_at = $3
		FROM unnest($1::text[], $2::int[]) AS x(id, qty)
		WHERE products.id = x.id
		RETURNING products.id, name, description, category, price_cents, currency, image, stock, created_at, updated_at, revision`,
		ids, qty, now())
	if err != nil {
		return err
	}
	products, err := pgx.CollectRows(rows, scanProduct)
	if err != nil {
		return err
	}
	for _, p := range products {
		e, err := upsertedEvent(p)
		if err != nil {
			return err
		}
		if err := outbox.Insert(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Release implements Store in one transaction: the reservation is marked
// released (a concurrent release waits on its row, then finds it
// released), then the products' rows are locked in id order and their
// stock put back.
func (s *PostgresStore) Release(ctx context.Context, orderID string) (bool, error) {
	var released bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var want map[string]int
		err := tx.QueryRow(ctx, `UPDATE reservations SET released_at = now() WHERE order_id = $1 AND released_at IS NULL RETURNING lines`, orderID).Scan(&want)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		released = true
		ids := slices.Sorted(maps.Keys(want))
		back := make(map[string]int, len(want))
		for id, n := range want {
			back[id] = -n
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
			return err
		}
		return takeStock(ctx, tx, ids, back)
	})
	return released, pg.Wrap("releasing stock", err)
}
