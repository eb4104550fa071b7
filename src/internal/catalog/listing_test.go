package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/outbox"
)

// The catalog keeps each listing's JSON for the version of the catalog it
// shows (Versioned): a listing asked for after a write must show the
// write, on both stores make run and the chart use.
func TestListingPagesShowEveryWrite(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		store := NewMemoryStore(&outbox.Memory{})
		testListingPagesShowEveryWrite(t, store, func(_ string, check func() error) error { return check() })
	})
	t.Run("postgresql, cached", func(t *testing.T) {
		pool := newTestPool(t)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		store := NewCachedStore(NewPostgresStore(pool))
		go store.Listen(ctx, pool, slog.New(slog.DiscardHandler))
		// Until it listens the cache is off and every read goes to
		// PostgreSQL: the versions below would not move.
		eventually(t, "the cache listens", func() error {
			if _, on := store.Version(); !on {
				return errors.New("the cache is still off")
			}
			return nil
		})
		// A write reaches the cache through PostgreSQL's notification, a
		// moment after it commits.
		testListingPagesShowEveryWrite(t, store, func(what string, check func() error) error {
			eventually(t, what, check)
			return nil
		})
	})
}

func testListingPagesShowEveryWrite(t *testing.T, store interface {
	Store
	Versioned
}, settle func(what string, check func() error) error) {
	t.Helper()
	cfg, err := platform.LoadConfig[Config](map[string]string{"ADMIN_TOKEN": testToken})
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(cfg, store, slog.New(slog.DiscardHandler), platform.NewRegistry())
	ctx := context.Background()
	if _, _, err := store.Upsert(ctx, "lamp", input("Lamp", "home", 1000, 5)); err != nil {
		t.Fatal(err)
	}
	const path = "/catalog?category=home&sort=price"
	listing := func(want ...string) func() error {
		return func() error { return listed(t, app, path, want...) }
	}
	if err := settle("the first product is listed", listing("lamp 1000")); err != nil {
		t.Fatal(err)
	}
	before, _ := store.Version()
	if err := listed(t, app, path, "lamp 1000"); err != nil {
		t.Fatalf("the same listing again: %v", err)
	}

	if _, _, err := store.Upsert(ctx, "lamp", input("Lamp", "home", 900, 5)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Upsert(ctx, "clock", input("Clock", "home", 1500, 1)); err != nil {
		t.Fatal(err)
	}
	if err := settle("the new price and the new product are listed", listing("lamp 900", "clock 1500")); err != nil {
		t.Fatal(err)
	}
	if after, _ := store.Version(); after == before {
		t.Fatalf("version %d unchanged by two writes", after)
	}
	if err := store.Delete(ctx, "lamp"); err != nil {
		t.Fatal(err)
	}
	if err := settle("the deleted product is gone", listing("clock 1500")); err != nil {
		t.Fatal(err)
	}
}

// listed checks that GET path lists exactly want, each "id price", in order.
func listed(t *testing.T, app *fiber.App, path string, want ...string) error {
	t.Helper()
	r := do(t, app, "GET", path, "")
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	page := decode[Page](t, r)
	var got []string
	for _, p := range page.Items {
		got = append(got, fmt.Sprintf("%s %d", p.ID, p.PriceCents))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || page.Total != len(want) {
		return fmt.Errorf("GET %s listed %v (total %d), want %v", path, got, page.Total, want)
	}
	return nil
}
