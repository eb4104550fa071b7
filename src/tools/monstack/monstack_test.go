//go:build monstack

package monstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// The shop's install for this test: a namespace, databases and a vhost of
// its own, images from this checkout (make test-monstack imports them).
const (
	shopNamespace = "shop-monstack"
	shopRelease   = "monstack"
	brokerUser    = "guest"
)

// TestMonitoringStack installs the stack (or finds it installed), installs
// the shop with monitoring on beside it, and checks, in the order the e2e
// suite runs them: targets, rules, panels, and an alert delivered and
// resolved.
func TestMonitoringStack(t *testing.T) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		testenv.Unavailable(t, "the monitoring stack's tools (make test-monstack)", err)
	}
	repo, tag := os.Getenv("SHOP_MONSTACK_IMAGE_REPO"), os.Getenv("SHOP_MONSTACK_IMAGE_TAG")
	if repo == "" || tag == "" {
		testenv.Unavailable(t, "the shop's images in the cluster", fmt.Errorf("SHOP_MONSTACK_IMAGE_REPO and SHOP_MONSTACK_IMAGE_TAG are not set (make test-monstack builds and imports them)"))
	}
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		testenv.Unavailable(t, "rabbitmqctl (the shop's vhost, the broker outage)", err)
	}

	stack := InstallStack(t, cfg)
	t.Run("a second install changes nothing", func(t *testing.T) { secondInstallChangesNothing(t, stack) })

	vhost := installShop(t, stack, repo, tag)
	shop := Shop{Namespace: shopNamespace, Release: shopRelease}
	stack.WaitTargetsUp(t, shop)
	stack.RulesLoaded(t, shop)
	stack.DriveTraffic(t, shop)
	stack.PanelsReturnSeries(t, shop)
	stack.InduceAndAwaitAlert(t, shop, "ShopConsumerDown", &BrokerOutage{Vhost: vhost, User: brokerUser})
}

// secondInstallChangesNothing installs the stack again: the same Prometheus
// and Alertmanager pods keep running.
func secondInstallChangesNothing(t *testing.T, s *Stack) {
	ctx := context.Background()
	pods := func() map[string]string {
		list, err := s.Kube.CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		uids := map[string]string{}
		for _, p := range list.Items {
			uids[p.Name] = string(p.UID)
		}
		return uids
	}
	before := pods()
	if _, installed, err := Install(ctx, s.Config, t.Logf); err != nil || installed {
		t.Fatalf("second install: installed anew %v, %v", installed, err)
	}
	after := pods()
	for name, uid := range before {
		if after[name] != uid {
			t.Errorf("pod %s was replaced by the second install", name)
		}
	}
}

// installShop installs the shop chart as make e2e does (charts/shop/ci/e2e-values.yaml,
// the host's PostgreSQL and RabbitMQ), with ShopValues, and returns its
// vhost. Everything is removed when the test ends.
func installShop(t *testing.T, s *Stack, repo, tag string) string {
	ctx := context.Background()
	suffix := testenv.RandomSuffix()
	dbCatalog, dbOrders := "shop_monstack_"+suffix+"_catalog", "shop_monstack_"+suffix+"_orders"
	vhost := "shop-monstack-" + suffix

	if _, err := s.Kube.CoreV1().Namespaces().Get(ctx, shopNamespace, metav1.GetOptions{}); err == nil {
		t.Logf("namespace %s is left from an earlier run: deleting it", shopNamespace)
		if err := deleteNamespace(ctx, s.Kube, shopNamespace); err != nil {
			t.Fatal(err)
		}
	}
	createDatabases(t, dbCatalog, dbOrders)
	rabbitmqctl(t, "add_vhost", vhost)
	t.Cleanup(func() { rabbitmqctl(t, "delete_vhost", vhost) })
	rabbitmqctl(t, "set_permissions", "-p", vhost, brokerUser, ".*", ".*", ".*")

	chart := filepath.Join(t.TempDir(), "shop")
	if out, err := exec.Command("cp", "-rL", "../../../charts/shop", chart).CombinedOutput(); err != nil {
		t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	deps, _ := filepath.Glob(filepath.Join(filepath.Dir(s.Chart), "*.tgz"))
	if out, err := exec.Command("cp", append(deps, filepath.Join(chart, "charts"))...).CombinedOutput(); err != nil {
		t.Fatalf("copying the dependency charts: %v\n%s", err, out)
	}
	values, err := writeTemp("shop-values-*.yaml", ShopValues)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(values) })

	t.Cleanup(func() {
		if err := deleteNamespace(context.Background(), s.Kube, shopNamespace); err != nil {
			t.Error(err)
		}
	})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: shopNamespace}}
	if _, err := s.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The passwords of the Secrets e2e-values.yaml names: PostgreSQL
	// trusts the host's connections, guest is RabbitMQ's loopback user.
	for name, password := range map[string]string{"shop-e2e-postgresql": "unused-trust-auth", "shop-e2e-rabbitmq": "guest"} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"password": password}}
		if _, err := s.Kube.CoreV1().Secrets(shopNamespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"install", shopRelease, chart, "--namespace", shopNamespace,
		"--values", "../../../charts/shop/ci/e2e-values.yaml", "--values", values,
		"--set", "global.rabbitmq.vhost=" + vhost, "--set", "catalog.database.name=" + dbCatalog, "--set", "order.database.name=" + dbOrders,
		"--wait", "--timeout", "5m"}
	registry, prefix, _ := strings.Cut(repo, "/")
	args = append(args, "--set", "global.imageRegistry="+registry)
	for _, svc := range []string{"catalog", "search", "order", "frontend"} {
		args = append(args, "--set", svc+".image.repository="+prefix+"/"+svc, "--set", svc+".image.tag="+tag)
	}
	start := time.Now()
	if _, err := helm(ctx, s.Config, args...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := helm(context.Background(), s.Config, "uninstall", shopRelease, "--namespace", shopNamespace, "--wait"); err != nil {
			t.Logf("uninstalling the shop: %v", err)
		}
	})
	t.Logf("shop installed as %s in namespace %s with monitoring on (%s): databases %s, %s; vhost %s",
		shopRelease, shopNamespace, time.Since(start).Round(time.Second), dbCatalog, dbOrders, vhost)
	return vhost
}

func createDatabases(t *testing.T, names ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testenv.PostgresAdminURL())
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	for _, name := range names {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatalf("creating database %s: %v", name, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, testenv.PostgresAdminURL())
			if err != nil {
				t.Logf("dropping database %s: %v", name, err)
				return
			}
			defer func() { _ = c.Close(context.Background()) }()
			if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				t.Logf("dropping database %s: %v", name, err)
			}
		})
	}
}

func rabbitmqctl(t *testing.T, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "rabbitmqctl", append([]string{"-q"}, args...)...).CombinedOutput(); err != nil {
		t.Errorf("rabbitmqctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
