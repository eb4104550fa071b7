//go:build charttest

package charttest

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shop-platform/shop/src/internal/events"
	"github.com/shop-platform/shop/src/internal/platform"
	"github.com/shop-platform/shop/src/internal/platform/mq"
	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// bootstrapFiles writes a bootstrap ConfigMap's script and configuration to
// a directory, as the sidecar finds them mounted, and returns the script.
func bootstrapFiles(t *testing.T, r *Rendered, configMap, script string) string {
	t.Helper()
	cm := r.Find("ConfigMap", configMap)
	if cm == nil {
		t.Fatalf("no ConfigMap %s", configMap)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	dir := t.TempDir()
	for name, content := range data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, script)
}

// writeSecrets writes passwords as the Secret's volume holds them: a file
// per key.
func writeSecrets(t *testing.T, dir string, passwords map[string]string) {
	t.Helper()
	for name, pw := range passwords {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// runScript runs a bootstrap script's `apply` with the environment given.
func runScript(t *testing.T, script string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script, "apply")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s apply: %v\n%s", filepath.Base(script), err, out)
	}
}

// TestPostgreSQLRolesScriptOnARealServer runs the roles script the chart
// renders for the bundled PostgreSQL (the one its shop-roles sidecar runs)
// against a PostgreSQL of the test's own that checks passwords (scram), as
// its superuser: on a server whose order database the superuser made and
// migrated, as every release before per-service roles did. Each service's
// role then owns its database and everything in it, reaches no other
// service's database and has no privilege beyond its own; under the
// sidecar's `watch`, a new password in the Secret takes without a restart
// and SIGTERM ends the loop cleanly.
func TestPostgreSQLRolesScriptOnARealServer(t *testing.T) {
	requireTool(t, "psql")
	s := startPrivateServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := Render(ChartDir(), []string{writeValues(t, "global:\n  postgresql:\n    username: postgres\n")})
	if err != nil {
		t.Fatal(err)
	}
	catalog, orders, payments := "catalog", "orders", "payments"

	// The orders database as an earlier release left it: made and migrated
	// by the superuser.
	admin, err := pgx.Connect(ctx, s.adminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close(context.Background()) }()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+orders); err != nil {
		t.Fatal(err)
	}
	legacy, err := pgx.Connect(ctx, s.adminURL(orders))
	if err != nil {
		t.Fatal(err)
	}
	_, err = legacy.Exec(ctx, `CREATE TABLE orders (id bigserial PRIMARY KEY, total bigint);
CREATE SEQUENCE order_numbers;
CREATE FUNCTION next_order_number() RETURNS bigint LANGUAGE sql AS 'SELECT nextval(''order_numbers'')';
CREATE VIEW order_totals AS SELECT sum(total) FROM orders;
CREATE SCHEMA reports;
CREATE TYPE order_state AS ENUM ('pending', 'confirmed');`)
	_ = legacy.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	passwords := map[string]string{catalog: "catalog-" + testenv.RandomSuffix(), orders: "orders-" + testenv.RandomSuffix(),
		payments: "payments-" + testenv.RandomSuffix()}
	s.writeSecrets(t, passwords)
	s.runBootstrap(t, r, "apply")
	s.runBootstrap(t, r, "apply") // idempotent

	for role, db := range map[string]string{catalog: catalog, orders: orders, payments: payments} {
		c, err := pgx.Connect(ctx, s.tcpURL(db, role, passwords[role]))
		if err != nil {
			t.Fatalf("role %s cannot connect to its database %s with its password: %v", role, db, err)
		}
		var super, createDB, createRole bool
		if err := c.QueryRow(ctx, "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user").Scan(&super, &createDB, &createRole); err != nil {
			t.Fatal(err)
		}
		if super || createDB || createRole {
			t.Errorf("role %s: superuser %v, createdb %v, createrole %v: want none", role, super, createDB, createRole)
		}
		if _, err := c.Exec(ctx, "CREATE TABLE migrated_later (id int)"); err != nil {
			t.Errorf("role %s cannot migrate its own database: %v", role, err)
		}
		_ = c.Close(ctx)
		if c, err := pgx.Connect(ctx, s.tcpURL(db, role, "wrong-password")); err == nil {
			_ = c.Close(ctx)
			t.Errorf("role %s connects with a wrong password: the test's server does not check them", role)
		}
	}
	if c, err := pgx.Connect(ctx, s.tcpURL(orders, catalog, passwords[catalog])); err == nil {
		_ = c.Close(ctx)
		t.Errorf("the catalog's role connects to the order database")
	}
	owner, err := pgx.Connect(ctx, s.tcpURL(orders, orders, passwords[orders]))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		"ALTER TABLE orders ADD COLUMN currency text",
		"ALTER SEQUENCE order_numbers RESTART",
		"CREATE OR REPLACE FUNCTION next_order_number() RETURNS bigint LANGUAGE sql AS 'SELECT nextval(''order_numbers'') + 0'",
		"CREATE OR REPLACE VIEW order_totals AS SELECT sum(total) FROM orders",
		"CREATE TABLE reports.daily (day date)",
		"ALTER TYPE order_state ADD VALUE 'rejected'",
	} {
		if _, err := owner.Exec(ctx, stmt); err != nil {
			t.Errorf("after the script, the order role cannot %q on what the superuser made: %v", stmt, err)
		}
	}
	_ = owner.Close(ctx)

	// The sidecar's loop: a new password in the Secret takes without a
	// restart, and SIGTERM ends it cleanly.
	watch := s.bootstrap(t, r, "watch")
	logs, err := watch.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitApplied := func(when string) {
		t.Helper()
		select {
		case line := <-lines:
			if !strings.Contains(line, "applied") {
				t.Fatalf("`watch` logs %q %s, want it applied", line, when)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("`watch` applies nothing within 30s %s", when)
		}
	}
	waitApplied("on start")
	passwords[orders] = "rotated-" + testenv.RandomSuffix()
	s.writeSecrets(t, passwords)
	waitApplied("after the password changed")
	if c, err := pgx.Connect(ctx, s.tcpURL(orders, orders, passwords[orders])); err != nil {
		t.Errorf("the rotated password does not take under `watch`: %v", err)
	} else {
		_ = c.Close(ctx)
	}
	if err := watch.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := watch.Wait(); err != nil {
		t.Errorf("`watch` does not end cleanly on SIGTERM: %v", err)
	}
}

// requireTool skips loudly, or fails under SHOP_REQUIRE_INTEGRATION=1, when
// a command the test runs is not installed.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		testenv.Unavailable(t, name, err)
	}
}

// TestRabbitMQUsersScriptOnARealBroker runs the users script the chart
// renders for the bundled RabbitMQ (the one its shop-users sidecar runs)
// with rabbitmqctl against the local broker, then connects as each service
// with the shop's own bus: a service subscribes to its own queues (declaring
// them with their dead-letter exchange and queue) and publishes if it
// publishes; it may subscribe to no other service's queue, and search, which
// only consumes, may not publish.
func TestRabbitMQUsersScriptOnARealBroker(t *testing.T) {
	requireTool(t, "rabbitmqctl")
	base, err := url.Parse(testenv.RabbitURL(t))
	if err != nil {
		t.Fatal(err)
	}
	id := "charttest-" + testenv.RandomSuffix()
	users := map[string]string{"catalog": id + "-catalog", "order": id + "-order", "search": id + "-search", "payment": id + "-payment"}
	r, err := Render(ChartDir(), []string{writeValues(t, fmt.Sprintf(`global:
  rabbitmq:
    vhost: %s
catalog:
  rabbitmq: {username: %s}
order:
  rabbitmq: {username: %s}
search:
  rabbitmq: {username: %s}
payment:
  rabbitmq: {username: %s}
`, id, users["catalog"], users["order"], users["search"], users["payment"]))})
	if err != nil {
		t.Fatal(err)
	}
	script := bootstrapFiles(t, r, "shop-rabbitmq-bootstrap", "shop-users")
	t.Cleanup(func() {
		for _, u := range users {
			_ = exec.Command("rabbitmqctl", "-q", "delete_user", u).Run()
		}
		_ = exec.Command("rabbitmqctl", "-q", "delete_vhost", id).Run()
	})
	secrets := t.TempDir()
	passwords := map[string]string{}
	for _, u := range users {
		passwords[u] = "pw-" + testenv.RandomSuffix()
	}
	writeSecrets(t, secrets, passwords)
	runScript(t, script, "SHOP_SECRETS="+secrets)
	runScript(t, script, "SHOP_SECRETS="+secrets) // idempotent

	// Each service as the services do: the shop's own bus (platform/mq)
	// connects as its user, subscribes (declaring its queue with the
	// dead-letter exchange and queue, binding them) and publishes.
	bus := func(svc string) *mq.Rabbit {
		t.Helper()
		u := *base
		u.User = url.User(users[svc])
		u.Path = "/" + id
		b, err := mq.NewRabbit(mq.Config{URL: platform.Secret(u.String()), Password: platform.Secret(passwords[users[svc]])},
			mq.Options{ConnectionName: id + "-" + svc, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := b.WaitConnected(ctx); err != nil {
			t.Fatalf("%s cannot connect as its user: %v", svc, err)
		}
		return b
	}
	subscribe := func(b *mq.Rabbit, queue string, perReplica bool) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return b.Subscribe(ctx, mq.Subscription{Queue: queue, PerReplica: perReplica, Types: []string{"shop.charttest.v1"},
			Handler: func(context.Context, events.Envelope) error { return nil }})
	}
	publish := func(b *mq.Rabbit) error {
		e, err := events.New(id, "shop.charttest.v1", map[string]string{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return b.Publish(ctx, e)
	}
	refused := func(err error) bool { return err != nil && strings.Contains(err.Error(), "ACCESS_REFUSED") }
	for _, svc := range []string{"catalog", "order", "search", "payment"} {
		b := bus(svc)
		if err := subscribe(b, svc+".charttest", svc == "search"); err != nil {
			t.Errorf("%s cannot subscribe to its own queue: %v", svc, err)
		}
		other := map[string]string{"catalog": "order", "order": "search", "search": "payment", "payment": "catalog"}[svc]
		if err := subscribe(b, other+".charttest", false); !refused(err) {
			t.Errorf("%s subscribes to %s's queue: %v, want ACCESS_REFUSED", svc, other, err)
		}
		// The broker closes the channel of a refused publish; the bus reports
		// it as unavailable, so the refusal itself is read from the user's
		// permissions.
		err := publish(bus(svc))
		switch {
		case svc == "search" && (err == nil || mayWrite(t, users[svc], id, "shop.events")):
			t.Errorf("search publishes to the exchange (%v), or its user may write to it", err)
		case svc != "search" && err != nil:
			t.Errorf("%s cannot publish to the exchange: %v", svc, err)
		}
	}
	out, err := exec.Command("rabbitmqctl", "-q", "list_users", "--no-table-headers").CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_users: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[0], id) && f[1] != "[]" {
			t.Errorf("user %s has tags %s: a service's user needs none", f[0], f[1])
		}
	}
}

// mayWrite tells whether user's write permission in vhost covers resource,
// as the broker lists it.
func mayWrite(t *testing.T, user, vhost, resource string) bool {
	t.Helper()
	out, err := exec.Command("rabbitmqctl", "-q", "list_user_permissions", "--no-table-headers", user).CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl list_user_permissions: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 4 && f[0] == vhost {
			return regexp.MustCompile(f[2]).MatchString(resource)
		}
	}
	t.Fatalf("user %s has no permissions in %s:\n%s", user, vhost, out)
	return false
}

// TestBootstrapScriptsPassShellcheck lints the scripts the bundled stores'
// sidecars run.
func TestBootstrapScriptsPassShellcheck(t *testing.T) {
	requireTool(t, "shellcheck")
	dir := filepath.Join(ChartDir(), "files", "bootstrap")
	scripts, err := filepath.Glob(filepath.Join(dir, "*.sh"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	cmd := exec.Command("shellcheck", append([]string{"-x"}, scripts...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
