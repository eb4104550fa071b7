// Package shopper is the shop's one simulated customer, and the engine that
// runs many: the load generator (src/cmd/loadgen), the probe's checks in a
// cluster (src/cmd/probe), soak and drill (src/tools/drill), make e2e's
// request loops (the load generator's image) and make bench (Drive) all
// shop through it. A shopper reads the storefront's pages as a person
// does (links, forms, the order's status) or calls the JSON APIs, and
// every request is recorded by step. It uses the standard library only,
// so the probe in every image stays small.
package shopper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Shopper is one simulated person: a cookie jar (the storefront keeps the
// cart in a cookie) and the journeys they take.
type Shopper struct {
	o      *Options
	client *http.Client
	rec    *Recorder
	words  *Words
	rng    *rand.Rand
	// stop ends browsing when the run is over; hard also ends placing and
	// following an order already begun.
	stop, hard context.Context
	email      func() string
}

// New returns a shopper on its own: a probe's, recording into rec, with
// every order's email address email. ctx bounds all it does.
func New(ctx context.Context, o *Options, rec *Recorder, email string) *Shopper {
	seed := uint64(time.Now().UnixNano())
	return newShopper(o, http.DefaultTransport, rec, NewWords(), seed, ctx, ctx, func() string { return email })
}

func newShopper(o *Options, transport http.RoundTripper, rec *Recorder, w *Words, seed uint64, stop, hard context.Context, email func() string) *Shopper {
	jar, _ := cookiejar.New(nil)
	return &Shopper{o: o, rec: rec, words: w, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), //nolint:gosec // simulated shoppers: seeded on purpose, reproducible
		stop: stop, hard: hard, email: email,
		client: &http.Client{Transport: transport, Jar: jar, Timeout: o.Timeout,
			// Redirects are steps of their own: the 303 after a POST says
			// where the shopper goes next (the cart, the order).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer the shopper reads.
type page struct {
	status   int
	body     string
	location string
}

// errStop ends a journey without an error of its own: the run is over.
var errStop = errors.New("journey stopped: the run is over")

// get fetches path of the storefront (or a full URL) as step, expecting
// 200, and repeats it Retries times while it fails.
func (s *Shopper) get(ctx context.Context, step, target string) (page, error) {
	if !strings.HasPrefix(target, "http") {
		target = s.o.Storefront + target
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return page{}, err
		}
		p, err := s.send(ctx, step, req, http.StatusOK)
		if err == nil || errors.Is(err, errStop) || attempt >= s.o.Retries || !sleep(ctx, s.o.RetryPause) {
			return p, err
		}
	}
}

// postForm posts a storefront form as step, expecting a 303.
func (s *Shopper) postForm(ctx context.Context, step, path string, form url.Values) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.Storefront+path, strings.NewReader(form.Encode()))
	if err != nil {
		return page{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(ctx, step, req, http.StatusSeeOther)
}

// postJSON posts v to target as step, expecting want.
func (s *Shopper) postJSON(ctx context.Context, step, target string, header http.Header, v any, want int) (page, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return page{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return page{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return s.send(ctx, step, req, want)
}

// send performs req as step and records it. A status other than want, a
// transport error or a timeout is an error of its kind; a request cut off
// because the run ended is not recorded at all (errStop).
func (s *Shopper) send(ctx context.Context, step string, req *http.Request, want int) (page, error) {
	start := time.Now()
	resp, err := s.client.Do(req)
	var p page
	if err == nil {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		_ = resp.Body.Close()
		p = page{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
	}
	d := time.Since(start)
	if ctx.Err() != nil {
		return p, errStop
	}
	kind := ""
	switch {
	case err != nil:
		kind = errorKind(err)
	case p.status == http.StatusTooManyRequests:
		kind = "rate_limited"
	case p.status != want:
		kind = "status_" + strconv.Itoa(p.status)
	}
	s.rec.request(step, d, kind)
	switch {
	case err != nil:
		return p, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	case kind != "":
		return p, fmt.Errorf("%s %s: %d, want %d: %s", req.Method, req.URL.Path, p.status, want, snippet(p.body))
	}
	return p, nil
}

// errorKind names a transport failure for the report.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection_refused"
	case strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "EOF"):
		return "connection_reset"
	default:
		return "transport"
	}
}

// unexpected records a page that lacked what every such page has.
func (s *Shopper) unexpected(step, what string) error {
	s.rec.failure("unexpected_page_" + step)
	return fmt.Errorf("%s: %s", step, what)
}

// think pauses like a person reading the page: exponentially distributed
// around the mean, at most four times it.
func (s *Shopper) think() error {
	d := time.Duration(min(s.rng.ExpFloat64(), 4) * float64(s.o.Think))
	if !sleep(s.stop, d) {
		return errStop
	}
	return nil
}

// sleep waits d, or until ctx ends, and tells whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// snippet is the start of a body, on one line, for an error message.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
