package order

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// MemoryStore is the embedded store `make run` uses.
type MemoryStore struct {
	mu     sync.RWMutex
	orders map[string]Order
	keys   map[string]keyed
	outbox *outbox.Memory
}

type keyed struct{ id, fingerprint string }

// NewMemoryStore returns an empty store recording its events in box.
func NewMemoryStore(box *outbox.Memory) *MemoryStore {
	return &MemoryStore{orders: map[string]Order{}, keys: map[string]keyed{}, outbox: box}
}

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, o Order, e events.Envelope, key, fingerprint string) (Order, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if existing, err := s.byKey(key, fingerprint); !errors.Is(err, ErrNotFound) {
			return existing, false, err
		}
		s.keys[key] = keyed{id: o.ID, fingerprint: fingerprint}
	}
	o.Items = slices.Clone(o.Items)
	s.orders[o.ID] = o
	s.outbox.Add(ctx, e)
	return o, true, nil
}

// ByKey implements Store.
func (s *MemoryStore) ByKey(_ context.Context, key, fingerprint string) (Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byKey(key, fingerprint)
}

func (s *MemoryStore) byKey(key, fingerprint string) (Order, error) {
	k, ok := s.keys[key]
	switch {
	case !ok:
		return Order{}, ErrNotFound
	case k.fingerprint != fingerprint:
		return Order{}, ErrKeyReused
	}
	return s.orders[k.id], nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, id string) (Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.orders[id]
	if !ok {
		return Order{}, ErrNotFound
	}
	return o, nil
}

// Settle implements Store.
func (s *MemoryStore) Settle(_ context.Context, eventID, orderID string, status Status, reason, payment string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.outbox.MarkProcessed(settleConsumer, eventID) {
		return false, nil
	}
	o, ok := s.orders[orderID]
	if !ok || !canMove(o.Status, status) {
		return false, nil
	}
	s.orders[orderID] = movedTo(o, status, reason, payment, now())
	return true, nil
}

// Move implements Store.
func (s *MemoryStore) Move(ctx context.Context, orderID string, status Status, e *events.Envelope) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	switch {
	case !ok:
		return Order{}, ErrNotFound
	case o.Status != Confirmed:
		return o, ErrConflict
	}
	o = movedTo(o, status, "", "", now())
	s.orders[orderID] = o
	if e != nil {
		s.outbox.Add(ctx, *e)
	}
	return o, nil
}

// Ping implements Store: memory always answers.
func (s *MemoryStore) Ping(context.Context) error { return nil }
