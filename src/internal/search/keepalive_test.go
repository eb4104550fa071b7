package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Every answer of the cached search service over keep-alive connections is
// the answer to its own query: the answer cache keys on the query, and a key
// still pointing into Fiber's request buffer would change under the next
// request and serve one shopper another's results.
func TestCachedAnswersBelongToTheirQueryOverKeepAlive(t *testing.T) {
	const n = 60
	products := make([]events.Product, n)
	targets := make([]string, n)
	for i := range n {
		word := fmt.Sprintf("k%04d", i)
		products[i] = events.Product{ID: "p-" + word, Name: "Lamp " + word, Category: "home",
			PriceCents: int64(100 + i), Currency: "USD", Stock: 1, UpdatedAt: time.Now()}
		targets[i] = "/search?q=" + word
	}
	cat := newFakeCatalog(t, products)
	cfg, err := platform.LoadConfig[Config](map[string]string{"CATALOG_URL": cat.URL, "SEARCH_CACHE_TTL": "1m"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Open(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := mq.NewMemory(mq.Options{Logger: quietLogger()})
	if err := svc.Subscribe(ctx, bus); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, bus) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = bus.Close()
		_ = svc.Close()
	})
	base := testenv.Serve(t, svc.App)
	eventually(t, "the initial load is done", func() bool { return svc.Indexer.Loaded(ctx) == nil })

	testenv.KeepAliveRounds(t, base, 32, 8, targets, func(target string, status int, body []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("status %d: %s", status, body)
		}
		var res Result
		if err := json.Unmarshal(body, &res); err != nil {
			return err
		}
		want := "p-" + target[len("/search?q="):]
		if len(res.Hits) == 0 || res.Hits[0].ID != want {
			return fmt.Errorf("top hit is not %s: %+v", want, res.Hits)
		}
		return nil
	})
}
