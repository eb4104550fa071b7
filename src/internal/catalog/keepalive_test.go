package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// Every listing served over keep-alive connections is the listing of its
// own query, for the embedded store and for the page cache over
// PostgreSQL: a cache key still pointing into Fiber's request buffer would
// change under the next request and serve another query's page.
func TestListingsBelongToTheirQueryOverKeepAlive(t *testing.T) {
	ctx := context.Background()
	stores := map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemoryStore(&outbox.Memory{}) },
		"postgres-cached": func(t *testing.T) Store {
			pool := newTestPool(t)
			cached := NewCachedStore(NewPostgresStore(pool))
			listenCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); cached.Listen(listenCtx, pool, slog.New(slog.DiscardHandler)) }()
			t.Cleanup(func() { stop(); <-done })
			eventually(t, "the page cache is on", func() error {
				if !cached.enabled.Load() {
					return fmt.Errorf("cache still off")
				}
				return nil
			})
			return cached
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			const n = 60
			targets := make([]string, n)
			for i := range n {
				word := fmt.Sprintf("k%04d", i)
				if _, _, err := store.Upsert(ctx, "p-"+word, input("Lamp "+word, "home", int64(100+i), 1)); err != nil {
					t.Fatal(err)
				}
				targets[i] = "/catalog?q=" + word
			}
			cfg, err := platform.LoadConfig[Config](map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			base := testenv.Serve(t, NewApp(cfg, store, slog.New(slog.DiscardHandler), platform.NewRegistry()))
			testenv.KeepAliveRounds(t, base, 32, 8, targets, func(target string, status int, body []byte) error {
				if status != http.StatusOK {
					return fmt.Errorf("status %d: %s", status, body)
				}
				var page Page
				if err := json.Unmarshal(body, &page); err != nil {
					return err
				}
				want := "p-" + target[len("/catalog?q="):]
				if len(page.Items) != 1 || page.Items[0].ID != want {
					return fmt.Errorf("want only %s, got %d items, first %+v", want, len(page.Items), page.Items)
				}
				return nil
			})
		})
	}
}
