package order

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the order schema, outbox included, up to date.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return outbox.MigrateWith(ctx, pool, migrations, "order_schema_migrations", logger)
}

// PostgresStore keeps the orders in PostgreSQL.
type PostgresStore struct {
	pool *pgxpool.Pool
	// mail: a status change also writes the shopper's email (EnableMail).
	mail bool
}

// EnableMail makes every status change a shopper is told about write its
// email in the same transaction, for the mail relay to send.
func (s *PostgresStore) EnableMail() { s.mail = true }

// NewPostgresStore uses pool, whose database Migrate has prepared.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

const orderColumns = `id::text, coalesce(reference, ''), status, reason, customer, items,
	subtotal_cents, shipping_cents, tax_cents, total_cents, currency, shipping, payment, history, created_at, updated_at`

// orderFields are the scan targets of orderColumns, in order.
func orderFields(o *Order) []any {
	return []any{&o.ID, &o.Reference, &o.Status, &o.Reason, &o.Customer, &o.Items,
		&o.SubtotalCents, &o.ShippingCents, &o.TaxCents, &o.TotalCents, &o.Currency, &o.Shipping, &o.Payment, &o.History, &o.CreatedAt, &o.UpdatedAt}
}

func scanOrder(row pgx.CollectableRow) (Order, error) {
	var o Order
	err := row.Scan(orderFields(&o)...)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// referenceConstraint is the unique index of orders.reference.
const referenceConstraint = "orders_reference_key"

// Create implements Store: the order row and the outbox row in one
// transaction. A concurrent request with the same key waits on the first
// one's row, then finds it.
func (s *PostgresStore) Create(ctx context.Context, o Order, e events.Envelope, key, fingerprint string) (Order, bool, error) {
	stored, created := o, true
	if o.History == nil {
		o.History = []Change{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var nkey, nfp *string
		if key != "" {
			nkey, nfp = &key, &fingerprint
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO orders (id, reference, status, reason, customer, items, subtotal_cents, shipping_cents, tax_cents, total_cents,
			                    currency, shipping, idempotency_key, request_hash, payment, history, created_at, updated_at)
			VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
			ON CONFLICT (idempotency_key) DO NOTHING`,
			o.ID, o.Reference, o.Status, o.Reason, o.Customer, o.Items, o.SubtotalCents, o.ShippingCents, o.TaxCents, o.TotalCents,
			o.Currency, o.Shipping, nkey, nfp, o.Payment, o.History, o.CreatedAt)
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.ConstraintName == referenceConstraint {
			return ErrReferenceTaken
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			created = false
			stored, err = byKey(ctx, tx, key, fingerprint)
			return err
		}
		return outbox.Insert(ctx, tx, e)
	})
	if errors.Is(err, ErrKeyReused) || errors.Is(err, ErrReferenceTaken) {
		return Order{}, false, err
	}
	if err != nil {
		return Order{}, false, pg.Wrap("creating order", err)
	}
	return stored, created, nil
}

// ByKey implements Store.
func (s *PostgresStore) ByKey(ctx context.Context, key, fingerprint string) (Order, error) {
	o, err := byKey(ctx, s.pool, key, fingerprint)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrKeyReused) {
		return o, err
	}
	return o, pg.Wrap("reading order", err)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func byKey(ctx context.Context, q querier, key, fingerprint string) (Order, error) {
	rows, err := q.Query(ctx, `SELECT `+orderColumns+`, request_hash FROM orders WHERE idempotency_key = $1`, key)
	if err != nil {
		return Order{}, err
	}
	var hash string
	o, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Order, error) {
		var o Order
		err := row.Scan(append(orderFields(&o), &hash)...)
		o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
		return o, err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return Order{}, ErrNotFound
	case err != nil:
		return Order{}, err
	case hash != fingerprint:
		return Order{}, ErrKeyReused
	}
	return o, nil
}

// Get implements Store.
func (s *PostgresStore) Get(ctx context.Context, id string) (Order, error) {
	return s.one(ctx, `WHERE id = $1`, id)
}

// ByReference implements Store.
func (s *PostgresStore) ByReference(ctx context.Context, ref string) (Order, error) {
	return s.one(ctx, `WHERE reference = $1`, ref)
}

// one reads the order where selects, or ErrNotFound.
func (s *PostgresStore) one(ctx context.Context, where string, arg any) (Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders `+where, arg)
	if err != nil {
		return Order{}, pg.Wrap("reading order", err)
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrder)
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	return o, pg.Wrap("reading order", err)
}

// Settle implements Store: the processed-event record and the guarded
// update (only a pending order moves) in one transaction.
func (s *PostgresStore) Settle(ctx context.Context, eventID, orderID string, status Status, reason, payment string) (bool, error) {
	if !canMove(Pending, status) {
		return false, fmt.Errorf("settling order %s: %q is not a final status", orderID, status)
	}
	var moved bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		first, err := outbox.MarkProcessed(ctx, tx, settleConsumer, eventID)
		if err != nil || !first {
			return err
		}
		at := now()
		rows, err := tx.Query(ctx, `
			UPDATE orders SET status = $2, reason = $3, updated_at = $4, history = history || $5,
				payment = CASE WHEN $6 = '' OR payment IS NULL THEN payment ELSE jsonb_set(payment, '{status}', to_jsonb($6::text)) END
			WHERE id = $1 AND status = 'pending'
			RETURNING `+orderColumns,
			orderID, status, reason, at, []Change{{Status: status, At: at, Reason: reason}}, payment)
		if err != nil {
			return err
		}
		o, err := pgx.CollectExactlyOneRow(rows, scanOrder)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		moved = err == nil
		if err != nil || !s.mail {
			return err
		}
		return insertMail(ctx, tx, o)
	})
	return moved, pg.Wrap("settling order", err)
}

// insertMail writes the email about o's new status, once per order and
// kind.
func insertMail(ctx context.Context, tx pgx.Tx, o Order) error {
	m, ok := mailFor(o)
	if !ok {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO mail (id, order_id, kind, recipient, subject, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, kind) DO NOTHING`,
		m.ID, m.OrderID, m.Kind, m.To, m.Subject, m.Body, m.CreatedAt)
	return err
}

// PendingMail implements MailQueue.
func (s *PostgresStore) PendingMail(ctx context.Context, limit int) ([]Mail, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, order_id::text, kind, recipient, subject, body, created_at
		FROM mail WHERE sent_at IS NULL ORDER BY created_at LIMIT $1`, limit)
	if err != nil {
		return nil, pg.Wrap("reading mail", err)
	}
	mails, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Mail, error) {
		var m Mail
		err := row.Scan(&m.ID, &m.OrderID, &m.Kind, &m.To, &m.Subject, &m.Body, &m.CreatedAt)
		return m, err
	})
	return mails, pg.Wrap("reading mail", err)
}

// MarkMailSent implements MailQueue.
func (s *PostgresStore) MarkMailSent(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `UPDATE mail SET sent_at = now() WHERE id = $1`, id)
	return pg.Wrap("marking mail sent", err)
}

// Move implements Store: the confirmed order's row locked, moved, and its
// event written in one transaction.
func (s *PostgresStore) Move(ctx context.Context, orderID string, status Status, e *events.Envelope) (Order, error) {
	var o Order
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, orderID)
		if err != nil {
			return err
		}
		if o, err = pgx.CollectExactlyOneRow(rows, scanOrder); errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if o.Status != Confirmed {
			return ErrConflict
		}
		o = movedTo(o, status, "", "", now())
		if _, err := tx.Exec(ctx, `UPDATE orders SET status = $2, reason = '', updated_at = $3, history = $4 WHERE id = $1`,
			orderID, o.Status, o.UpdatedAt, o.History); err != nil {
			return err
		}
		if s.mail {
			if err := insertMail(ctx, tx, o); err != nil {
				return err
			}
		}
		if e != nil {
			return outbox.Insert(ctx, tx, *e)
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return Order{}, err
	case errors.Is(err, ErrConflict):
		return o, err
	}
	return o, pg.Wrap("moving order", err)
}

// Ping implements Store.
func (s *PostgresStore) Ping(ctx context.Context) error {
	return pg.Wrap("pinging database", s.pool.Ping(ctx))
}
