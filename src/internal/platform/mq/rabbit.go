package mq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// Rabbit is the RabbitMQ bus on Watermill's AMQP Pub/Sub (prototype).
// Watermill keeps the connection up once it has one, publishes with
// confirms from a pool of channels, and runs one consumer per Subscribe
// call. Kept here: the first connection in the background (Watermill's
// NewConnection fails while the broker is down), the topology (a queue bound
// to several types, its dead-letter queue, quorum or per-replica), handler
// concurrency (Watermill's consumer waits for each ack before the next
// delivery, so Prefetch consumers per subscription), dead-lettering by
// publishing to the dead-letter exchange (Watermill nacks all with requeue
// or all without), attempts, and the mapping of errors to ErrUnavailable.
type Rabbit struct {
	url  string
	opts Options
	log  watermill.LoggerAdapter

	mu        sync.Mutex
	conn      *wmamqp.ConnectionWrapper
	pub       *publisher
	dead      *wmamqp.Publisher
	subs      []*wmamqp.Subscriber
	up        []prometheus.Gauge // each subscription's shop_consumer_up
	connected chan struct{}      // closed once conn is up
	closed    bool

	ctx     context.Context // cancelled by Close: stop consuming
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
	b.log = watermill.NewSlogLogger(b.opts.Logger)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.hctx, b.hcancel = context.WithCancel(context.Background())
	b.workers.Go(b.connect)
	return b, nil
}

// connect dials until the first connection; Watermill redials after that.
func (b *Rabbit) connect() {
	backoff := b.opts.backoff()
	for attempt := 1; b.ctx.Err() == nil; attempt++ {
		conn, err := wmamqp.NewConnection(wmamqp.ConnectionConfig{
			AmqpURI: b.url,
			AmqpConfig: &amqp.Config{
				Heartbeat:  10 * time.Second,
				Properties: amqp.Table{"connection_name": b.opts.ConnectionName},
				Dial:       amqp.DefaultDial(5 * time.Second),
			},
			Reconnect: &wmamqp.ReconnectConfig{
				BackoffInitialInterval: b.opts.RetryDelay, BackoffMultiplier: 2,
				BackoffRandomizationFactor: 0.5, BackoffMaxInterval: b.opts.MaxRetryDelay,
			},
		}, b.log)
		if err != nil {
			b.opts.Logger.Warn("cannot reach the message broker; retrying", "attempt", attempt, "error", err)
			platform.Pause(b.ctx, backoff)
			continue
		}
		dead, err := wmamqp.NewPublisherWithConnection(b.config(b.deadLetterExchange(), "direct"), b.log, conn)
		if err != nil {
			_ = conn.Close()
			b.opts.Logger.Warn("cannot prepare publishing; retrying", "error", err)
			platform.Pause(b.ctx, backoff)
			continue
		}
		b.mu.Lock()
		b.conn, b.dead = conn, dead
		close(b.connected)
		b.mu.Unlock()
		b.opts.Logger.Info("connected to the message broker", "exchange", b.opts.Exchange)
		return
	}
}

// config is the Watermill configuration publishing to exchange with
// confirms and consuming through the shop's topology.
func (b *Rabbit) config(exchange, kind string) wmamqp.Config {
	return wmamqp.Config{
		Marshaler: eventMarshaler{},
		Exchange:  wmamqp.ExchangeConfig{GenerateName: wmamqp.GenerateExchangeNameConstant(exchange), Type: kind, Durable: true},
		Publish: wmamqp.PublishConfig{
			GenerateRoutingKey: func(topic string) string { return topic },
			ConfirmDelivery:    true, ChannelPoolSize: b.opts.Prefetch,
		},
		TopologyBuilder: &wmamqp.DefaultTopologyBuilder{},
	}
}

// WaitConnected blocks until the bus is connected or ctx ends.
func (b *Rabbit) WaitConnected(ctx context.Context) error {
	select {
	case <-b.connected:
		return nil
	case <-b.ctx.Done():
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("waiting for the broker: %w", ctx.Err())
	}
}

func (b *Rabbit) deadLetterExchange() string { return b.opts.Exchange + ".dlx" }

// Publish implements Bus, with the shop's own confirm-and-return tracker
// on a channel of Watermill's connection: watermill-amqp's publisher never
// hears a basic.return, so it would report an unroutable event as sent.
func (b *Rabbit) Publish(ctx context.Context, e events.Envelope) error {
	pub, err := b.publisher()
	if err != nil {
		return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, err)
	}
	return pub.publish(ctx, e)
}

// publisher returns the publishing channel, opening one on the current
// connection when there is none or Watermill has redialled.
func (b *Rabbit) publisher() (*publisher, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return nil, ErrClosed
	case b.conn == nil || !b.conn.IsConnected():
		return nil, errNotConnected
	case b.pub != nil && !b.pub.isClosed():
		return b.pub, nil
	}
	ch, err := b.conn.Connection().Channel()
	if err == nil {
		err = ch.ExchangeDeclare(b.opts.Exchange, amqp.ExchangeTopic, true, false, false, false, nil)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotConnected, err)
	}
	b.pub = newPublisher(ch, b.opts.Exchange)
	return b.pub, nil
}

// Subscribe implements Bus. When connected it declares the queues before
// returning, so events published afterwards reach them; otherwise it
// subscribes as soon as the connection is up.
func (b *Rabbit) Subscribe(ctx context.Context, sub Subscription) error {
	if err := sub.validate(); err != nil {
		return err
	}
	sub.Metrics = orDiscard(sub.Metrics)
	sub.Queue = b.opts.QueuePrefix + sub.Queue
	queue := sub.Queue
	if sub.PerReplica {
		queue += "." + randomSuffix()
	}
	sub.Metrics.initQueue(sub.Queue, false)
	b.mu.Lock()
	conn, closed := b.conn, b.closed
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if conn != nil {
		return b.consume(conn, sub, queue)
	}
	b.workers.Go(func() {
		if b.WaitConnected(b.ctx) == nil {
			b.mu.Lock()
			conn := b.conn
			b.mu.Unlock()
			if err := b.consume(conn, sub, queue); err != nil {
				b.opts.Logger.Error("cannot consume", "queue", queue, "error", err)
			}
		}
	})
	return nil
}

// consume starts Prefetch Watermill consumers of queue.
func (b *Rabbit) consume(conn *wmamqp.ConnectionWrapper, sub Subscription, queue string) error {
	cfg := b.config(b.opts.Exchange, "topic")
	cfg.TopologyBuilder = topology{sub: sub, queue: queue, dlx: b.deadLetterExchange(), opts: b.opts}
	cfg.Queue = wmamqp.QueueConfig{GenerateName: wmamqp.GenerateQueueNameConstant(queue)}
	cfg.QueueBind = wmamqp.QueueBindConfig{GenerateRoutingKey: func(string) string { return "" }} // bound by topology
	cfg.Consume = wmamqp.ConsumeConfig{Qos: wmamqp.QosConfig{PrefetchCount: 1}}
	s, err := wmamqp.NewSubscriberWithConnection(cfg, b.log, conn)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.subs = append(b.subs, s)
	b.mu.Unlock()
	attempts := &attemptCounter{counts: map[string]int{}}
	for range b.opts.Prefetch {
		out, err := s.Subscribe(b.ctx, queue)
		if err != nil {
			return fmt.Errorf("consuming %s: %w", queue, err)
		}
		b.workers.Go(func() {
			for {
				select {
				case msg, ok := <-out:
					if !ok {
						return
					}
					b.deliver(sub, msg, attempts)
				case <-b.ctx.Done():
					return
				}
			}
		})
	}
	up := sub.Metrics.up.WithLabelValues(sub.Queue)
	up.Set(1)
	b.mu.Lock()
	b.up = append(b.up, up)
	b.mu.Unlock()
	return nil
}

func (b *Rabbit) deliver(sub Subscription, msg *message.Message, attempts *attemptCounter) {
	var e events.Envelope
	err := json.Unmarshal(msg.Payload, &e)
	if err == nil && (e.ID == "" || e.Type == "") {
		err = errors.New("it lacks an id or a type")
	}
	if err != nil {
		b.opts.Logger.Error("undecodable message; dead-lettering it", "queue", sub.Queue, "message_id", msg.UUID, "error", err)
		sub.Metrics.deadLettered.WithLabelValues(sub.Queue).Inc()
		b.deadLetter(sub, msg)
		return
	}
	attempt := attempts.next(msg, sub.PerReplica)
	switch b.opts.handle(b.hctx, sub, e, attempt) {
	case ack:
		attempts.forget(msg)
		msg.Ack()
	case deadLetter:
		attempts.forget(msg)
		b.deadLetter(sub, msg)
	case redeliver:
		platform.Sleep(b.hctx, b.opts.delay(attempt))
		msg.Nack()
	}
}

// deadLetter publishes msg to the queue's dead-letter queue, then acks it;
// if that publish fails, the message is redelivered instead.
func (b *Rabbit) deadLetter(sub Subscription, msg *message.Message) {
	b.mu.Lock()
	dead := b.dead
	b.mu.Unlock()
	if err := dead.Publish(sub.Queue, msg.Copy()); err != nil {
		b.opts.Logger.Warn("cannot dead-letter; redelivering", "queue", sub.Queue, "error", err)
		msg.Nack()
		return
	}
	msg.Ack()
}

// attemptCounter numbers deliveries from 1: the quorum queue's delivery
// count, or a count of its own on a per-replica queue.
type attemptCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (a *attemptCounter) next(msg *message.Message, perReplica bool) int {
	if n, err := strconv.Atoi(msg.Metadata.Get(deliveryCountKey)); err == nil {
		return n + 1
	}
	if !perReplica {
		return 1
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counts[msg.UUID]++
	return a.counts[msg.UUID]
}

func (a *attemptCounter) forget(msg *message.Message) {
	a.mu.Lock()
	delete(a.counts, msg.UUID)
	a.mu.Unlock()
}

// DeadLetters lists the events waiting in queue's dead-letter queue,
// leaving them there.
func (b *Rabbit) DeadLetters(ctx context.Context, queue string) ([]events.Envelope, error) {
	if err := b.WaitConnected(ctx); err != nil {
		return nil, err
	}
	ch, err := b.conn.Connection().Channel()
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
		var e events.Envelope
		if err := json.Unmarshal(d.Body, &e); err != nil {
			return nil, fmt.Errorf("decoding dead letter %s: %w", d.MessageId, err)
		}
		list = append(list, e)
	}
}

func deadLetterQueue(queue string) string { return queue + ".dlq" }

// Close implements Bus: consumers stop taking deliveries, handlers in flight
// get ShutdownGrace to finish and ack, then Watermill's subscribers (which
// nack what nobody took), publishers and connection close.
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
	defer b.mu.Unlock()
	for _, g := range b.up {
		g.Set(0)
	}
	var errs []error
	for _, s := range b.subs {
		errs = append(errs, s.Close())
	}
	if b.conn != nil {
		errs = append(errs, b.dead.Close(), b.conn.Close())
	}
	return errors.Join(errs...)
}
