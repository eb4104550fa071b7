package apitest

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// AnswerCheck asserts that an answer is the error a service owes a bad
// request: JSONError for the APIs, the storefront's HTML page for it.
type AnswerCheck func(t testing.TB, what string, got RawResponse, status int)

// JSONError is the APIs' AnswerCheck: the status, the JSON error shape,
// and nothing of the request repeated.
func JSONError(t testing.TB, what string, got RawResponse, status int) {
	t.Helper()
	if got.Status != status {
		t.Errorf("%s: %d %.300s, want %d", what, got.Status, got.Body, status)
	}
	if ct := got.Header.Get("Content-Type"); ct != fiber.MIMEApplicationJSON {
		t.Errorf("%s: Content-Type %q, want %s", what, ct, fiber.MIMEApplicationJSON)
	}
	if _, err := ErrorShape(got.Body); err != nil {
		t.Errorf("%s: %v", what, err)
	}
	if leak := LeaksRequest(got); leak != "" {
		t.Errorf("%s: the answer repeats the request (%q): %.300s", what, leak, got.Body)
	}
}

// CheckMalformedRequests sends every one of MalformedRequests to the
// server at base over raw TCP: each must be a 400 that check accepts.
func CheckMalformedRequests(t *testing.T, base string, check AnswerCheck) {
	t.Helper()
	for what, raw := range MalformedRequests {
		check(t, what, Raw(t, base, raw), http.StatusBadRequest)
	}
}

// CheckUnknownMethods sends every one of UnknownMethods, and a method the
// service knows on a path that does not allow it, to the server at base.
// The 405 must name the methods the path allows, in Allow and the message.
func CheckUnknownMethods(t *testing.T, base string, check AnswerCheck) {
	t.Helper()
	for what, m := range UnknownMethods {
		check(t, what, Raw(t, base, m.Request), m.Status)
	}
	got := Raw(t, base, "DELETE /health HTTP/1.1\r\nHost: shop\r\n\r\n")
	check(t, "DELETE /health", got, http.StatusMethodNotAllowed)
	if allow := got.Header.Get("Allow"); allow != "GET, HEAD" {
		t.Errorf("DELETE /health: Allow %q, want GET, HEAD", allow)
	}
}

// CheckRequestIDs checks that the server at base echoes a caller's
// X-Request-Id only when it is a short and safe one, and otherwise
// answers with a fresh id.
func CheckRequestIDs(t *testing.T, base string) {
	t.Helper()
	for id, kept := range map[string]bool{
		"req-42":                               true,
		"6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b11": true,
		"<script>alert(1)</script>":            false,
		"<script>" + strings.Repeat("x", 2000): false,
		strings.Repeat("a", 129):               false,
		"a\u202eb":                             false,
	} {
		got := Raw(t, base, "GET /health HTTP/1.1\r\nHost: shop\r\nX-Request-Id: "+id+"\r\n\r\n").Header.Get("X-Request-Id")
		if kept != (got == id) || got == "" || strings.ContainsAny(got, "<> \"") {
			t.Errorf("X-Request-Id %.40q came back as %.60q; want it kept: %v", id, got, kept)
		}
	}
}

// CheckOnePathPerResource asks the server at base for other spellings of
// every GET route of app (upper case, a capital first letter, a trailing
// slash, both): each must be a 404 check accepts, since routing is strict and
// case-sensitive. Path parameters are filled with "x".
func CheckOnePathPerResource(t *testing.T, app *fiber.App, base string, check AnswerCheck) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method != http.MethodGet || r.Path == "/" {
			continue
		}
		path := fillParams(r.Path)
		capital := strings.ToUpper(path[:2]) + path[2:]
		for _, variant := range []string{strings.ToUpper(path), capital, capital + "/", path + "/"} {
			if variant == path || seen[variant] {
				continue
			}
			seen[variant] = true
			check(t, "GET "+variant, Raw(t, base, "GET "+variant+" HTTP/1.1\r\nHost: shop\r\n\r\n"), http.StatusNotFound)
		}
	}
	for _, want := range []string{"/METRICS", "/Metrics/", "/metrics/", "/READY", "/ready/"} {
		if !seen[want] {
			t.Errorf("%s was not tried: the app has no GET /metrics and /ready routes", want)
		}
	}
}

// fillParams puts "x" for every parameter and wildcard of a Fiber route.
func fillParams(route string) string {
	segments := strings.Split(route, "/")
	for i, s := range segments {
		if strings.HasPrefix(s, ":") || s == "*" || s == "+" {
			segments[i] = "x"
		}
	}
	return strings.Join(segments, "/")
}

// CheckSilentConnectionsCloseQuietly opens a connection to the server at
// base, whose READ_TIMEOUT is readTimeout, and sends nothing: the server
// must close it without an answer once the timeout passes, as net/http
// does (platform.OnReadError says why). A request begun and not finished
// in time still gets its 408, which check accepts.
func CheckSilentConnectionsCloseQuietly(t *testing.T, base string, readTimeout time.Duration, check AnswerCheck) {
	t.Helper()
	got, err := io.ReadAll(dial(t, base, readTimeout+5*time.Second))
	if err != nil {
		t.Errorf("a connection that sent nothing was still open %s after the read timeout: %v", 5*time.Second, err)
	}
	if len(got) > 0 {
		t.Errorf("a connection that sent nothing was answered %.200q; want it closed without an answer", got)
	}
	check(t, "a request sent too slowly", Raw(t, base, "GET /health HTTP/1.1\r\nHost: shop\r\n"), http.StatusRequestTimeout)
}
