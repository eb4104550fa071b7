package catalog

import (
	"context"

	"github.com/shop-platform/shop/src/internal/events"
)

// Reserve implements Store. The store's lock makes the check, the update
// and the events one step; everything that can fail happens before any
// change.
func (s *MemoryStore) Reserve(ctx context.Context, eventID string, order events.OrderCreatedData) (Reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, want := wanted(order.Lines)
	have := map[string]int{}
	for _, id := range ids {
		if p, ok := s.products[id]; ok {
			have[id] = p.Stock
		}
	}
	reason := shortage(ids, want, have)
	outcome, err := outcomeEvent(order.OrderID, reason)
	if err != nil {
		return Reservation{}, err
	}
	var updated []Product
	var changes []events.Envelope
	if reason == "" {
		at := now()
		for _, id := range ids {
			p := s.products[id]
			p.Stock -= want[id]
			p.UpdatedAt = at
			s.revision++
			p.Revision = s.revision
			e, err := upsertedEvent(p)
			if err != nil {
				return Reservation{}, err
			}
			updated, changes = append(updated, p), append(changes, e)
		}
	}
	if !s.outbox.MarkProcessed(reserveConsumer, eventID) {
		return Reservation{}, nil
	}
	for i, p := range updated {
		s.products[p.ID] = p
		s.outbox.Add(ctx, changes[i])
	}
	s.changed()
	s.outbox.Add(ctx, outcome)
	return Reservation{Applied: true, Reserved: reason == "", Reason: reason}, nil
}
