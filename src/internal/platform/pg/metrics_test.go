package pg

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// TestPoolMetricsShowConnectionsInUse checks the runtime dashboard's pool
// panel on a real PostgreSQL: a held connection counts as acquired, and the
// maximum is DATABASE_MAX_CONNS.
func TestPoolMetricsShowConnectionsInUse(t *testing.T) {
	url := testenv.NewDatabase(t)
	ctx := context.Background()
	pool, err := Open(ctx, Config{URL: platform.Secret(url), MaxConns: 3}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	reg := prometheus.NewRegistry()
	RegisterPoolMetrics(reg, pool)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		fmt.Sprintf("%s{state=\"acquired\"} 1\n", MetricPoolConnections),
		MetricPoolMaxConnections + " 3\n",
		MetricPoolWaitSeconds + " ",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("want %q in /metrics:\n%s", want, rec.Body.String())
		}
	}
}
