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

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates the outbox tables in the service's database: ours
// (processed_events) and watermill-sql's queue table.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	if err := pg.Migrate(ctx, pool, migrations, "outbox_schema_migrations", logger); err != nil {
		return err
	}
	queries, err := queueSchema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: topic})
	for _, q := range queries {
		if err == nil {
			_, err = pool.Exec(ctx, q.Query, q.Args...)
		}
	}
	return pg.Wrap("creating watermill_outbox", err)
}

// Insert writes e to the outbox inside tx with watermill-sql's publisher,
// with the trace context of ctx (the request or event that made the
// change) in the envelope, which the relay publishes.
func Insert(ctx context.Context, tx pgx.Tx, e events.Envelope) error {
	e = e.WithTrace(ctx)
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: queueSchema}, watermill.NopLogger{})
	if err == nil {
		msg := message.NewMessage(e.ID, raw)
		msg.SetContext(ctx)
		err = pub.Publish(topic, msg)
	}
	return pg.Wrap("writing outbox", err)
}

// Pending lists up to limit unsent events, oldest first.
func Pending(ctx context.Context, pool *pgxpool.Pool, limit int) ([]events.Envelope, error) {
	rows, err := pool.Query(ctx, `SELECT payload FROM watermill_outbox WHERE NOT acked ORDER BY "offset" LIMIT $1`, limit)
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
