package shopper

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Run sends o.Users shoppers on journeys of o.Mix, Drive starting each
// journey, until o.Duration or o.MaxJourneys is reached or stop is closed
// (nil: never); then the shoppers finish the journey they are on, those
// following an order for up to o.OrderTimeout. Ending ctx ends everything
// at once. progress, when set, gets every second's Sample.
func Run(ctx context.Context, o *Options, rec *Recorder, stop <-chan struct{}, progress func(Sample, *Recorder)) Report {
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun()
	if stop != nil {
		go func() {
			select {
			case <-stop:
				endRun()
			case <-runCtx.Done():
			}
		}()
	}
	if o.Duration > 0 {
		runCtx, endRun = context.WithTimeout(runCtx, o.Duration)
		defer endRun()
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.Users * 2,
		MaxIdleConnsPerHost: o.Users * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	defer transport.CloseIdleConnections()
	id := runID()
	var seq atomic.Int64
	email := func() string { return fmt.Sprintf("shopper-%s-%d@example.com", id, seq.Add(1)) }
	words := NewWords()
	seed := uint64(rec.start.UnixNano())
	shoppers := make([]*Shopper, o.Users)
	for i := range shoppers {
		shoppers[i] = newShopper(o, transport, rec, words, seed+uint64(i)*7919, runCtx, ctx, email)
	}
	total := 0
	for _, w := range o.Mix {
		total += w.Weight
	}

	done := make(chan struct{})
	ticks := make(chan struct{})
	go func() {
		defer close(ticks)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				if s := rec.tick(now); progress != nil {
					progress(s, rec)
				}
			}
		}
	}()
	res := Drive(runCtx, Load{Workers: o.Users, Rate: o.Rate, Max: o.MaxJourneys}, func(_ context.Context, worker int) error {
		s := shoppers[worker]
		n := s.rng.IntN(total)
		for _, w := range o.Mix {
			if n -= w.Weight; n < 0 {
				// A shopper shown an error page pauses before trying
				// again, rather than hammer a shop that is down.
				err := s.Journey(w.Journey)
				if err != nil && !errors.Is(err, errStop) {
					sleep(runCtx, o.ErrorPause)
				}
				return err
			}
		}
		return nil
	})
	close(done)
	<-ticks
	// The last, partial second stays out of the timeline (it would show as
	// a drop in throughput) but is in the totals.
	rep := rec.Report(time.Now())
	rep.Target, rep.Users, rep.Rate, rep.RunID, rep.Journeys = o.Storefront, o.Users, o.Rate, id, int64(res.Requests)
	return rep
}

// runID tells one run's shoppers' email addresses from another's, so the
// accounting can count the orders of each checkout.
func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
