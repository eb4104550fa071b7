package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sethvargo/go-retry"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/tracing"
)

// maxBackendBody bounds how much of a backend answer is read, so a broken
// backend cannot exhaust the storefront's memory.
const maxBackendBody = 4 << 20

// Circuit breaker tuning: trip after this many failures in a row, stay open
// this long before letting one probe request through.
const (
	breakerTrips   = 5
	breakerOpenFor = 10 * time.Second
)

// getRetries is how many times an idempotent GET is tried again after a
// network error or a 5xx. Writes are never retried here: the order service's
// Idempotency-Key is what makes a resubmitted checkout safe.
const getRetries = 2

// unavailableError means a backend could not answer: network error,
// timeout, 5xx, or its circuit breaker is open. Pages turn it into a
// "service unavailable" message instead of a failure.
type unavailableError struct {
	backend string
	err     error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("%s unavailable: %v", e.backend, e.err)
}

func (e *unavailableError) Unwrap() error { return e.err }

// isUnavailable reports whether err is a backend outage.
func isUnavailable(err error) bool {
	var ue *unavailableError
	return errors.As(err, &ue)
}

// apiError is a 4xx answer of a backend, with its JSON error body.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("backend answered %d %s: %s", e.Status, e.Code, e.Message)
}

// isNotFound reports whether a backend answered 404.
func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// reply is one backend answer that is not an outage.
type reply struct {
	status int
	body   []byte
	header http.Header
}

// backend is one service the storefront calls over HTTP, with a per-call
// timeout, a circuit breaker and metrics. GETs may be retried and cached
// for a short time; POSTs are sent once. Each call carries the request id
// and, with tracing on, is a client span whose traceparent the backend
// continues.
type backend struct {
	name    string
	base    string
	client  *http.Client
	timeout time.Duration
	breaker *gobreaker.CircuitBreaker[reply]
	metrics *metrics
	cache   *platform.Cache[string, []byte]
	flight  singleflight.Group
}

func newBackend(name, base string, timeout, cacheTTL time.Duration, tp trace.TracerProvider, m *metrics) *backend {
	b := &backend{
		name: name,
		base: strings.TrimRight(base, "/"),
		// No compression between services: on the same network it costs
		// both sides CPU and saves nothing that matters.
		client: &http.Client{Transport: tracing.Transport(tp, name, &http.Transport{
			MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true,
		})},
		timeout: timeout,
		metrics: m,
		cache:   newTTLCache[[]byte](cacheTTL),
	}
	b.breaker = gobreaker.NewCircuitBreaker[reply](gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     breakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= breakerTrips },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			m.breakerOpen.WithLabelValues(name).Set(map[bool]float64{true: 1}[to == gobreaker.StateOpen])
		},
		// A caller giving up (the shopper's request ended) says nothing
		// about the backend's health.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
	})
	m.breakerOpen.WithLabelValues(name).Set(0)
	return b
}

// getJSON GETs path with query and decodes a 200 answer into out. Repeated
// identical GETs within the cache TTL share one answer.
func (b *backend) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	target := b.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	body, ok, gen := b.cache.Get(target)
	if ok {
		return json.Unmarshal(body, out)
	}
	v, err, _ := b.flight.Do(target, func() (any, error) {
		return retry.DoValue(ctx, retry.WithMaxRetries(getRetries, retry.NewExponential(50*time.Millisecond)),
			func(ctx context.Context) (reply, error) {
				r, err := b.attempt(ctx, http.MethodGet, target, nil, nil)
				if err != nil && !errors.Is(err, gobreaker.ErrOpenState) && !errors.Is(err, gobreaker.ErrTooManyRequests) {
					return r, retry.RetryableError(err)
				}
				return r, err
			})
	})
	if err != nil {
		return &unavailableError{backend: b.name, err: err}
	}
	r := v.(reply)
	if err := replyError(r); err != nil {
		return err
	}
	b.cache.Add(gen, target, r.body)
	return json.Unmarshal(r.body, out)
}

// postJSON POSTs in as JSON once, with the extra headers, and decodes a 2xx
// answer into out. It returns the answer's headers.
func (b *backend) postJSON(ctx context.Context, path string, headers map[string]string, in, out any) (http.Header, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding %s request: %w", b.name, err)
	}
	r, err := b.attempt(ctx, http.MethodPost, b.base+path, body, headers)
	if err != nil {
		return nil, &unavailableError{backend: b.name, err: err}
	}
	if err := replyError(r); err != nil {
		return nil, err
	}
	return r.header, json.Unmarshal(r.body, out)
}

// attempt makes one call through the circuit breaker. 5xx answers count as
// failures; 4xx answers are the backend working as designed.
func (b *backend) attempt(ctx context.Context, method, target string, body []byte, headers map[string]string) (reply, error) {
	start := time.Now()
	r, err := b.breaker.Execute(func() (reply, error) {
		ctx, cancel := context.WithTimeout(ctx, b.timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
		if err != nil {
			return reply{}, err
		}
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			return reply{}, err
		}
		defer func() { _ = resp.Body.Close() }()
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBackendBody))
		if err != nil {
			return reply{}, fmt.Errorf("reading answer: %w", err)
		}
		if resp.StatusCode >= 500 {
			return reply{}, fmt.Errorf("%s %s answered %d", method, target, resp.StatusCode)
		}
		return reply{status: resp.StatusCode, body: data, header: resp.Header}, nil
	})
	b.metrics.observeBackend(ctx, b.name, outcome(r, err), time.Since(start))
	return r, err
}

func outcome(r reply, err error) string {
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return "breaker_open"
	case err != nil:
		return "unavailable"
	case r.status >= 400:
		return "client_error"
	}
	return "ok"
}

// replyError turns a non-2xx answer into an apiError.
func replyError(r reply) error {
	if r.status >= 200 && r.status < 300 {
		return nil
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &body)
	return &apiError{Status: r.status, Code: body.Error.Code, Message: body.Error.Message}
}

// ping checks that the backend answers its liveness endpoint.
func (b *backend) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /health answered %d", b.name, resp.StatusCode)
	}
	return nil
}
