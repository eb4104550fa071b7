package platform

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shop-platform/shop/src/internal/platform/apitest"
)

// Regression tests of the defects an outside probe found in every service
// (issue 20), at the platform level: each service's tests run them on its
// own app too. The malformed requests go over raw TCP to a real listener,
// since app.Test would never send them.

// serveApp runs app on a loopback listener until the test ends.
func serveApp(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, app, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serving: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// Probe defect 2: fasthttp's parse errors carried the raw request,
// Authorization header included.
func TestProbeDefect2MalformedRequestsGetAFixedJSONError(t *testing.T) {
	apitest.CheckMalformedRequests(t, serveApp(t, testApp(t, io.Discard, nil)), apitest.JSONError)
}

// Probe defect 4: unknown and lower-case methods and an HTTP/2 preface got
// a plain-text 400 "Invalid http method"; a 405 said only "Method Not
// Allowed".
func TestProbeDefect4UnknownMethodsGetTheJSONErrorShape(t *testing.T) {
	base := serveApp(t, testApp(t, io.Discard, nil))
	apitest.CheckUnknownMethods(t, base, apitest.JSONError)
	got := apitest.Raw(t, base, "DELETE /health HTTP/1.1\r\nHost: shop\r\n\r\n")
	if !strings.Contains(got.Body, "does not allow DELETE; it allows GET, HEAD") {
		t.Errorf("DELETE /health: %s, want the allowed methods named", got.Body)
	}
}

// Probe defect 9: any X-Request-Id came back unchanged, a 2,000-character
// <script> included.
func TestProbeDefect9RequestIDIsEchoedOnlyWhenShortAndSafe(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	for id, kept := range map[string]bool{
		"req-42":                               true,
		"6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11": true,
		"trace:span.01_A":                      true,
		strings.Repeat("a", MaxRequestIDLen):   true,
		strings.Repeat("a", MaxRequestIDLen+1): false,
		"<script>alert(1)</script>":            false,
		"a b":                                  false,
		"ünïcode":                              false,
		"a\"b":                                 false,
		"<script>" + strings.Repeat("x", 2000): false,
	} {
		got := requestIDOf(t, app, id)
		switch {
		case kept && got != id:
			t.Errorf("X-Request-ID %.40q came back as %q, want it kept", id, got)
		case !kept && (got == id || !ValidRequestID(got)):
			t.Errorf("X-Request-ID %.40q came back as %.40q, want a fresh id", id, got)
		}
	}
}

// requestIDOf is the X-Request-ID app answers a request that sent id.
func requestIDOf(t *testing.T, app *fiber.App, id string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header["X-Request-Id"] = []string{id}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.Header.Get("X-Request-ID")
}

// Issue 18: one path per resource. Fiber routed /METRICS and /ready/ to
// /metrics and /ready, so a policy naming the exact paths missed them.
func TestRoutingIsStrictAndCaseSensitive(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	apitest.CheckOnePathPerResource(t, app, serveApp(t, app), apitest.JSONError)
	for _, path := range []string{"/health", "/ready", "/metrics"} {
		if status, raw, _ := get(t, app, path); status != http.StatusOK {
			t.Errorf("%s: %d %s", path, status, raw)
		}
	}
	for _, path := range []string{"/METRICS", "/Metrics/", "/metrics/", "/READY", "/ready/", "/Health", "/health/"} {
		status, raw, body := get(t, app, path)
		if status != http.StatusNotFound || body == nil || body.Error.Code != "not_found" {
			t.Errorf("%s: %d %s, want the JSON 404", path, status, raw)
		}
	}
}

// The pod-loss drill: fasthttp answered 408 to a connection that sent
// nothing within READ_TIMEOUT, and a client that wrote its first request
// on it just then took the 408 for its answer.
func TestConnectionsThatSendNothingAreClosedWithoutAnAnswer(t *testing.T) {
	base, err := LoadConfig[Base](map[string]string{"READ_TIMEOUT": "300ms"})
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp("test", base, slog.New(slog.DiscardHandler), NewRegistry(), nil)
	apitest.CheckSilentConnectionsCloseQuietly(t, serveApp(t, app), base.ReadTimeout, apitest.JSONError)
}
