package mq

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shop-platform/shop/src/internal/events"
)

// scrape is reg's /metrics page.
func scrape(reg *prometheus.Registry) string {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestConsumerUpFollowsTheChannel checks the gauge behind ShopConsumerDown
// on the real broker: 1 while the consumer consumes, 0 once it stopped, and
// the queue's counters exported at 0 before any delivery.
func TestConsumerUpFollowsTheChannel(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	b, queue := newTestRabbit(t, &opts)
	q := queue("up")
	reg := prometheus.NewRegistry()
	subscribe(t, b, Subscription{Queue: q, Types: []string{events.OrderCreated}, Handler: newReceived().handler(nil), Metrics: NewMetrics(reg)})
	series := func(name string, v int) string { return fmt.Sprintf("%s{queue=%q} %d\n", name, q, v) }
	eventually(t, "the consumer is up", func() bool { return strings.Contains(scrape(reg), series(MetricConsumerUp, 1)) })
	if page := scrape(reg); !strings.Contains(page, series(MetricDeadLettered, 0)) || !strings.Contains(page, series(MetricConsumed, 0)) {
		t.Fatalf("the queue's counters are not exported at 0 before any delivery:\n%s", page)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if page := scrape(reg); !strings.Contains(page, series(MetricConsumerUp, 0)) {
		t.Fatalf("the consumer stopped, yet not down:\n%s", page)
	}
}

// TestMemoryConsumersAreUp checks the in-process bus, which has no broker
// to lose, reports its consumers up.
func TestMemoryConsumersAreUp(t *testing.T) {
	b := NewMemory(testOptions())
	defer func() { _ = b.Close() }()
	reg := prometheus.NewRegistry()
	subscribe(t, b, Subscription{Queue: "q", Types: []string{events.OrderCreated}, Handler: newReceived().handler(nil), Metrics: NewMetrics(reg)})
	if page := scrape(reg); !strings.Contains(page, MetricConsumerUp+`{queue="q"} 1`+"\n") {
		t.Fatalf("an in-process consumer is not up:\n%s", page)
	}
}
