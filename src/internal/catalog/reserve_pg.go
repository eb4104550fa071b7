package catalog

import (
	"context"

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
