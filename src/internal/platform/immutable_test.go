package platform

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Strings a handler keeps from c.Query, c.Params or c.Get (a cache key, a
// stored id) stay as they were when later requests on the same keep-alive
// connection reuse Fiber's buffers: every service's app is immutable.
func TestKeptRequestStringsSurviveTheNextRequest(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	var mu sync.Mutex
	var kept []string
	app.Get("/keep/:id", func(c *fiber.Ctx) error {
		mu.Lock()
		defer mu.Unlock()
		kept = append(kept, c.Params("id"), c.Query("q"), c.Get("X-Tag"))
		return c.SendStatus(http.StatusNoContent)
	})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, app, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	const n = 50
	for i := range n {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/keep/id%03d?q=q%03d", ln.Addr(), i, i), nil)
		req.Header.Set("X-Tag", fmt.Sprintf("t%03d", i))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	for i := range n {
		want := []string{fmt.Sprintf("id%03d", i), fmt.Sprintf("q%03d", i), fmt.Sprintf("t%03d", i)}
		for j, w := range want {
			if got := kept[3*i+j]; got != w {
				t.Fatalf("request %d: kept %q changed to %q by a later request", i, w, got)
			}
		}
	}
}
