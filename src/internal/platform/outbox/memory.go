package outbox

import (
	"context"
	"slices"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/shop-platform/shop/src/internal/events"
)

// Memory is the embedded outbox: the in-memory stores append to it while
// holding their own lock, which is as atomic as a transaction in one process.
// It also remembers which events each consumer has processed, the most
// recent RememberedEvents of them: the in-process bus redelivers within
// seconds, so older ids (PostgreSQL keeps them for Retention) are dropped
// rather than kept for the life of the process.
type Memory struct {
	mu        sync.Mutex
	pending   []*memEntry
	processed *lru.Cache[string, struct{}]
	wake      chan struct{}
}

// RememberedEvents bounds the processed-event ids Memory keeps.
const RememberedEvents = 100_000

type memEntry struct {
	event    events.Envelope
	attempts int
	due      time.Time
	claimed  bool
}

func (m *Memory) init() {
	if m.wake == nil {
		m.wake = make(chan struct{}, 1)
		m.processed, _ = lru.New[string, struct{}](RememberedEvents) // fails only for a size below 1
	}
}

// Add appends e to the unsent events, with the trace context of ctx as
// Insert stores it.
func (m *Memory) Add(ctx context.Context, e events.Envelope) {
	e = e.WithTrace(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.pending = append(m.pending, &memEntry{event: e, due: time.Now()})
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Pending lists up to limit unsent events, oldest first.
func (m *Memory) Pending(_ context.Context, limit int) ([]events.Envelope, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := make([]events.Envelope, 0, min(limit, len(m.pending)))
	for _, e := range m.pending[:min(limit, len(m.pending))] {
		list = append(list, e.event)
	}
	return list, nil
}

// Relay publishes up to limit due events like Postgres.Relay: sent ones
// leave the outbox, failed ones wait for their retry.
func (m *Memory) Relay(ctx context.Context, limit int, publish PublishFunc) (int, error) {
	m.mu.Lock()
	m.init()
	now := time.Now()
	var batch []*memEntry
	// Fresh events first, then due retries, as Postgres.Relay claims them.
	for _, retries := range []bool{false, true} {
		for _, e := range m.pending {
			if len(batch) == limit {
				break
			}
			if !e.claimed && !e.due.After(now) && (e.attempts > 0) == retries {
				e.claimed = true
				batch = append(batch, e)
			}
		}
	}
	m.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	list := make([]events.Envelope, len(batch))
	for i, e := range batch {
		list[i] = e.event
	}
	results := publish(ctx, list)

	m.mu.Lock()
	defer m.mu.Unlock()
	sent := map[*memEntry]bool{}
	for i, e := range batch {
		e.claimed = false
		e.attempts++
		if results[i] == nil {
			sent[e] = true
		} else {
			e.due = time.Now().Add(retryDelay(e.attempts, results[i]))
		}
	}
	m.pending = slices.DeleteFunc(m.pending, func(e *memEntry) bool { return sent[e] })
	return len(batch), nil
}

// Stats reports the unsent events.
func (m *Memory) Stats(context.Context) (Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Backlog: len(m.pending)}
	if len(m.pending) > 0 {
		s.OldestAge = time.Since(m.pending[0].event.Time)
	}
	return s, nil
}

// Wake signals when an event has been added.
func (m *Memory) Wake(context.Context) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.wake
}

// MarkProcessed records that consumer has handled eventID and tells whether
// this is the first time. The in-memory stores call it under their own lock,
// together with the change the event causes.
func (m *Memory) MarkProcessed(consumer, eventID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	key := consumer + "\x00" + eventID
	if m.processed.Contains(key) {
		return false
	}
	m.processed.Add(key, struct{}{})
	return true
}
