// Package outbox implements the transactional outbox: a service writes each
// event in the same transaction as the state change it describes, and a relay
// publishes the waiting events later. Nothing is ever published from inside a
// request, so a change is never lost nor announced without having happened.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the outbox table in the service's database.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return pg.Migrate(ctx, pool, migrations, "outbox_schema_migrations", logger)
}

// Insert writes e to the outbox inside tx, with the trace context of ctx
// (the request or event that made the change): in the envelope, which the
// relay publishes, and in columns of their own, so an operator can find
// the events of a trace with SQL.
func Insert(ctx context.Context, tx pgx.Tx, e events.Envelope) error {
	e = e.WithTrace(ctx)
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox (id, type, envelope, created_at, traceparent, tracestate)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''))`,
		e.ID, e.Type, raw, e.Time, e.TraceParent, e.TraceState)
	return pg.Wrap("writing outbox", err)
}

// Pending lists up to limit unsent events, oldest first.
func Pending(ctx context.Context, pool *pgxpool.Pool, limit int) ([]events.Envelope, error) {
	rows, err := pool.Query(ctx, `SELECT envelope FROM outbox WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1`, limit)
	if err != nil {
		return nil, pg.Wrap("reading outbox", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (events.Envelope, error) {
		var e events.Envelope
		err := row.Scan(&e)
		return e, err
	})
	return list, pg.Wrap("reading outbox", err)
}
