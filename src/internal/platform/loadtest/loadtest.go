// Package loadtest is the small load driver behind `make bench`: closed-loop
// runs for maximum throughput, open-loop runs at a fixed rate for latency,
// and percentiles. Open-loop latency is measured from when each request was
// due, not when it was sent, so a stalled server cannot hide its queueing
// (coordinated omission).
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options describe one run.
type Options struct {
	// Concurrency is the number of workers.
	Concurrency int
	// Duration is how long requests are started.
	Duration time.Duration
	// Rate, when positive, starts that many requests per second in total
	// (open loop); zero runs every worker back to back (closed loop).
	Rate float64
	// Do performs one request.
	Do func(ctx context.Context) error
}

// Result is what a run measured.
type Result struct {
	Requests  int
	Errors    int
	FirstErr  error
	Elapsed   time.Duration
	latencies []time.Duration
}

// RPS is the rate of successful requests.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which p (0-100) percent fall.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := min(int(float64(len(r.latencies))*p/100), len(r.latencies)-1)
	return r.latencies[i]
}

// String is a one-line summary.
func (r Result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  (%d requests, %d errors)",
		r.RPS(), r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Requests, r.Errors)
}

// Run drives load as opts say and returns what it measured.
func Run(ctx context.Context, opts Options) Result {
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	var (
		mu  sync.Mutex
		res Result
		wg  sync.WaitGroup
	)
	record := func(due time.Time, err error) {
		d := time.Since(due)
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		res.latencies = append(res.latencies, d)
		if err != nil {
			res.Errors++
			if res.FirstErr == nil {
				res.FirstErr = err
			}
		}
	}
	// The request itself gets a context that outlives the run, so requests
	// started before the deadline are measured to their end.
	reqCtx := context.WithoutCancel(ctx)
	start := time.Now()
	if opts.Rate > 0 {
		due := make(chan time.Time, opts.Concurrency)
		for range opts.Concurrency {
			wg.Go(func() {
				for t := range due {
					record(t, opts.Do(reqCtx))
				}
			})
		}
		interval := time.Duration(float64(time.Second) / opts.Rate)
	schedule:
		for next := start; ; next = next.Add(interval) {
			if wait := time.Until(next); wait > 0 {
				select {
				case <-ctx.Done():
					break schedule
				case <-time.After(wait):
				}
			}
			select {
			case due <- next:
			case <-ctx.Done():
				break schedule
			}
		}
		close(due)
	} else {
		for range opts.Concurrency {
			wg.Go(func() {
				for ctx.Err() == nil {
					t := time.Now()
					record(t, opts.Do(reqCtx))
				}
			})
		}
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// NewClient returns an HTTP client that keeps enough idle connections for
// concurrency workers to reuse theirs.
func NewClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency * 2
	t.MaxIdleConnsPerHost = concurrency * 2
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// Get returns a Do function that GETs url and expects status 200.
func Get(client *http.Client, url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
		}
		return nil
	}
}
