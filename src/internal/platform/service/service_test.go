package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// A service run by Run serves its app and runs its work on a bus until the
// context ends; then the work stops before the stores close.
func TestRunServesUntilCancelledThenClosesInOrder(t *testing.T) {
	base, err := platform.LoadConfig[platform.Base](map[string]string{"LOG_LEVEL": "error", "HOST": "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	port := testenv.FreePort(t)
	var (
		mu    sync.Mutex
		steps []string
	)
	step := func(s string) { mu.Lock(); steps = append(steps, s); mu.Unlock() }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Spec{Name: "test", Config: base, Base: &base, Port: port}, func(_ context.Context, logger *slog.Logger) (Service, error) {
			app := platform.NewApp("test", base, logger, platform.NewRegistry(), nil)
			return Service{
				App: app,
				Subscribe: func(_ context.Context, bus mq.Bus) error {
					step(fmt.Sprintf("subscribed on a bus: %t", bus != nil))
					return nil
				},
				Work: func(ctx context.Context, bus mq.Bus) error {
					step(fmt.Sprintf("work on a bus: %t", bus != nil))
					<-ctx.Done()
					step("work stopped")
					return nil
				},
				Close: func() { step("stores closed") },
			}, nil
		})
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/health", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered 200: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The consumers are subscribed before the work starts.
	if want := []string{"subscribed on a bus: true", "work on a bus: true", "work stopped", "stores closed"}; !slices.Equal(steps, want) {
		t.Fatalf("steps %q, want %q", steps, want)
	}
}
