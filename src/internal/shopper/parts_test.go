package shopper

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistogramPercentilesWithinOnePercent(t *testing.T) {
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, p := range []float64{50, 95, 99} {
		want := time.Duration(p*10) * time.Millisecond
		if got := h.percentile(p); got < want || float64(got) > float64(want)*1.011 {
			t.Errorf("p%g = %s, want %s within 1%%", p, got, want)
		}
	}
	if h.percentile(100) != time.Second {
		t.Errorf("p100 = %s, want the largest, 1s", h.percentile(100))
	}
}

func TestMisspellingsAreOneLetterOff(t *testing.T) {
	for mistake, want := range map[int]string{0: "haedphones", 1: "hadphones", 2: "heeadphones"} {
		if got := misspell("headphones", mistake, 1); got != want {
			t.Errorf("mistake %d: %q, want %q", mistake, got, want)
		}
	}
}

func TestWordsAreLearntFromListingsAndSearchResults(t *testing.T) {
	w := NewWords()
	w.learn(`<span class="name">Ergonomic <mark>Walnut</mark> Bookshelf</span><span class="name">USB-C Hub (4-port)</span>`)
	for _, want := range []string{"ergonomic", "walnut", "bookshelf"} {
		if !w.seen[want] {
			t.Errorf("%q not learnt; pool %v", want, w.list)
		}
	}
	if w.seen["usb-c"] || w.seen["hub"] {
		t.Errorf("learnt a word with digits or under four letters: %v", w.list)
	}
}

func TestDriveClosedLoopCountsCallsAndErrors(t *testing.T) {
	var n atomic.Int64
	res := Drive(context.Background(), Load{Workers: 4, Duration: 100 * time.Millisecond}, func(context.Context, int) error {
		time.Sleep(time.Millisecond)
		if n.Add(1)%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	})
	if res.Requests != int(n.Load()) || res.Requests == 0 {
		t.Fatalf("recorded %d calls, made %d", res.Requests, n.Load())
	}
	if res.Errors != res.Requests/10 || res.FirstErr == nil {
		t.Fatalf("errors = %d of %d (first %v), want every tenth", res.Errors, res.Requests, res.FirstErr)
	}
	if res.Percentile(50) < time.Millisecond || res.Percentile(99) < res.Percentile(50) {
		t.Fatalf("percentiles p50 %s p99 %s below the 1ms each call takes", res.Percentile(50), res.Percentile(99))
	}
}

func TestDriveOpenLoopMeasuresFromDueTime(t *testing.T) {
	// One worker, calls due every 5ms, each taking 20ms: the backlog grows,
	// and latency from the due time must show it.
	res := Drive(context.Background(), Load{Workers: 1, Duration: 200 * time.Millisecond, Rate: 200}, func(context.Context, int) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	if res.Percentile(99) < 60*time.Millisecond {
		t.Fatalf("p99 = %s; queueing behind a slow server is hidden", res.Percentile(99))
	}
}

func TestDriveStopsAtMax(t *testing.T) {
	var n atomic.Int64
	res := Drive(context.Background(), Load{Workers: 3, Rate: 1000, Max: 25}, func(context.Context, int) error {
		n.Add(1)
		return nil
	})
	if res.Requests != 25 || n.Load() != 25 {
		t.Fatalf("%d calls recorded, %d made; want 25", res.Requests, n.Load())
	}
}
