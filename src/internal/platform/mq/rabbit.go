package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// Rabbit is the RabbitMQ bus. It keeps one connection, redialled with
// backoff whenever it is lost, and re-declares the exchange and every
// subscription's queues on each new connection. Publishing uses a channel
// in confirm mode with the mandatory flag: Publish returns only once the
// broker has taken responsibility for the event, and ErrUnroutable when no
// queue is bound to it.
type Rabbit struct {
	url  string
	opts Options

	mu        sync.Mutex
	conn      *amqp.Connection
	pub       *publisher
	connected chan struct{} // closed while conn is up; replaced when it is lost
	closed    bool
	// undeclared counts the consumers subscribed while the bus was not
	// connected whose queues are not declared yet; Publish waits for them.
	undeclared int

	ctx     context.Context // cancelled by Close: stop consuming and redialling
	cancel  context.CancelFunc
	hctx    context.Context // handlers' context, cancelled after the grace
	hcancel context.CancelFunc
	workers sync.WaitGroup
}

// NewRabbit starts connecting to the broker at cfg.URL in the background and
// returns at once: a service starts, and accepts work into its outbox, while
// the broker is still down. WaitConnected waits for the first connection.
func NewRabbit(cfg Config, opts Options) (*Rabbit, error) {
	u, err := cfg.dialURL()
	if err != nil {
		return nil, err
	}
	b := &Rabbit{url: u, opts: opts.withDefaults(), connected: make(chan struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.hctx, b.hcancel = context.WithCancel(context.Background())
	b.workers.Go(b.supervise)
	return b, nil
}

// WaitConnected blocks until the bus is connected or ctx ends.
func (b *Rabbit) WaitConnected(ctx context.Context) error {
	_, err := b.waitConn(ctx)
	return err
}

// waitConn returns the live connection, waiting for one.
func (b *Rabbit) waitConn(ctx context.Context) (*amqp.Connection, error) {
	for {
		b.mu.Lock()
		conn, ready, closed := b.conn, b.connected, b.closed
		b.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if conn != nil && !conn.IsClosed() {
			return conn, nil
		}
		select {
		case <-ready:
		case <-b.ctx.Done():
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the broker: %w", ctx.Err())
		}
	}
}

// supervise keeps a connection up until Close.
func (b *Rabbit) supervise() {
	backoff := b.opts.backoff()
	for attempt := 1; b.ctx.Err() == nil; attempt++ {
		conn, pub, err := b.dial()
		if err != nil {
			b.opts.Logger.Warn("cannot reach the message broker; retrying", "attempt", attempt, "error", err)
			platform.Pause(b.ctx, backoff)
			continue
		}
		attempt, backoff = 0, b.opts.backoff()
		lost := conn.NotifyClose(make(chan *amqp.Error, 1))
		b.mu.Lock()
		b.conn, b.pub = conn, pub
		close(b.connected)
		b.mu.Unlock()
		b.opts.Logger.Info("connected to the message broker", "exchange", b.opts.Exchange)

		select {
		case <-b.ctx.Done():
			return
		case err := <-lost:
			b.opts.Logger.Warn("lost the message broker connection; reconnecting", "error", err)
		case <-pub.done:
			b.opts.Logger.Warn("publishing channel closed; reconnecting")
			_ = conn.Close()
		}
		b.mu.Lock()
		b.conn, b.pub = nil, nil
		b.connected = make(chan struct{})
		b.mu.Unlock()
	}
}

// dial connects, declares the exchanges and opens the publishing channel.
func (b *Rabbit) dial() (*amqp.Connection, *publisher, error) {
	conn, err := amqp.DialConfig(b.url, amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": b.opts.ConnectionName},
		Dial:       amqp.DefaultDial(5 * time.Second),
	})
	if err != nil {
		return nil, nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.ExchangeDeclare(b.opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil)
	}
	if err == nil {
		err = ch.ExchangeDeclare(b.deadLetterExchange(), amqp.ExchangeDirect, true, false, false, false, nil)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("preparing the broker: %w", err)
	}
	return conn, newPublisher(ch, b.opts.Exchange), nil
}

func (b *Rabbit) deadLetterExchange() string { return b.opts.Exchange + ".dlx" }

// Publish implements Bus.
func (b *Rabbit) Publish(ctx context.Context, e events.Envelope) error {
	b.mu.Lock()
	pub, closed, undeclared := b.pub, b.closed, b.undeclared
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if pub == nil || undeclared > 0 {
		return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, errNotConnected)
	}
	return pub.publish(ctx, e)
}

// Subscribe implements Bus. When connected it declares the queues before
// returning, so events published afterwards reach them; otherwise it
// declares them as soon as the connection is up, and until then Publish
// refuses (as when not connected): an event published first would reach
// no one in those queues, such as the payment service's order.created
// when the composed shop connected after its services subscribed.
func (b *Rabbit) Subscribe(ctx context.Context, sub Subscription) error {
	if err := sub.validate(); err != nil {
		return err
	}
	sub.Metrics = orDiscard(sub.Metrics)
	c := newConsumer(b, sub)
	b.mu.Lock()
	conn, closed := b.conn, b.closed
	if !closed && (conn == nil || conn.IsClosed()) {
		b.undeclared++
		c.undeclared = true
	}
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	// Down until its first channel consumes, so a consumer that never
	// connects shows as down rather than as no series at all.
	c.sub.Metrics.initQueue(c.sub.Queue, false)
	var first *consumerChannel
	if conn != nil && !conn.IsClosed() {
		cc, err := c.open(conn)
		if err != nil {
			return err
		}
		first = cc
	}
	b.workers.Go(func() { c.run(first) })
	return nil
}

// DeadLetters lists the events waiting in queue's dead-letter queue,
// leaving them there.
func (b *Rabbit) DeadLetters(ctx context.Context, queue string) ([]events.Envelope, error) {
	conn, err := b.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("opening channel: %w", err)
	}
	// Closing the channel returns every unacknowledged message to the queue.
	defer func() { _ = ch.Close() }()
	var list []events.Envelope
	for {
		d, ok, err := ch.Get(deadLetterQueue(b.opts.QueuePrefix+queue), false)
		if err != nil {
			return nil, fmt.Errorf("reading dead letters of %s: %w", queue, err)
		}
		if !ok {
			return list, nil
		}
		e, err := decodeDelivery(d)
		if err != nil {
			return nil, err
		}
		list = append(list, e)
	}
}

func deadLetterQueue(queue string) string { return queue + ".dlq" }

// Close implements Bus: consumers stop taking deliveries, handlers in flight
// get ShutdownGrace to finish and ack, then the connection closes.
func (b *Rabbit) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	waitOrCancel(&b.workers, b.opts.ShutdownGrace, b.hcancel)
	b.mu.Lock()
	conn := b.conn
	b.mu.Unlock()
	if conn != nil {
		if err := conn.Close(); err != nil && !errors.Is(err, amqp.ErrClosed) {
			return fmt.Errorf("closing broker connection: %w", err)
		}
	}
	return nil
}
