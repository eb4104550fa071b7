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
	if reason == "" {
		s.reserved[order.OrderID] = want
	}
	s.changed()
	s.outbox.Add(ctx, outcome)
	return Reservation{Applied: true, Reserved: reason == "", Reason: reason}, nil
}

// Release implements Store. A released order's entry stays, empty, so a
// second release finds nothing to put back.
func (s *MemoryStore) Release(ctx context.Context, orderID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.reserved[orderID]
	if len(want) == 0 {
		return false, nil
	}
	at := now()
	var changes []events.Envelope
	var updated []Product
	for id, n := range want {
		p, ok := s.products[id]
		if !ok {
			continue // deleted since: nothing to put back
		}
		p.Stock += n
		p.UpdatedAt = at
		s.revision++
		p.Revision = s.revision
		e, err := upsertedEvent(p)
		if err != nil {
			return false, err
		}
		updated, changes = append(updated, p), append(changes, e)
	}
	for i, p := range updated {
		s.products[p.ID] = p
		s.outbox.Add(ctx, changes[i])
	}
	s.reserved[orderID] = map[string]int{}
	s.changed()
	return true, nil
}
