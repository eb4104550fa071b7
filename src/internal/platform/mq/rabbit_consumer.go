package mq

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
)

// consumer is one subscription on the Rabbit bus. It re-opens its channel
// and re-declares its queues on every new connection.
type consumer struct {
	bus   *Rabbit
	sub   Subscription
	queue string // the declared name: sub.Queue, or a per-replica name
	// undeclared: subscribed while the bus was not connected, its queue
	// not declared yet (Rabbit.undeclared counts it).
	undeclared bool

	mu       sync.Mutex
	attempts map[string]int // per-replica queues: deliveries per message id
}

// consumerChannel is an open channel consuming the queue.
type consumerChannel struct {
	ch         *amqp.Channel
	deliveries <-chan amqp.Delivery
}

const consumerTag = "shop"

func newConsumer(b *Rabbit, sub Subscription) *consumer {
	sub.Queue = b.opts.QueuePrefix + sub.Queue
	c := &consumer{bus: b, sub: sub, queue: sub.Queue, attempts: map[string]int{}}
	if sub.PerReplica {
		c.queue = sub.Queue + "." + randomSuffix()
	}
	return c
}

// open declares the dead-letter queue, the queue and its bindings, and
// starts consuming with the QoS prefetch.
//
// A shared queue is a quorum queue: durable, replicated, and it counts
// deliveries (x-delivery-count), which is how replicas agree on an event's
// attempts. Its x-delivery-limit dead-letters an event that kills its
// consumer before it can even report a failure. A per-replica queue is
// exclusive and auto-deleted, which quorum queues cannot be, so it is a
// classic queue and its one consumer counts attempts itself.
func (c *consumer) open(conn *amqp.Connection) (*consumerChannel, error) {
	o := c.bus.opts
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("opening channel for %s: %w", c.queue, err)
	}
	fail := func(step string, err error) (*consumerChannel, error) {
		_ = ch.Close()
		return nil, fmt.Errorf("%s for queue %s: %w", step, c.queue, err)
	}
	dlq := deadLetterQueue(c.sub.Queue)
	if _, err := ch.QueueDeclare(dlq, true, false, false, false, amqp.Table{"x-queue-type": "quorum"}); err != nil {
		return fail("declaring dead-letter queue", err)
	}
	if err := ch.QueueBind(dlq, c.sub.Queue, c.bus.deadLetterExchange(), false, nil); err != nil {
		return fail("binding dead-letter queue", err)
	}
	args := amqp.Table{"x-dead-letter-exchange": c.bus.deadLetterExchange(), "x-dead-letter-routing-key": c.sub.Queue}
	durable, exclusive := true, false
	if c.sub.PerReplica {
		durable, exclusive = false, true
	} else {
		args["x-queue-type"] = "quorum"
		args["x-delivery-limit"] = 4 * o.MaxAttempts
	}
	if _, err := ch.QueueDeclare(c.queue, durable, !durable, exclusive, false, args); err != nil {
		return fail("declaring", err)
	}
	for _, t := range c.sub.Types {
		if err := ch.QueueBind(c.queue, t, o.Exchange, false, nil); err != nil {
			return fail("binding "+t, err)
		}
	}
	if err := ch.Qos(o.Prefetch, 0, false); err != nil {
		return fail("setting prefetch", err)
	}
	deliveries, err := ch.Consume(c.queue, consumerTag, false, exclusive, false, false, nil)
	if err != nil {
		return fail("consuming", err)
	}
	return &consumerChannel{ch: ch, deliveries: deliveries}, nil
}

// run consumes until Close, re-opening after every lost channel.
func (c *consumer) run(first *consumerChannel) {
	b := c.bus
	backoff := b.opts.backoff()
	for {
		cc := first
		first = nil
		if cc == nil {
			conn, err := b.waitConn(b.ctx)
			if err != nil {
				return
			}
			if cc, err = c.open(conn); err != nil {
				b.opts.Logger.Warn("cannot consume; retrying", "queue", c.queue, "error", err)
				if !platform.Pause(b.ctx, backoff) {
					return
				}
				continue
			}
		}
		backoff = b.opts.backoff()
		if c.undeclared {
			c.undeclared = false
			b.mu.Lock()
			b.undeclared--
			b.mu.Unlock()
		}
		up := c.sub.Metrics.up.WithLabelValues(c.sub.Queue)
		up.Set(1)
		stopped := c.consume(cc)
		up.Set(0)
		if stopped {
			return
		}
		b.opts.Logger.Warn("consumer channel closed; re-opening", "queue", c.queue)
	}
}

// consume hands deliveries to handlers, at most Prefetch at once, until the
// channel closes (false) or Close is called (true). Handlers in flight finish
// and settle before it returns; deliveries not yet handled go back to the
// queue when the channel closes.
func (c *consumer) consume(cc *consumerChannel) (stopped bool) {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		select {
		case d, ok := <-cc.deliveries:
			if !ok {
				return false
			}
			inflight.Go(func() { c.deliver(d) })
		case <-c.bus.ctx.Done():
			_ = cc.ch.Cancel(consumerTag, false)
			inflight.Wait()
			_ = cc.ch.Close()
			return true
		}
	}
}

func (c *consumer) deliver(d amqp.Delivery) {
	b := c.bus
	e, err := decodeDelivery(d)
	if err != nil {
		b.opts.Logger.Error("undecodable message; dead-lettering it", "queue", c.queue, "message_id", d.MessageId, "error", err)
		c.sub.Metrics.deadLettered.WithLabelValues(c.sub.Queue).Inc()
		c.settle(d.Nack(false, false))
		return
	}
	attempt := c.attempt(d)
	switch b.opts.handle(b.hctx, c.sub, e, attempt) {
	case ack:
		c.forget(d)
		c.settle(d.Ack(false))
	case deadLetter:
		c.forget(d)
		c.settle(d.Nack(false, false))
	case redeliver:
		platform.Sleep(b.hctx, b.opts.delay(attempt))
		c.settle(d.Nack(false, true))
	}
}

// attempt numbers this delivery from 1: the quorum queue's delivery count,
// or this consumer's own count on a per-replica queue.
func (c *consumer) attempt(d amqp.Delivery) int {
	if n, ok := d.Headers["x-delivery-count"]; ok {
		switch v := n.(type) {
		case int64:
			return int(v) + 1
		case int32:
			return int(v) + 1
		case int:
			return v + 1
		}
	}
	if !c.sub.PerReplica {
		return 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts[d.MessageId]++
	return c.attempts[d.MessageId]
}

func (c *consumer) forget(d amqp.Delivery) {
	c.mu.Lock()
	delete(c.attempts, d.MessageId)
	c.mu.Unlock()
}

// settle logs an ack or nack the broker did not get: the channel is gone,
// the event will be redelivered, and the handler is idempotent.
func (c *consumer) settle(err error) {
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		c.bus.opts.Logger.Warn("cannot settle delivery; it will be redelivered", "queue", c.queue, "error", err)
	}
}

// decodeDelivery reads the CloudEvents envelope of a message.
func decodeDelivery(d amqp.Delivery) (events.Envelope, error) {
	var e events.Envelope
	if err := json.Unmarshal(d.Body, &e); err != nil {
		return e, fmt.Errorf("decoding message %s: %w", d.MessageId, err)
	}
	if e.ID == "" || e.Type == "" {
		return e, fmt.Errorf("message %s is not an event: it lacks an id or a type", d.MessageId)
	}
	return e, nil
}
