package mq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/shop-platform/shop/src/internal/events"
)

// Memory is the in-process bus of the embedded default, on Watermill's
// GoChannel Pub/Sub (prototype). GoChannel fans every message of a topic out
// to every subscriber and drops a message nobody subscribed to, so the queue
// semantics are kept here: a GoChannel topic per queue, the bindings of event
// types to queues (and ErrUnroutable when none matches), competing workers on
// one subscription, delayed redelivery and a dead-letter list per queue.
type Memory struct {
	opts   Options
	pubsub *gochannel.GoChannel

	mu       sync.Mutex
	bindings map[string]map[string]bool // queue -> event types
	outputs  map[string]<-chan *message.Message
	dead     map[string][]events.Envelope
	closed   bool

	stop     context.Context // cancelled by Close: subscriptions end
	cancel   context.CancelFunc
	hctx     context.Context
	hcancel  context.CancelFunc
	inflight sync.WaitGroup
}

// attemptKey is the metadata holding a delivery's attempt number.
const attemptKey = "attempt"

// NewMemory returns an in-process bus.
func NewMemory(opts Options) *Memory {
	b := &Memory{
		opts:     opts.withDefaults(),
		pubsub:   gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{}),
		bindings: map[string]map[string]bool{}, outputs: map[string]<-chan *message.Message{},
		dead: map[string][]events.Envelope{},
	}
	b.stop, b.cancel = context.WithCancel(context.Background())
	b.hctx, b.hcancel = context.WithCancel(context.Background())
	return b
}

// Publish implements Bus: e is sent to the topic of every queue bound to its type.
func (b *Memory) Publish(ctx context.Context, e events.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	routed := false
	for queue, types := range b.bindings {
		if types[e.Type] {
			msg := message.NewMessage(e.ID, body)
			msg.Metadata.Set(attemptKey, "1")
			if err := b.pubsub.Publish(queue, msg); err != nil {
				return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, err)
			}
			routed = true
		}
	}
	if !routed {
		return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, ErrUnroutable)
	}
	return nil
}

// Subscribe implements Bus: Prefetch workers take messages from the queue's topic.
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
	out, ok := b.outputs[name]
	if !ok {
		var err error
		if out, err = b.pubsub.Subscribe(b.stop, name); err != nil {
			return fmt.Errorf("subscribing %s: %w", name, err)
		}
		b.outputs[name], b.bindings[name] = out, map[string]bool{}
	}
	for _, t := range sub.Types {
		b.bindings[name][t] = true
	}
	for range b.opts.Prefetch {
		b.inflight.Go(func() { b.work(name, out, sub) })
	}
	sub.Metrics.initQueue(sub.Queue, true)
	return nil
}

// work handles the queue's messages until its subscription ends. It acks
// each message as it takes it, so GoChannel, which holds a subscriber's next
// message until the previous one is acked, hands the next to another worker.
func (b *Memory) work(queue string, out <-chan *message.Message, sub Subscription) {
	for msg := range out {
		msg.Ack()
		var e events.Envelope
		if err := json.Unmarshal(msg.Payload, &e); err != nil {
			continue // the bus encoded it: cannot happen
		}
		attempt, _ := strconv.Atoi(msg.Metadata.Get(attemptKey))
		switch b.opts.handle(b.hctx, sub, e, attempt) {
		case redeliver:
			again := msg.Copy()
			again.Metadata.Set(attemptKey, strconv.Itoa(attempt+1))
			time.AfterFunc(b.opts.delay(attempt), func() { _ = b.pubsub.Publish(queue, again) })
		case deadLetter:
			b.mu.Lock()
			b.dead[sub.Queue] = append(b.dead[sub.Queue], e)
			b.mu.Unlock()
		case ack:
		}
	}
}

// DeadLetters lists the events dead-lettered from queue.
func (b *Memory) DeadLetters(_ context.Context, queue string) ([]events.Envelope, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.dead[queue]), nil
}

// Close implements Bus: subscriptions end, handlers in flight get
// ShutdownGrace to finish before their context is cancelled.
func (b *Memory) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	waitOrCancel(&b.inflight, b.opts.ShutdownGrace, b.hcancel)
	return b.pubsub.Close()
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
