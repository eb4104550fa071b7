package outbox

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Postgres is the outbox on watermill-sql (prototype): Insert writes each
// event with watermill-sql's publisher, in the change's transaction, into
// its queue table, and the relay takes them from watermill-sql's
// subscriber. The subscriber reads a batch in a REPEATABLE READ
// transaction (SELECT … FOR UPDATE) that stays open while each message is
// handed over and acked, one message at a time; a nacked message is handed
// over again after ResendInterval, and the ones behind it wait.
type Postgres struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	// AckDeadline is how long one message may wait for its ack
	// (watermill-sql's default: 30 s).
	AckDeadline time.Duration

	once  sync.Once
	err   error
	ready chan *message.Message
	wake  chan struct{}
}

// topic is the watermill-sql topic (table watermill_outbox) of the events.
const topic = "outbox"

// queueSchema is watermill-sql's queue table: no consumer groups, rows
// deleted once acked.
var (
	queueSchema  = wsql.PostgreSQLQueueSchema{GeneratePayloadType: func(string) string { return "JSONB" }}
	queueOffsets = wsql.PostgreSQLQueueOffsetsAdapter{DeleteOnAck: true}
)

// NewPostgres returns the outbox of the database pool reaches, which Migrate
// has prepared.
func NewPostgres(pool *pgxpool.Pool, logger *slog.Logger) *Postgres {
	return &Postgres{pool: pool, logger: logger, AckDeadline: 30 * time.Second, ready: make(chan *message.Message), wake: make(chan struct{}, 1)}
}

// subscribe starts watermill-sql's subscriber once, handing its messages
// to Relay and signalling Wake for each.
func (p *Postgres) subscribe(ctx context.Context) error {
	p.once.Do(func() {
		var sub *wsql.Subscriber
		sub, p.err = wsql.NewSubscriber(wsql.BeginnerFromPgx(p.pool), wsql.SubscriberConfig{
			SchemaAdapter: queueSchema, OffsetsAdapter: queueOffsets, AckDeadline: &p.AckDeadline,
			PollInterval: 100 * time.Millisecond,
		}, watermill.NewSlogLogger(p.logger))
		if p.err != nil {
			return
		}
		var msgs <-chan *message.Message
		if msgs, p.err = sub.Subscribe(context.WithoutCancel(ctx), topic); p.err != nil {
			return
		}
		go func() {
			for msg := range msgs {
				select {
				case p.wake <- struct{}{}:
				default:
				}
				p.ready <- msg
			}
		}()
	})
	return p.err
}

// Relay publishes the message the subscriber has handed over, if any, and
// acks it when the broker confirmed it, else nacks it.
func (p *Postgres) Relay(ctx context.Context, _ int, publish PublishFunc) (int, error) {
	if err := p.subscribe(ctx); err != nil {
		return 0, err
	}
	var msg *message.Message
	select {
	case msg = <-p.ready:
	case <-time.After(10 * time.Millisecond):
		return 0, nil
	}
	var e events.Envelope
	if err := json.Unmarshal(msg.Payload, &e); err != nil {
		msg.Ack() // not an event: nothing can publish it
		return 1, nil
	}
	if publish(ctx, []events.Envelope{e})[0] == nil {
		msg.Ack()
	} else {
		msg.Nack()
	}
	return 1, nil
}

// Stats implements the relay's view of the backlog.
func (p *Postgres) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	var age float64
	err := p.pool.QueryRow(ctx, `
		SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)
		FROM watermill_outbox WHERE NOT acked`).Scan(&s.Backlog, &age)
	s.OldestAge = time.Duration(age * float64(time.Second))
	return s, pg.Wrap("reading outbox stats", err)
}

// Prune deletes consumer records of events processed longer than
// retention ago (acked events are deleted at once).
func (p *Postgres) Prune(ctx context.Context, retention time.Duration) error {
	_, err := p.pool.Exec(ctx, `DELETE FROM processed_events WHERE processed_at < now() - $1::interval`, retention)
	return pg.Wrap("pruning outbox", err)
}

// Wake signals when the subscriber has a message for Relay.
func (p *Postgres) Wake(ctx context.Context) <-chan struct{} {
	if err := p.subscribe(ctx); err != nil {
		p.logger.WarnContext(ctx, "cannot subscribe to the outbox", "error", err)
	}
	return p.wake
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
