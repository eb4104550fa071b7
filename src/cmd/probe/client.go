package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// client is an HTTP client with a cookie jar (the storefront keeps the cart
// and the CSRF token in cookies) that retries idempotent requests while the
// services start.
type client struct {
	http    *http.Client
	retries int
	pause   time.Duration
}

func newClient(retries int, pause time.Duration) *client {
	jar, _ := cookiejar.New(nil)
	return &client{http: &http.Client{Timeout: 10 * time.Second, Jar: jar}, retries: max(retries, 1), pause: pause}
}

// get fetches url until it answers 2xx or the retries run out, and returns
// the body and the final URL (after redirects).
func (c *client) get(ctx context.Context, target string) (string, *url.URL, error) {
	var last error
	for attempt := range c.retries {
		if attempt > 0 {
			if err := sleep(ctx, c.pause); err != nil {
				return "", nil, err
			}
		}
		body, final, err := c.once(ctx, http.MethodGet, target, "", nil)
		if err == nil {
			return body, final, nil
		}
		last = err
	}
	return "", nil, last
}

// postForm posts a form once (a checkout is not retried blindly) and returns
// the body and final URL after the redirect.
func (c *client) postForm(ctx context.Context, target string, form url.Values) (string, *url.URL, error) {
	return c.once(ctx, http.MethodPost, target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// postJSON posts v once and decodes a 2xx answer into out.
func (c *client) postJSON(ctx context.Context, target string, header http.Header, v, out any) (int, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("POST %s: reading the answer: %w", target, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("POST %s: %s: %s", target, resp.Status, snippet(body))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("POST %s: decoding %s: %w", target, snippet(body), err)
		}
	}
	return resp.StatusCode, nil
}

func (c *client) once(ctx context.Context, method, target, contentType string, body io.Reader) (string, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", nil, fmt.Errorf("%s %s: reading the answer: %w", method, target, err)
	}
	if resp.StatusCode/100 != 2 {
		return string(raw), resp.Request.URL, fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, snippet(raw))
	}
	return string(raw), resp.Request.URL, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
