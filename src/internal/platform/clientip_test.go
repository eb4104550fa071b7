package platform

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// serveClientIP serves ClientIP's answer for each request over a real
// loopback listener (the peer is 127.0.0.1) with TRUSTED_PROXIES trusted.
func serveClientIP(t *testing.T, trusted string) string {
	t.Helper()
	base, err := LoadConfig[Base](map[string]string{"TRUSTED_PROXIES": trusted})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString(base.ClientIP(c)) })
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, app, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String()
}

func clientIP(t *testing.T, url string, xff ...string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func TestClientIPBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	untrusted := serveClientIP(t, "")
	behindProxy := serveClientIP(t, "127.0.0.0/8,10.0.0.0/8")
	for _, tc := range []struct {
		name string
		url  string
		xff  []string
		want string
	}{
		{"no proxy trusted: the peer, headers ignored", untrusted, []string{"203.0.113.7"}, "127.0.0.1"},
		{"no header from a trusted proxy: the proxy", behindProxy, nil, "127.0.0.1"},
		{"one trusted proxy", behindProxy, []string{"203.0.113.7"}, "203.0.113.7"},
		{"a client's own entries are ignored", behindProxy, []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies is skipped", behindProxy, []string{"203.0.113.7, 10.1.2.3", "10.9.9.9"}, "203.0.113.7"},
		{"ports and IPv6", behindProxy, []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"garbage stops at the last trusted hop", behindProxy, []string{"203.0.113.7, nonsense, 10.1.2.3"}, "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clientIP(t, tc.url, tc.xff...); got != tc.want {
				t.Fatalf("client ip = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTrustedProxiesMustBeNetworks(t *testing.T) {
	_, err := LoadConfig[Base](map[string]string{"TRUSTED_PROXIES": "10.0.0.1"})
	if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
		t.Fatalf("err = %v, want one naming TRUSTED_PROXIES", err)
	}
}
