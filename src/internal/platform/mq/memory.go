package mq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
)

// Memory is the in-process bus of the embedded default. It keeps RabbitMQ's
// semantics so services cannot tell the difference: a queue per consumer
// bound to event types, competing subscribers on a shared queue, at-least-once
// delivery with delayed redelivery, a dead-letter list per queue after
// MaxAttempts, and ErrUnroutable when no queue is bound. Nothing survives
// the process, like the in-memory stores it serves.
type Memory struct {
	opts Options

	mu     sync.Mutex
	queues map[string]*memQueue
	dead   map[string][]events.Envelope
	closed bool

	stop     chan struct{} // closed by Close: workers take no more deliveries
	hctx     context.Context
	hcancel  context.CancelFunc
	inflight sync.WaitGroup
}

// memQueue is one queue: its bindings and the deliveries waiting in it.
type memQueue struct {
	deadName string
	types    map[string]bool
	mu       sync.Mutex
	ready    []memDelivery
	wake     chan struct{}
}

type memDelivery struct {
	event   events.Envelope
	attempt int
}

// NewMemory returns an in-process bus.
func NewMemory(opts Options) *Memory {
	hctx, hcancel := context.WithCancel(context.Background())
	return &Memory{
		opts: opts.withDefaults(), queues: map[string]*memQueue{}, dead: map[string][]events.Envelope{},
		stop: make(chan struct{}), hctx: hctx, hcancel: hcancel,
	}
}

// Publish implements Bus: e is queued on every queue bound to its type.
func (b *Memory) Publish(ctx context.Context, e events.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	routed := false
	for _, q := range b.queues {
		if q.types[e.Type] {
			q.push(memDelivery{event: copyEnvelope(e), attempt: 1})
			routed = true
		}
	}
	if !routed {
		return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, ErrUnroutable)
	}
	return nil
}

// copyEnvelope keeps each queue's event apart from the publisher's buffer.
func copyEnvelope(e events.Envelope) events.Envelope {
	e.Data = slices.Clone(e.Data)
	return e
}

// Subscribe implements Bus: Prefetch workers take deliveries from the queue.
func (b *Memory) Subscribe(_ context.Context, sub Subscription) error {
	if err := sub.validate(); err != nil {
		return err
	}
	sub.Metrics = orDiscard(sub.Metrics)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	name := sub.Queue
	if sub.PerReplica {
		name = sub.Queue + "." + randomSuffix()
	}
	q, ok := b.queues[name]
	if !ok {
		q = &memQueue{deadName: sub.Queue, types: map[string]bool{}, wake: make(chan struct{}, 1)}
		b.queues[name] = q
	}
	for _, t := range sub.Types {
		q.types[t] = true
	}
	for range b.opts.Prefetch {
		b.inflight.Go(func() { b.work(q, sub) })
	}
	// The in-process bus cannot lose its broker: its consumers are up.
	sub.Metrics.initQueue(sub.Queue, true)
	return nil
}

func (b *Memory) work(q *memQueue, sub Subscription) {
	for {
		d, ok := q.pop(b.stop)
		if !ok {
			return
		}
		switch b.opts.handle(b.hctx, sub, d.event, d.attempt) {
		case redeliver:
			d.attempt++
			time.AfterFunc(b.opts.delay(d.attempt-1), func() { q.push(d) })
		case deadLetter:
			b.mu.Lock()
			b.dead[q.deadName] = append(b.dead[q.deadName], d.event)
			b.mu.Unlock()
		case ack:
		}
	}
}

func (q *memQueue) push(d memDelivery) {
	q.mu.Lock()
	q.ready = append(q.ready, d)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop takes the oldest delivery, waiting for one until stop closes.
func (q *memQueue) pop(stop <-chan struct{}) (memDelivery, bool) {
	for {
		select {
		case <-stop:
			return memDelivery{}, false
		default:
		}
		q.mu.Lock()
		if len(q.ready) > 0 {
			d := q.ready[0]
			q.ready = q.ready[1:]
			more := len(q.ready) > 0
			q.mu.Unlock()
			if more {
				select {
				case q.wake <- struct{}{}:
				default:
				}
			}
			return d, true
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-stop:
			return memDelivery{}, false
		}
	}
}

// DeadLetters lists the events dead-lettered from queue (for per-replica
// subscriptions, from any queue with that prefix).
func (b *Memory) DeadLetters(_ context.Context, queue string) ([]events.Envelope, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.dead[queue]), nil
}

// Close implements Bus: workers stop taking deliveries, handlers in flight
// get ShutdownGrace to finish before their context is cancelled.
func (b *Memory) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	b.mu.Unlock()
	waitOrCancel(&b.inflight, b.opts.ShutdownGrace, b.hcancel)
	return nil
}

// waitOrCancel waits for wg; after grace it cancels the handlers' context
// and waits for them to return.
func waitOrCancel(wg *sync.WaitGroup, grace time.Duration, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		cancel()
		<-done
	}
	cancel()
}

func (s Subscription) validate() error {
	if s.Queue == "" || len(s.Types) == 0 || s.Handler == nil {
		return fmt.Errorf("subscription needs a queue, at least one event type and a handler (queue %q)", s.Queue)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
