package outbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// notifyChannel is what the outbox_inserted trigger signals (migration 00002).
const notifyChannel = "outbox_pending"

// Postgres is the outbox table as the relay sees it.
type Postgres struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	lease  time.Duration
}

// Lease is how long a claimed event is left to its relay before another
// may take it: well above the relay's publish timeout (10 s), so only a
// relay that died mid-batch has its events published again.
const Lease = 30 * time.Second

// NewPostgres returns the outbox of the database pool reaches, which Migrate
// has prepared.
func NewPostgres(pool *pgxpool.Pool, logger *slog.Logger) *Postgres {
	return &Postgres{pool: pool, logger: logger, lease: Lease}
}

type claimed struct {
	event    events.Envelope
	attempts int
}

// claimFresh and claimRetries lease up to $1 due rows of one kind in
// next_attempt_at order, each on its kind's partial index (migration
// 00003). Each is one statement, its own short transaction: relays in other
// replicas skip the rows it locks (SKIP LOCKED) and, once it committed, see
// them not due until the lease ends.
const (
	claimHead = `
	UPDATE outbox SET next_attempt_at = now() + $2::interval
	WHERE id IN (
		SELECT id FROM outbox
		WHERE sent_at IS NULL AND `
	claimTail = ` AND next_attempt_at <= now()
		ORDER BY next_attempt_at LIMIT $1
		FOR UPDATE SKIP LOCKED)
	RETURNING envelope, attempts`
	claimFresh   = claimHead + "attempts = 0" + claimTail
	claimRetries = claimHead + "attempts > 0" + claimTail
)

// Relay leases up to limit due events, fresh ones before retries so a pile
// of retries (events no queue is bound to yet, say) cannot delay the saga's
// events behind them, publishes them with no transaction open and no
// connection held, and records each outcome. A relay that dies between
// claim and record leaves its events to be claimed again when the lease
// ends: delivery is at least once. It returns how many it claimed.
func (p *Postgres) Relay(ctx context.Context, limit int, publish PublishFunc) (int, error) {
	list, err := p.claim(ctx, claimFresh, limit)
	if err == nil && len(list) < limit {
		var retries []claimed
		retries, err = p.claim(ctx, claimRetries, limit-len(list))
		list = append(list, retries...)
	}
	if err != nil || len(list) == 0 {
		return len(list), pg.Wrap("claiming outbox events", err)
	}
	batch := make([]events.Envelope, len(list))
	for i, c := range list {
		batch[i] = c.event
	}
	results := publish(ctx, batch)

	var updates pgx.Batch
	var sent []string
	for i, c := range list {
		if results[i] == nil {
			sent = append(sent, c.event.ID)
			continue
		}
		delay := retryDelay(c.attempts+1, results[i])
		updates.Queue(`UPDATE outbox SET attempts = attempts + 1, last_error = $2,
			next_attempt_at = now() + $3::interval WHERE id = $1 AND sent_at IS NULL`, c.event.ID, errorText(results[i]), delay)
	}
	if len(sent) > 0 {
		updates.Queue(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1)`, sent)
	}
	// The outcome must be recorded even when ctx ended during the publish:
	// otherwise published events wait out their lease and go out again.
	record, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return len(list), pg.Wrap("recording relayed events", p.pool.SendBatch(record, &updates).Close())
}

func (p *Postgres) claim(ctx context.Context, query string, limit int) ([]claimed, error) {
	rows, err := p.pool.Query(ctx, query, limit, p.lease)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimed, error) {
		var c claimed
		err := row.Scan(&c.event, &c.attempts)
		return c, err
	})
}

// Stats implements the relay's view of the backlog.
func (p *Postgres) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	var age float64
	err := p.pool.QueryRow(ctx, `
		SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)
		FROM outbox WHERE sent_at IS NULL`).Scan(&s.Backlog, &age)
	s.OldestAge = time.Duration(age * float64(time.Second))
	return s, pg.Wrap("reading outbox stats", err)
}

// Prune deletes events sent, and consumer records of events processed,
// longer than retention ago: far longer than any redelivery can take.
func (p *Postgres) Prune(ctx context.Context, retention time.Duration) error {
	_, err := p.pool.Exec(ctx, `DELETE FROM outbox WHERE sent_at < now() - $1::interval`, retention)
	if err == nil {
		_, err = p.pool.Exec(ctx, `DELETE FROM processed_events WHERE processed_at < now() - $1::interval`, retention)
	}
	return pg.Wrap("pruning outbox", err)
}

// Wake signals when an event has been written, from a LISTEN connection
// that is re-established whenever it drops, until ctx ends.
func (p *Postgres) Wake(ctx context.Context) <-chan struct{} {
	wake := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			if err := p.listen(ctx, wake); err != nil && ctx.Err() == nil {
				p.logger.WarnContext(ctx, "outbox notifications lost; polling until they are back", "error", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
	return wake
}

func (p *Postgres) listen(ctx context.Context, wake chan<- struct{}) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	c := conn.Hijack()
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	if _, err := c.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// MarkProcessed records inside tx that consumer has handled eventID and
// tells whether this is the first time. A consumer calls it in the
// transaction that applies the event and skips the event when it is not:
// a concurrent duplicate waits on the first one's row and then sees it.
func MarkProcessed(ctx context.Context, tx pgx.Tx, consumer, eventID string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, consumer, eventID)
	if err != nil {
		return false, pg.Wrap("recording processed event", err)
	}
	return tag.RowsAffected() == 1, nil
}
