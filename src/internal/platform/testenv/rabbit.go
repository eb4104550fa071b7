package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultRabbitURL is the broker every developer machine and CI has.
const DefaultRabbitURL = "amqp://guest:guest@127.0.0.1:5672/"

// RabbitURL returns the broker tests use (SHOP_TEST_AMQP_URL, or the local
// default) after checking it answers; without one the test is skipped or,
// under SHOP_REQUIRE_INTEGRATION=1, failed.
func RabbitURL(t testing.TB) string {
	t.Helper()
	u := DefaultRabbitURL
	if v := os.Getenv("SHOP_TEST_AMQP_URL"); v != "" {
		u = v
	}
	conn, err := amqp.DialConfig(u, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		Unavailable(t, "RabbitMQ at "+redact(u), err)
		return ""
	}
	_ = conn.Close()
	return u
}

// DeleteRabbitObjects deletes a test's queues and exchanges when it ends:
// durable ones outlive the connection that made them.
func DeleteRabbitObjects(t testing.TB, url string, exchanges []string, queues func() []string) {
	t.Helper()
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			t.Logf("cleaning up broker objects: %v", err)
			return
		}
		defer func() { _ = conn.Close() }()
		for _, q := range queues() {
			if ch, err := conn.Channel(); err == nil {
				_, _ = ch.QueueDelete(q, false, false, false)
				_ = ch.Close()
			}
		}
		for _, x := range exchanges {
			if ch, err := conn.Channel(); err == nil {
				_ = ch.ExchangeDelete(x, false, false)
				_ = ch.Close()
			}
		}
	})
}

// CloseRabbitConnections makes the broker close every connection whose
// client-provided name contains marker, as a broker restart would, and
// returns how many it closed. Only the test's own connections are touched:
// other tests share the broker.
func CloseRabbitConnections(t testing.TB, marker string) int {
	t.Helper()
	if len(marker) < 8 {
		t.Fatalf("connection marker %q is too short to be the test's own", marker)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "rabbitmqctl", "-q", "-s", "list_connections", "pid", "client_properties").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_connections: %v\n%s", err, out)
	}
	closed := 0
	for line := range strings.SplitSeq(string(out), "\n") {
		if !strings.Contains(line, marker) {
			continue
		}
		pid, _, _ := strings.Cut(line, "\t")
		if out, err := exec.CommandContext(ctx, "rabbitmqctl", "-q", "close_connection", pid, "test closes its own connection").CombinedOutput(); err != nil {
			t.Logf("rabbitmqctl close_connection %s: %v\n%s", pid, err, out)
			continue
		}
		closed++
	}
	return closed
}
