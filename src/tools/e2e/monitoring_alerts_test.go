//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/tools/monstack"
)

// Fault is something wrong done to the shop, and its undoing. Undo must be
// safe to call when Induce failed half-way or never ran.
type Fault interface {
	Induce(ctx context.Context) error
	Undo(ctx context.Context) error
	String() string
}

// InduceAndAwaitAlert induces fault, waits for the shop's alert to arrive at
// Alertmanager (GET /api/v2/alerts, labels alertname and the shop's
// namespace) within the rule's `for` plus two scrape and two evaluation
// intervals and a minute of delivery, undoes the fault, and waits for the
// alert to resolve within the intervals and the minute. The fault is undone
// whatever happens. It logs how long each took.
func (s *monitoring) InduceAndAwaitAlert(t testing.TB, shop Shop, alert string, fault Fault) {
	t.Helper()
	ctx := context.Background()
	rule, eval, err := s.alertRule(ctx, shop, alert)
	if err != nil {
		t.Fatal(err)
	}
	scrape, err := s.scrapeInterval(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	forDuration := time.Duration(rule.Duration * float64(time.Second))
	slack := 2*scrape + 2*eval + time.Minute
	matchers := []string{fmt.Sprintf("alertname=%q", alert), fmt.Sprintf("namespace=%q", shop.Namespace)}

	if active, err := s.alerts(ctx, matchers...); err != nil || len(active) > 0 {
		t.Fatalf("%s is already at Alertmanager before the fault (%d alerts, %v)", alert, len(active), err)
	}
	undone := false
	undo := func() error {
		if undone {
			return nil
		}
		undone = true
		return fault.Undo(ctx)
	}
	defer func() {
		if err := undo(); err != nil {
			t.Errorf("undoing %s: %v", fault, err)
		}
	}()
	if err := fault.Induce(ctx); err != nil {
		t.Fatalf("inducing %s: %v", fault, err)
	}
	induced := time.Now()
	t.Logf("%s; waiting for %s (for: %s, scrape every %s, evaluation every %s)", fault, alert, forDuration, scrape, eval)

	var arrived string
	err = monstack.Poll(ctx, forDuration+slack, func() (string, error) {
		active, err := s.alerts(ctx, matchers...)
		if err != nil {
			return err.Error(), nil
		}
		if len(active) == 0 {
			return alert + " has not arrived at Alertmanager", nil
		}
		var got []string
		for _, a := range active {
			got = append(got, fmt.Sprintf("%v (%s)", a.Labels, *a.Status.State))
		}
		arrived = strings.Join(got, "; ")
		return "", nil
	})
	if err != nil {
		t.Fatalf("after %s: %v", fault, err)
	}
	t.Logf("%s arrived at Alertmanager %s after the fault: %s", alert, time.Since(induced).Round(time.Second), arrived)

	if err := undo(); err != nil {
		t.Fatalf("undoing %s: %v", fault, err)
	}
	undoneAt := time.Now()
	err = monstack.Poll(ctx, slack, func() (string, error) {
		active, err := s.alerts(ctx, matchers...)
		if err != nil {
			return err.Error(), nil
		}
		if len(active) > 0 {
			return fmt.Sprintf("%s is still active at Alertmanager (%d)", alert, len(active)), nil
		}
		return "", nil
	})
	if err != nil {
		t.Fatalf("after undoing %s: %v", fault, err)
	}
	t.Logf("%s resolved %s after the fault was undone", alert, time.Since(undoneAt).Round(time.Second))
}

// BrokerOutage takes the release's RabbitMQ vhost away from its user: its
// permissions are cleared and its connections closed, so the services
// reconnect and are refused, their consumers stop and their outboxes back
// up. Undo restores the permissions it found, and the services reconnect by
// themselves. Nothing in the vhost is lost.
type BrokerOutage struct {
	// Vhost and User are the release's (global.rabbitmq.vhost, username).
	Vhost, User string
	// Rabbitmqctl is how to run rabbitmqctl; empty means rabbitmqctl.
	Rabbitmqctl []string
	// permissions are the user's configure, write and read patterns
	// before the outage.
	permissions []string
}

func (b *BrokerOutage) String() string {
	return fmt.Sprintf("RabbitMQ vhost %s closed to %s", b.Vhost, b.User)
}

// Induce clears the user's permissions on the vhost and closes the vhost's
// connections.
func (b *BrokerOutage) Induce(ctx context.Context) error {
	out, err := b.ctl(ctx, "-s", "list_permissions", "-p", b.Vhost)
	if err != nil {
		return err
	}
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Split(line, "\t"); len(f) == 4 && f[0] == b.User {
			b.permissions = f[1:]
		}
	}
	if b.permissions == nil {
		return fmt.Errorf("user %s has no permissions on vhost %s to take away", b.User, b.Vhost)
	}
	if _, err := b.ctl(ctx, "clear_permissions", "-p", b.Vhost, b.User); err != nil {
		return err
	}
	conns, err := b.ctl(ctx, "-s", "list_connections", "pid", "vhost")
	if err != nil {
		return err
	}
	var errs []error
	for line := range strings.SplitSeq(conns, "\n") {
		pid, vhost, _ := strings.Cut(line, "\t")
		if vhost == b.Vhost {
			_, err := b.ctl(ctx, "close_connection", pid, "monstack: broker outage")
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Undo gives the user back the permissions Induce took.
func (b *BrokerOutage) Undo(ctx context.Context) error {
	if b.permissions == nil {
		return nil
	}
	_, err := b.ctl(ctx, append([]string{"set_permissions", "-p", b.Vhost, b.User}, b.permissions...)...)
	return err
}

func (b *BrokerOutage) ctl(ctx context.Context, args ...string) (string, error) {
	cmd := b.Rabbitmqctl
	if len(cmd) == 0 {
		cmd = []string{"rabbitmqctl"}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	full := append(append(append([]string{}, cmd[1:]...), "-q"), args...)
	out, err := exec.CommandContext(ctx, cmd[0], full...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", strings.Join(cmd, " "), strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}
