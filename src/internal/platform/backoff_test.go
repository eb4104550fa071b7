package platform

import (
	"context"
	"testing"
	"time"
)

func TestBackoffGrowsIsCappedAndJittered(t *testing.T) {
	const base, limit = 100 * time.Millisecond, time.Second
	// The n-th delay (from 0) lies in the upper half of min(base*2^n, limit).
	want := []time.Duration{base, 2 * base, 4 * base, 8 * base, limit, limit, limit}
	seen := map[int]map[time.Duration]bool{}
	for range 50 {
		b := Backoff(base, limit)
		for i, ceiling := range want {
			d, stop := b.Next()
			if stop {
				t.Fatalf("delay %d: the backoff stopped; it must retry until the context ends", i)
			}
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("delay %d = %v, want within [%v, %v]", i, d, ceiling/2, ceiling)
			}
			if seen[i] == nil {
				seen[i] = map[time.Duration]bool{}
			}
			seen[i][d] = true
		}
	}
	for i := range want {
		if len(seen[i]) < 2 {
			t.Errorf("delay %d was the same in 50 backoffs: no jitter", i)
		}
	}
}

func TestBackoffNewOneStartsSmallAgain(t *testing.T) {
	const base, limit = 10 * time.Millisecond, time.Hour
	b := Backoff(base, limit)
	for range 20 {
		b.Next()
	}
	if d, _ := b.Next(); d < time.Hour/2 {
		t.Fatalf("after 20 retries the delay is %v, want it capped near %v", d, limit)
	}
	if d, _ := Backoff(base, limit).Next(); d > base {
		t.Fatalf("a new backoff's first delay is %v, want at most %v", d, base)
	}
}

func TestBackoffLongOutageStaysAtTheCap(t *testing.T) {
	b := Backoff(time.Second, 5*time.Second)
	for i := range 100 {
		if d, _ := b.Next(); d <= 0 || d > 5*time.Second {
			t.Fatalf("delay %d = %v, want within (0, 5s]: doubling must not overflow", i, d)
		}
	}
}

func TestPauseStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if Pause(ctx, Backoff(time.Hour, time.Hour)) {
		t.Fatal("Pause reported a complete wait on an ended context")
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("Pause waited %v after the context ended", waited)
	}
	if !Pause(t.Context(), Backoff(time.Millisecond, time.Millisecond)) {
		t.Fatal("Pause reported an interrupted wait on a live context")
	}
}

func TestBackoffDelayOfAnAttemptDoublesUpToTheLimit(t *testing.T) {
	const base, limit = 100 * time.Millisecond, 30 * time.Second
	for attempt, ceiling := range map[int]time.Duration{1: base, 2: 2 * base, 3: 4 * base, 9: 25600 * time.Millisecond, 10: limit, 1000: limit} {
		for range 20 {
			if d := BackoffDelay(base, limit, attempt); d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d: delay %v, want within [%v, %v]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}
