package catalog

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// The compensation puts back exactly what the reservation took, once,
// however often and from however many replicas it is asked; an order
// that reserved nothing releases nothing.
func TestReleasePutsAReservationBackOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s storeUnderTest) {
		ctx := context.Background()
		fill(t, s, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 5), "pan": input("Pan", "kitchen", 3000, 1)})
		id := uuid.NewString()
		if r := reserve(t, s, uuid.NewString(), order(id, line("mug", 2), line("pan", 1))); !r.Reserved {
			t.Fatalf("reserving: %+v", r)
		}
		var wg sync.WaitGroup
		released := make(chan bool, 4)
		for range 4 {
			wg.Go(func() {
				ok, err := s.Release(ctx, id)
				if err != nil {
					t.Error(err)
				}
				released <- ok
			})
		}
		wg.Wait()
		close(released)
		n := 0
		for ok := range released {
			if ok {
				n++
			}
		}
		if n != 1 || stockOf(t, s, "mug") != 5 || stockOf(t, s, "pan") != 1 {
			t.Fatalf("%d releases applied, stock mug %d pan %d; want one, back to 5 and 1", n, stockOf(t, s, "mug"), stockOf(t, s, "pan"))
		}
		rejected := uuid.NewString()
		reserve(t, s, uuid.NewString(), order(rejected, line("pan", 9)))
		if ok, err := s.Release(ctx, rejected); err != nil || ok || stockOf(t, s, "pan") != 1 {
			t.Fatalf("releasing a rejected order: %v %v, pan %d; want nothing released", ok, err, stockOf(t, s, "pan"))
		}
	})
}
