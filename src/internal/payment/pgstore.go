package payment

import (
	"context"
	"embed"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the payment schema, outbox included, up to date.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return outbox.MigrateWith(ctx, pool, migrations, "payment_schema_migrations", logger)
}

// PostgresStore keeps the payments in PostgreSQL.
type PostgresStore struct{ pool *pgxpool.Pool }

// NewPostgresStore uses pool, whose database Migrate has prepared.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

const paymentColumns = `order_id::text, method_id, amount_cents, currency, status, charge_id, code, reason, created_at, updated_at`

func scanPayment(row pgx.CollectableRow) (Payment, error) {
	var p Payment
	err := row.Scan(&p.OrderID, &p.MethodID, &p.AmountCents, &p.Currency, &p.Status, &p.ChargeID, &p.Code, &p.Reason, &p.CreatedAt, &p.UpdatedAt)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// Record implements Store.
func (s *PostgresStore) Record(ctx context.Context, p Payment) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO payments (order_id, method_id, amount_cents, currency, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (order_id) DO NOTHING`,
		p.OrderID, p.MethodID, p.AmountCents, p.Currency, p.CreatedAt)
	if err != nil {
		return false, pg.Wrap("recording payment", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Get implements Store.
func (s *PostgresStore) Get(ctx context.Context, orderID string) (Payment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE order_id = $1`, orderID)
	if err != nil {
		return Payment{}, pg.Wrap("reading payment", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPayment)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, ErrNotFound
	}
	return p, pg.Wrap("reading payment", err)
}

// Settle implements Store.
func (s *PostgresStore) Settle(ctx context.Context, orderID string, o Outcome, e events.Envelope) (bool, error) {
	return s.move(ctx, "settling payment", e, `
		UPDATE payments SET status = $2, charge_id = $3, code = $4, reason = $5, updated_at = $6
		WHERE order_id = $1 AND status = 'pending'`, orderID, o.Status, o.ChargeID, o.Code, o.Reason, now())
}

// Refund implements Store.
func (s *PostgresStore) Refund(ctx context.Context, orderID string, e events.Envelope) (bool, error) {
	return s.move(ctx, "refunding payment", e, `
		UPDATE payments SET status = 'refunded', updated_at = $2 WHERE order_id = $1 AND status = 'captured'`, orderID, now())
}

// move runs the guarded update and, when it moved a row, writes e in the
// same transaction.
func (s *PostgresStore) move(ctx context.Context, what string, e events.Envelope, update string, args ...any) (bool, error) {
	var moved bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, update, args...)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		moved = true
		return outbox.Insert(ctx, tx, e)
	})
	return moved, pg.Wrap(what, err)
}

// List implements Store.
func (s *PostgresStore) List(ctx context.Context, limit int) ([]Payment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments ORDER BY created_at DESC, order_id LIMIT $1`, limit)
	if err != nil {
		return nil, pg.Wrap("listing payments", err)
	}
	list, err := pgx.CollectRows(rows, scanPayment)
	return list, pg.Wrap("listing payments", err)
}

// Ping implements Store.
func (s *PostgresStore) Ping(ctx context.Context) error {
	return pg.Wrap("pinging database", s.pool.Ping(ctx))
}
