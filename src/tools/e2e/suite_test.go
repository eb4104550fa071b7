//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// services are the shop's services, each a Deployment of the release.
var services = []string{"catalog", "search", "order", "payment", "frontend"}

// suite is the state one run of TestE2E shares among its phases: the
// clients, the run's names, and the release as the phases left it.
type suite struct {
	root                string // the repository
	ns, release         string
	runID, vhost        string
	databases           map[string]string // service -> its database
	imageRepo, imageTag string
	kube                kubernetes.Interface
	restConfig          *rest.Config
	helm                *action.Configuration
	chart               *chart.Chart
	adminURL            string // PostgreSQL, as this test administers it
	rabbitmqctl         []string
	imagesLoaded        bool
	hasRelease          bool
	state               releaseState
	stockAtInstall      map[string]int
	secretsAtInstall    map[string]string
	createdBackends     bool
	timings             []string
}

// env is a setting of the run: the environment variable, or def.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// seconds reads a duration variable (Go syntax, or whole seconds).
func seconds(name, def string) time.Duration {
	v := env(name, def)
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		panic(fmt.Sprintf("%s=%q is not a duration", name, v))
	}
	return d
}

// preflight sets the suite up and returns why the test cannot run here,
// or "" when it can: the cluster answers within 10 s, the tools and the
// backends are there.
func (s *suite) preflight(t *testing.T) string {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	s.root = root
	s.ns, s.release = env("E2E_NAMESPACE", "shop-e2e"), env("E2E_RELEASE", "e2e")
	s.runID = strconv.FormatInt(time.Now().Unix(), 10) + strconv.Itoa(os.Getpid())
	// The run's databases and vhost carry the namespace, so runs in
	// namespaces of their own keep apart on one server.
	prefix := strings.ReplaceAll(s.ns, "-", "_") + "_" + s.runID
	s.databases = map[string]string{"catalog": prefix + "_catalog", "order": prefix + "_orders", "payment": prefix + "_payments"}
	s.vhost = s.ns + "-" + s.runID
	s.imageRepo = env("IMAGE_REPO", "ghcr.io/shop-platform")
	s.imageTag = env("E2E_IMAGE_TAG", env("IMAGE_TAG", "e2e-local-"+s.runID))
	s.adminURL = env("E2E_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	s.rabbitmqctl = strings.Fields(env("E2E_RABBITMQCTL", "rabbitmqctl"))

	for _, tool := range []string{env("MAKE", "make"), s.rabbitmqctl[0]} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed"
		}
	}
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	s.restConfig, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return "no Kubernetes configuration (KUBECONFIG): " + err.Error()
	}
	quick := rest.CopyConfig(s.restConfig)
	quick.Timeout = 10 * time.Second
	version, err := kubernetes.NewForConfigOrDie(quick).Discovery().ServerVersion()
	if err != nil {
		return fmt.Sprintf("no Kubernetes cluster answers at KUBECONFIG=%s (start one: ../shared/minicluster/up.sh here, kind elsewhere): %v", os.Getenv("KUBECONFIG"), err)
	}
	s.kube = kubernetes.NewForConfigOrDie(s.restConfig)
	s.helm = new(action.Configuration)
	if err := s.helm.Init(kube.GetConfig("", "", s.ns), s.ns, "secret", func(string, ...any) {}); err != nil {
		return "Helm cannot use the cluster: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return "PostgreSQL does not answer at E2E_DATABASE_URL: " + err.Error()
	}
	_ = conn.Close(ctx)
	if _, err := s.mqctl(t, "list_vhosts"); err != nil {
		return "RabbitMQ does not answer to " + strings.Join(s.rabbitmqctl, " ") + ": " + err.Error()
	}
	t.Logf("cluster: Kubernetes %s; namespace %s, release %s, run %s", version.GitVersion, s.ns, s.release, s.runID)
	if _, err := s.kube.CoreV1().Namespaces().Get(t.Context(), s.ns, metav1.GetOptions{}); err == nil {
		t.Logf("namespace %s is left from an earlier run: deleting it", s.ns)
		s.deleteNamespace(t)
	}
	return ""
}

// database connects to the run's database of svc (catalog or order) for
// as long as t runs.
func (s *suite) database(t *testing.T, svc string) *pgx.Conn {
	t.Helper()
	u, err := url.Parse(s.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + s.databases[svc]
	conn, err := pgx.Connect(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// mqctl runs rabbitmqctl (E2E_RABBITMQCTL) with args, also while t's
// cleanups run.
func (s *suite) mqctl(t *testing.T, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
	defer cancel()
	all := append(append(append([]string{}, s.rabbitmqctl...), "-q"), args...)
	out, err := exec.CommandContext(ctx, all[0], all[1:]...).Output()
	if err != nil {
		return out, fmt.Errorf("%s: %w", strings.Join(all, " "), err)
	}
	return out, nil
}

// closeBrokerConnections closes the release's AMQP connections (those in
// the run's vhost), as a network blip or a broker failover would.
func (s *suite) closeBrokerConnections(t *testing.T) {
	out, err := s.mqctl(t, "list_connections", "vhost", "--formatter", "json")
	if err != nil {
		t.Fatal(err)
	}
	var conns []struct{ VHost string }
	if err := json.Unmarshal(out, &conns); err != nil {
		t.Fatalf("rabbitmqctl list_connections: %v\n%s", err, out)
	}
	n := 0
	for _, c := range conns {
		if c.VHost == s.vhost {
			n++
		}
	}
	if n == 0 {
		t.Fatalf("the release has no broker connection in vhost %s to close", s.vhost)
	}
	if _, err := s.mqctl(t, "close_all_connections", "--vhost", s.vhost, "--limit", "10000", "make e2e closes the release's connections"); err != nil {
		t.Fatal(err)
	}
	t.Logf("closed the %d broker connections of vhost %s", n, s.vhost)
}

// backends creates the run's databases and vhost, and the namespace with
// the Secrets of their passwords that charts/shop/ci/e2e-values.yaml names.
func (s *suite) backends(t *testing.T) {
	conn, err := pgx.Connect(t.Context(), s.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	s.createdBackends = true
	for _, db := range s.databases {
		if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
			t.Fatalf("creating database %s: %v", db, err)
		}
	}
	user := env("E2E_MQ_USER", "guest")
	for _, args := range [][]string{{"add_vhost", s.vhost}, {"set_permissions", "-p", s.vhost, user, ".*", ".*", ".*"}} {
		if _, err := s.mqctl(t, args...); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("databases %s, %s, %s; vhost %s", s.databases["catalog"], s.databases["order"], s.databases["payment"], s.vhost)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}
	if _, err := s.kube.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, password := range map[string]string{"shop-e2e-postgresql": env("E2E_PG_PASSWORD", "unused-trust-auth"), "shop-e2e-rabbitmq": env("E2E_MQ_PASSWORD", "guest")} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"password": password}}
		if _, err := s.kube.CoreV1().Secrets(s.ns).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// teardown removes what the run made, pass or fail (E2E_KEEP=1 keeps it
// after a failure for inspection): the release, the namespace, the
// databases and the vhost.
func (s *suite) teardown(t *testing.T) {
	start := time.Now()
	defer func() { s.timed("teardown", time.Since(start)) }()
	if t.Failed() && os.Getenv("E2E_KEEP") == "1" {
		t.Logf("E2E_KEEP=1: leaving namespace %s, databases %v and vhost %s for inspection", s.ns, s.databases, s.vhost)
		return
	}
	if s.hasRelease {
		u := action.NewUninstall(s.helm)
		u.Wait, u.Timeout = true, 2*time.Minute
		if _, err := u.Run(s.release); err != nil {
			t.Logf("helm uninstall at teardown: %v", err)
		}
	}
	s.deleteNamespace(t)
	if !s.createdBackends {
		return
	}
	ctx := context.WithoutCancel(t.Context())
	if conn, err := pgx.Connect(ctx, s.adminURL); err == nil {
		for _, db := range s.databases {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
				t.Errorf("dropping database %s: %v", db, err)
			}
		}
		_ = conn.Close(ctx)
	}
	if _, err := s.mqctl(t, "delete_vhost", s.vhost); err != nil {
		t.Errorf("deleting vhost %s: %v", s.vhost, err)
	}
}

// images builds the images of this checkout (make images, unless
// E2E_SKIP_BUILD=1) and loads them into the cluster's node (E2E_LOAD: kind,
// ctr, none, or auto: kind when E2E_KIND_CLUSTER is set, else ctr when
// CONTAINERD_ADDRESS is). The chart never pulls them (pullPolicy: Never).
func (s *suite) images(t *testing.T) {
	if s.imagesLoaded {
		return
	}
	dir := env("IMAGES_DIR", filepath.Join(s.root, "bin", "images"))
	if os.Getenv("E2E_SKIP_BUILD") != "1" {
		s.command(t, env("MAKE", "make"), "-C", s.root, "--no-print-directory", "images",
			"IMAGE_REPO="+s.imageRepo, "IMAGE_TAG="+s.imageTag, "IMAGES_DIR="+dir)
	}
	load := env("E2E_LOAD", "auto")
	if load == "auto" {
		switch {
		case os.Getenv("E2E_KIND_CLUSTER") != "":
			load = "kind"
		case os.Getenv("CONTAINERD_ADDRESS") != "":
			load = "ctr"
		default:
			t.Fatal("cannot tell how to load images: set E2E_KIND_CLUSTER for Kind, CONTAINERD_ADDRESS for containerd (ctr), or E2E_LOAD=none")
		}
	}
	for _, image := range append(services, "loadgen") {
		tarball := filepath.Join(dir, image+".tar")
		switch load {
		case "kind":
			s.command(t, "kind", "load", "image-archive", tarball, "--name", os.Getenv("E2E_KIND_CLUSTER"))
		case "ctr":
			s.command(t, "ctr", "-n", "k8s.io", "images", "import", tarball)
		case "none":
		default:
			t.Fatalf("E2E_LOAD=%s: want auto, kind, ctr or none", load)
		}
	}
	t.Logf("images %s/*:%s loaded (%s)", s.imageRepo, s.imageTag, load)
	s.imagesLoaded = true
}

// command runs a program of the build (make, ctr, kind), failing t with
// its output when it fails.
func (s *suite) command(t *testing.T, name string, args ...string) {
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// loadChart loads charts/shop, once, with its dependency charts: those
// `helm dependency build` left in charts/shop/charts/, else the archives
// of E2E_CHART_DEPS (their conditions are off here; offline machines keep
// them in ../shared/chart-deps).
func (s *suite) loadChart(t *testing.T) *chart.Chart {
	if s.chart != nil {
		return s.chart
	}
	ch, err := loader.Load(filepath.Join(s.root, "charts", "shop"))
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	for _, dep := range ch.Dependencies() {
		loaded[dep.Name()] = true
	}
	archives, _ := filepath.Glob(filepath.Join(env("E2E_CHART_DEPS", filepath.Join(s.root, "..", "shared", "chart-deps")), "*.tgz"))
	for _, a := range archives {
		dep, err := loader.Load(a)
		if err != nil {
			t.Fatal(err)
		}
		if !loaded[dep.Name()] {
			ch.AddDependency(dep)
		}
	}
	s.chart = ch
	return ch
}
