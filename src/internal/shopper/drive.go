package shopper

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load says how Drive calls: Workers goroutines, for Duration (0: until ctx
// ends), at most Max calls (0: no limit); with Rate, that many calls per
// second in total are due (open loop), without it each worker calls again
// at once (closed loop).
type Load struct {
	Workers  int
	Duration time.Duration
	Rate     float64
	Max      int64
}

// Result is what Drive measured of the calls.
type Result struct {
	Requests int
	Errors   int
	FirstErr error
	Elapsed  time.Duration
	hist     *histogram
}

// RPS is the rate of successful calls.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Errors) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which p (0-100) percent fall.
func (r Result) Percentile(p float64) time.Duration { return r.hist.percentile(p) }

func (r Result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  (%d requests, %d errors)",
		r.RPS(), r.Percentile(50).Round(time.Microsecond), r.Percentile(99).Round(time.Microsecond), r.Requests, r.Errors)
}

// Drive calls do as load says and measures each call: the one engine
// behind make bench (a single request per call, cross-checked with wrk)
// and the shoppers (a journey per call). Open-loop latency is measured from
// when a call was due, not when it started, so a stalled server cannot hide
// its queue (coordinated omission). Calls get a context that outlives the
// run, so calls started before its end are measured to theirs.
func Drive(ctx context.Context, load Load, do func(ctx context.Context, worker int) error) Result {
	if load.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, load.Duration)
		defer cancel()
	}
	var (
		mu      sync.Mutex
		res     = Result{hist: newHistogram()}
		wg      sync.WaitGroup
		started atomic.Int64
	)
	call := func(worker int, due time.Time) bool {
		if load.Max > 0 && started.Add(1) > load.Max {
			return false
		}
		err := do(context.WithoutCancel(ctx), worker)
		d := time.Since(due)
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		res.hist.add(d)
		if err != nil {
			res.Errors++
			if res.FirstErr == nil {
				res.FirstErr = err
			}
		}
		return true
	}
	start := time.Now()
	if load.Rate <= 0 {
		for w := range load.Workers {
			wg.Go(func() {
				for ctx.Err() == nil {
					if !call(w, time.Now()) {
						return
					}
				}
			})
		}
		wg.Wait()
		res.Elapsed = time.Since(start)
		return res
	}
	due := make(chan time.Time, load.Workers)
	for w := range load.Workers {
		wg.Go(func() {
			for t := range due {
				if !call(w, t) {
					return
				}
			}
		})
	}
	interval := time.Duration(float64(time.Second) / load.Rate)
schedule:
	for next := start; load.Max == 0 || started.Load() < load.Max; next = next.Add(interval) {
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
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// NewClient returns an HTTP client that keeps enough idle connections for
// workers to reuse theirs.
func NewClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = workers*2, workers*2
	return &http.Client{Transport: t, Timeout: 10 * time.Second}
}

// Get returns a call of Drive that GETs url and expects 200.
func Get(client *http.Client, url string) func(ctx context.Context, worker int) error {
	return func(ctx context.Context, _ int) error {
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
