package payment

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// MemoryStore is the embedded store `make run` uses.
type MemoryStore struct {
	mu       sync.RWMutex
	payments map[string]Payment
	outbox   *outbox.Memory
}

// NewMemoryStore returns an empty store recording its events in box.
func NewMemoryStore(box *outbox.Memory) *MemoryStore {
	return &MemoryStore{payments: map[string]Payment{}, outbox: box}
}

// Record implements Store.
func (s *MemoryStore) Record(_ context.Context, p Payment) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[p.OrderID]; ok {
		return false, nil
	}
	p.Status = Pending
	s.payments[p.OrderID] = p
	return true, nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, orderID string) (Payment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.payments[orderID]
	if !ok {
		return Payment{}, ErrNotFound
	}
	return p, nil
}

// Settle implements Store.
func (s *MemoryStore) Settle(ctx context.Context, orderID string, o Outcome, e events.Envelope) (bool, error) {
	return s.move(ctx, orderID, Pending, e, func(p *Payment) {
		p.Status, p.ChargeID, p.Code, p.Reason = o.Status, o.ChargeID, o.Code, o.Reason
	})
}

// Refund implements Store.
func (s *MemoryStore) Refund(ctx context.Context, orderID string, e events.Envelope) (bool, error) {
	return s.move(ctx, orderID, Captured, e, func(p *Payment) { p.Status = Refunded })
}

func (s *MemoryStore) move(ctx context.Context, orderID string, from Status, e events.Envelope, apply func(*Payment)) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[orderID]
	if !ok || p.Status != from {
		return false, nil
	}
	apply(&p)
	p.UpdatedAt = now()
	s.payments[orderID] = p
	s.outbox.Add(ctx, e)
	return true, nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, limit int) ([]Payment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Payment, 0, len(s.payments))
	for _, p := range s.payments {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Payment) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.OrderID, b.OrderID))
	})
	return out[:min(limit, len(out))], nil
}

// Ping implements Store: memory always answers.
func (s *MemoryStore) Ping(context.Context) error { return nil }
