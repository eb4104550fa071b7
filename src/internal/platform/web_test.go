package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

func testApp(t *testing.T, logs io.Writer, checks Checks) *fiber.App {
	t.Helper()
	base, err := LoadConfig[Base](map[string]string{"REQUEST_TIMEOUT": "300ms", "READY_TIMEOUT": "100ms"})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(requestIDHandler{slog.NewJSONHandler(logs, nil)})
	return NewApp("test", base, logger, NewRegistry(), checks)
}

func get(t *testing.T, app *fiber.App, target string, headers ...string) (int, string, *ErrorBody) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	var body ErrorBody
	if json.Unmarshal(raw, &body) != nil || body.Error.Code == "" {
		return resp.StatusCode, string(raw), nil
	}
	return resp.StatusCode, string(raw), &body
}

func TestErrorsBecomeJSONWithTheRightStatus(t *testing.T) {
	var logs bytes.Buffer
	app := testApp(t, &logs, nil)
	app.Get("/bad", func(*fiber.Ctx) error { return BadRequest("invalid_x", "x is wrong") })
	app.Get("/down", func(*fiber.Ctx) error { return errors.Join(errors.New("dial tcp"), ErrUnavailable) })
	app.Get("/bug", func(*fiber.Ctx) error { return errors.New("secret internal detail") })
	app.Get("/panic", func(*fiber.Ctx) error { panic("boom") })
	app.Get("/slow", func(c *fiber.Ctx) error {
		<-c.UserContext().Done()
		return c.UserContext().Err()
	})
	cases := []struct {
		path, code string
		status     int
	}{
		{"/bad", "invalid_x", 400},
		{"/down", "unavailable", 503},
		{"/bug", "internal", 500},
		{"/panic", "internal", 500},
		{"/slow", "timeout", 503},
		{"/missing", "not_found", 404},
	}
	for _, tc := range cases {
		status, raw, body := get(t, app, tc.path)
		if status != tc.status || body == nil || body.Error.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.path, status, raw, tc.status, tc.code)
		}
		if strings.Contains(raw, "secret internal detail") || strings.Contains(raw, "goroutine") {
			t.Errorf("%s leaks internals: %s", tc.path, raw)
		}
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), "boom") {
		t.Errorf("server errors were not logged: %s", logs.String())
	}
}

func TestRequestIDIsEchoedAndLogged(t *testing.T) {
	var logs bytes.Buffer
	app := testApp(t, &logs, nil)
	app.Get("/fail", func(*fiber.Ctx) error { return errors.New("kaput") })
	req := httptest.NewRequest("GET", "/fail", nil)
	req.Header.Set("X-Request-ID", "req-42")
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.Header.Get("X-Request-ID") != "req-42" {
		t.Errorf("request id not echoed: %q", resp.Header.Get("X-Request-ID"))
	}
	if !strings.Contains(logs.String(), `"request_id":"req-42"`) {
		t.Errorf("log lacks the request id: %s", logs.String())
	}
}

func TestReadyReportsEachDependency(t *testing.T) {
	app := testApp(t, io.Discard, Checks{
		"db":    func(context.Context) error { return nil },
		"queue": func(ctx context.Context) error { <-ctx.Done(); return errors.New("no answer") },
	})
	status, raw, _ := get(t, app, "/ready")
	var report ReadyReport
	if err := json.Unmarshal([]byte(raw), &report); err != nil {
		t.Fatal(err)
	}
	if status != 503 || report.Status != "unavailable" || report.Checks["db"] != "ok" || report.Checks["queue"] != "no answer" {
		t.Fatalf("ready = %d %s", status, raw)
	}
	if status, _, _ := get(t, app, "/health"); status != 200 {
		t.Fatalf("liveness depends on dependencies: %d", status)
	}
}

func TestBearer(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	app.Get("/admin", RequireBearer("tok"), func(c *fiber.Ctx) error { return c.SendString("in") })
	disabled := testApp(t, io.Discard, nil)
	disabled.Get("/admin", RequireBearer(""), func(c *fiber.Ctx) error { return c.SendString("in") })
	for _, tc := range []struct {
		app    *fiber.App
		auth   string
		status int
	}{
		{app, "", 401}, {app, "Basic dG9r", 401}, {app, "Bearer nope", 403}, {app, "Bearer tok", 200},
		{disabled, "Bearer ", 401}, {disabled, "Bearer anything", 403},
	} {
		if status, raw, _ := get(t, tc.app, "/admin", "Authorization", tc.auth); status != tc.status {
			t.Errorf("Authorization %q: %d %s, want %d", tc.auth, status, raw, tc.status)
		}
	}
}

func TestLoggerWritesToTheLogDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs_and_metrics")
	logger, closeLog, err := NewLogger("catalog", Base{LogLevel: "info", LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(WithRequestID(context.Background(), "abc"), "hello", "n", 1)
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "catalog.log"))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(raw, &line); err != nil || line["msg"] != "hello" || line["request_id"] != "abc" {
		t.Fatalf("log file holds %s", raw)
	}
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	started := make(chan struct{})
	app.Get("/work", func(c *fiber.Ctx) error {
		close(started)
		time.Sleep(200 * time.Millisecond)
		return c.SendString("finished")
	})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, app, ln, 5*time.Second) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := httpGet("http://" + ln.Addr().String() + "/work")
		if err != nil {
			answer <- err.Error()
			return
		}
		answer <- resp
	}()
	<-started
	cancel()
	if got := <-answer; got != "finished" {
		t.Fatalf("in-flight request got %q during shutdown", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := httpGet("http://" + ln.Addr().String() + "/work"); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

// A context a handler hands to a goroutine ends with its request: the
// goroutine sees context.Canceled, not a context that lives on.
func TestRequestContextIsCanceledWhenTheRequestEnds(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	kept := make(chan context.Context, 1)
	app.Get("/keep", func(c *fiber.Ctx) error {
		kept <- c.UserContext()
		return c.SendString("ok")
	})
	if status, _, _ := get(t, app, "/keep"); status != 200 {
		t.Fatalf("status %d", status)
	}
	ctx := <-kept
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("after the request: %v, want context.Canceled", ctx.Err())
	}
}

// The deadline is REQUEST_TIMEOUT from the request's arrival, seen by a
// context derived from the request's (a database call with its own
// timeout), which then ends at the earlier of the two.
func TestRequestContextCarriesTheDeadlineToDerivedContexts(t *testing.T) {
	app := testApp(t, io.Discard, nil)
	app.Get("/derived", func(c *fiber.Ctx) error {
		before := time.Now()
		deadline, ok := c.UserContext().Deadline()
		if !ok || deadline.Sub(before) > 300*time.Millisecond {
			return BadRequest("no_deadline", "request context deadline %s", deadline)
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), time.Hour)
		defer cancel()
		if d, _ := ctx.Deadline(); !d.Equal(deadline) {
			return BadRequest("lost_deadline", "derived deadline %s", d)
		}
		<-ctx.Done()
		return ctx.Err()
	})
	if status, raw, body := get(t, app, "/derived"); status != 503 || body == nil || body.Error.Code != "timeout" {
		t.Fatalf("%d %s, want 503 timeout", status, raw)
	}
}
