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
	refs   map[string]string // reference -> order id
	outbox *outbox.Memory
	// mail holds the emails written by status changes (EnableMail), in
	// order; sent ones are dropped.
	mail   []Mail
	mailOn bool
	mailed map[string]bool // order id + kind
}

// EnableMail makes every status change a shopper is told about write its
// email, for the mail relay to send.
func (s *MemoryStore) EnableMail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailOn = true
}

// addMail queues the email about o's new status, once per order and kind;
// the caller holds the lock.
func (s *MemoryStore) addMail(o Order) {
	m, ok := mailFor(o)
	if !s.mailOn || !ok || s.mailed[o.ID+"/"+string(o.Status)] {
		return
	}
	s.mailed[o.ID+"/"+string(o.Status)] = true
	s.mail = append(s.mail, m)
}

// PendingMail implements MailQueue.
func (s *MemoryStore) PendingMail(_ context.Context, limit int) ([]Mail, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.mail[:min(limit, len(s.mail))]), nil
}

// MarkMailSent implements MailQueue.
func (s *MemoryStore) MarkMailSent(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail = slices.DeleteFunc(s.mail, func(m Mail) bool { return m.ID == id })
	return nil
}

type keyed struct{ id, fingerprint string }

// NewMemoryStore returns an empty store recording its events in box.
func NewMemoryStore(box *outbox.Memory) *MemoryStore {
	return &MemoryStore{orders: map[string]Order{}, keys: map[string]keyed{}, refs: map[string]string{}, mailed: map[string]bool{}, outbox: box}
}

// Create implements Store.
func (s *MemoryStore) Create(ctx context.Context, o Order, e events.Envelope, key, fingerprint string) (Order, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != "" {
		if existing, err := s.byKey(key, fingerprint); !errors.Is(err, ErrNotFound) {
			return existing, false, err
		}
	}
	if _, taken := s.refs[o.Reference]; taken && o.Reference != "" {
		return Order{}, false, ErrReferenceTaken
	}
	if key != "" {
		s.keys[key] = keyed{id: o.ID, fingerprint: fingerprint}
	}
	if o.Reference != "" {
		s.refs[o.Reference] = o.ID
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

// ByReference implements Store.
func (s *MemoryStore) ByReference(_ context.Context, ref string) (Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.refs[ref]
	if !ok {
		return Order{}, ErrNotFound
	}
	return s.orders[id], nil
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
	o = movedTo(o, status, reason, payment, now())
	s.orders[orderID] = o
	s.addMail(o)
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
	s.addMail(o)
	if e != nil {
		s.outbox.Add(ctx, *e)
	}
	return o, nil
}

// Ping implements Store: memory always answers.
func (s *MemoryStore) Ping(context.Context) error { return nil }
