package mq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/shop-platform/shop/src/internal/events"
)

// publisher publishes on one confirm-mode channel and matches the broker's
// confirms and returns to the waiting publishers.
//
// A mandatory message that no queue takes comes back as basic.return, sent
// by the broker before the basic.ack of the same message. The library hands
// both over on separate Go channels, so track reads them in one goroutine
// and drains the returns before settling each confirm: a returned event is
// then never reported as delivered.
type publisher struct {
	ch       *amqp.Channel
	exchange string
	done     chan struct{} // closed when the channel is gone

	mu      sync.Mutex
	closed  bool
	waiters map[uint64]*waiter   // by delivery tag
	byID    map[string][]*waiter // by event id, for returns
}

type waiter struct {
	id       string
	returned bool
	result   chan error
}

// trackBuffer lets the library hand over confirms without waiting on track.
const trackBuffer = 1024

func newPublisher(ch *amqp.Channel, exchange string) *publisher {
	p := &publisher{
		ch: ch, exchange: exchange, done: make(chan struct{}),
		waiters: map[uint64]*waiter{}, byID: map[string][]*waiter{},
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, trackBuffer))
	returns := ch.NotifyReturn(make(chan amqp.Return, trackBuffer))
	go p.track(confirms, returns)
	return p
}

func (p *publisher) track(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return) {
	defer p.fail()
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			p.markReturned(r.MessageId)
		case c, ok := <-confirms:
			if !ok {
				return
			}
			p.drainReturns(&returns)
			p.settle(c)
		}
	}
}

func (p *publisher) drainReturns(returns *<-chan amqp.Return) {
	for *returns != nil {
		select {
		case r, ok := <-*returns:
			if !ok {
				*returns = nil
				return
			}
			p.markReturned(r.MessageId)
		default:
			return
		}
	}
}

func (p *publisher) markReturned(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.byID[id] {
		w.returned = true
	}
}

func (p *publisher) settle(c amqp.Confirmation) {
	p.mu.Lock()
	w, ok := p.waiters[c.DeliveryTag]
	if ok {
		p.forget(c.DeliveryTag, w)
	}
	p.mu.Unlock()
	switch {
	case !ok:
	case !c.Ack:
		w.result <- errors.New("the broker refused the event (basic.nack)")
	case w.returned:
		w.result <- ErrUnroutable
	default:
		w.result <- nil
	}
}

// forget removes a waiter; p.mu is held.
func (p *publisher) forget(tag uint64, w *waiter) {
	delete(p.waiters, tag)
	rest := p.byID[w.id][:0]
	for _, o := range p.byID[w.id] {
		if o != w {
			rest = append(rest, o)
		}
	}
	if len(rest) == 0 {
		delete(p.byID, w.id)
	} else {
		p.byID[w.id] = rest
	}
}

// fail answers every waiter once the channel is gone: their events may or
// may not have arrived, so the relay publishes them again.
func (p *publisher) fail() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for tag, w := range p.waiters {
		p.forget(tag, w)
		w.result <- errNotConnected
	}
	close(p.done)
}

func (p *publisher) publish(ctx context.Context, e events.Envelope) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	w := &waiter{id: e.ID, result: make(chan error, 1)}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, errNotConnected)
	}
	tag := p.ch.GetNextPublishSeqNo()
	p.waiters[tag] = w
	p.byID[e.ID] = append(p.byID[e.ID], w)
	err = p.ch.PublishWithContext(ctx, p.exchange, e.Type, true, false, amqp.Publishing{
		ContentType:  "application/cloudevents+json",
		DeliveryMode: amqp.Persistent,
		MessageId:    e.ID,
		Type:         e.Type,
		Timestamp:    e.Time,
		Body:         body,
	})
	if err != nil {
		p.forget(tag, w)
		p.mu.Unlock()
		return fmt.Errorf("publishing %s %s: %w: %w", e.Type, e.ID, errNotConnected, err)
	}
	p.mu.Unlock()
	select {
	case err := <-w.result:
		if err != nil {
			return fmt.Errorf("publishing %s %s: %w", e.Type, e.ID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the broker to confirm %s: %w", e.ID, ctx.Err())
	}
}
