package loadtest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosedLoopCountsRequestsAndErrors(t *testing.T) {
	var n atomic.Int64
	res := Run(context.Background(), Options{Concurrency: 4, Duration: 100 * time.Millisecond, Do: func(context.Context) error {
		time.Sleep(time.Millisecond)
		if n.Add(1)%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	}})
	if res.Requests != int(n.Load()) || res.Requests == 0 {
		t.Fatalf("recorded %d requests, made %d", res.Requests, n.Load())
	}
	if res.Errors != res.Requests/10 || res.FirstErr == nil {
		t.Fatalf("errors = %d of %d (first %v), want every tenth", res.Errors, res.Requests, res.FirstErr)
	}
	if res.Percentile(50) < time.Millisecond || res.Percentile(99) < res.Percentile(50) {
		t.Fatalf("percentiles p50 %s p99 %s below the 1ms each request takes", res.Percentile(50), res.Percentile(99))
	}
}

func TestOpenLoopMeasuresFromDueTime(t *testing.T) {
	// One worker, requests due every 5ms, each taking 20ms: the backlog
	// grows, and latency from the due time must show it.
	res := Run(context.Background(), Options{Concurrency: 1, Duration: 200 * time.Millisecond, Rate: 200, Do: func(context.Context) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	}})
	if res.Percentile(99) < 60*time.Millisecond {
		t.Fatalf("p99 = %s; queueing behind a slow server is hidden", res.Percentile(99))
	}
}
