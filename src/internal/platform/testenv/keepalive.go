package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// KeepAliveRounds sends every target (a path and query under base) rounds
// times from conns clients at once, each holding one keep-alive connection
// and walking the targets from its own offset, so the server parses many
// different requests into reused buffers. belongs says whether an answer
// is the one for its target; t fails with the first mismatches found.
//
// Fiber reuses request buffers: a string kept from one request (a cache
// key) changes under the next one on that connection, and a cache then
// hands out another query's answer. Only a real listener with keep-alive
// connections shows it.
func KeepAliveRounds(t testing.TB, base string, conns, rounds int, targets []string,
	belongs func(target string, status int, body []byte) error,
) {
	t.Helper()
	var (
		mu         sync.Mutex
		mismatches []string
		wrong      int
		total      int
	)
	var wg sync.WaitGroup
	for g := range conns {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true,
			}}
			defer client.CloseIdleConnections()
			for r := range rounds {
				for i := range targets {
					target := targets[(i+g*13+r)%len(targets)]
					status, body, err := get(client, base+target)
					if err == nil {
						err = belongs(target, status, body)
					}
					mu.Lock()
					total++
					if err != nil {
						wrong++
						if len(mismatches) < 5 {
							mismatches = append(mismatches, fmt.Sprintf("%s: %v", target, err))
						}
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if wrong > 0 {
		t.Fatalf("%d of %d answers did not belong to their request over keep-alive connections; first: %v",
			wrong, total, mismatches)
	}
}

func get(client *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
