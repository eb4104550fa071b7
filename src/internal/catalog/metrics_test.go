package catalog

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// TestReservationsAreCountedOncePerOrder checks the stock reservation
// counter the business dashboard shows: one reserved, one rejected, and a
// redelivery counted not at all.
func TestReservationsAreCountedOncePerOrder(t *testing.T) {
	store := NewMemoryStore(&outbox.Memory{})
	fill(t, store, map[string]ProductInput{"mug": input("Mug", "kitchen", 900, 1)})
	reg := prometheus.NewRegistry()
	c := newReservationCounter(reg)
	handle := reserveHandler(store, c)
	send := func(id string, o events.OrderCreatedData) {
		e, err := events.New(Source, events.OrderCreated, o)
		if err != nil {
			t.Fatal(err)
		}
		e.ID = id
		if err := handle(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	first := uuid.NewString()
	send(first, order("o1", line("mug", 1)))
	send(first, order("o1", line("mug", 1)))
	send(uuid.NewString(), order("o2", line("mug", 1)))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{MetricStockReservations + `{result="reserved"} 1`, MetricStockReservations + `{result="rejected"} 1`} {
		if !strings.Contains(rec.Body.String(), want+"\n") {
			t.Errorf("want %s; /metrics:\n%s", want, rec.Body.String())
		}
	}
}
