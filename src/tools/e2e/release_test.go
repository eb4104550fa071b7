//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shop-platform/shop/src/internal/accounting"
	"github.com/shop-platform/shop/src/tools/monstack"
)

// releaseState is what the phases change of the release beyond its
// install: each is a helm upgrade, so each state is a revision.
type releaseState struct {
	// scaled: every service at 2 replicas with a PodDisruptionBudget.
	scaled bool
	// debug: every service at logLevel debug (a config change that
	// restarts every pod).
	debug bool
	// loadGenerator: the chart's load generator on (loadgenerator.enabled).
	loadGenerator bool
	// monitoring: scraped by the monitoring stack (monstack.ShopValues),
	// its NetworkPolicies admitting the stack's namespace, not the
	// stand-in of e2e-values.yaml.
	monitoring bool
}

var scaled = releaseState{scaled: true}

// installed returns once the release is installed (the first call builds
// and loads the images, creates the backends and installs it) with every
// Deployment available, the stock and the generated Secrets as they were
// at install recorded.
func (s *suite) installed(t *testing.T) {
	if s.hasRelease {
		return
	}
	s.images(t)
	s.backends(t)
	install := action.NewInstall(s.helm)
	install.ReleaseName, install.Namespace = s.release, s.ns
	install.Wait, install.Timeout = true, 5*time.Minute
	if _, err := install.Run(s.loadChart(t), s.values(t, releaseState{})); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	s.hasRelease = true
	s.waitAvailable(t)
	db := s.database(t, "catalog")
	var err error
	if s.stockAtInstall, err = accounting.Stock(t.Context(), db); err != nil || len(s.stockAtInstall) == 0 {
		t.Fatalf("the catalog database has no products after the install (%v)", err)
	}
	s.secretsAtInstall = s.keptSecrets(t)
}

// need brings the release to state with helm upgrade, outside any request
// loop; a phase that changes the release under load calls upgrade itself.
func (s *suite) need(t *testing.T, state releaseState) {
	s.installed(t)
	if s.state != state {
		s.upgrade(t, state)
	}
}

// upgrade runs helm upgrade to state and waits for every Deployment.
//
// A phase may have added kinds to the cluster since helm last looked (the
// monitoring stack's CRDs, ServiceMonitor among them), and helm keeps what
// the cluster served then: its REST mapper (the upgrade that adds the
// shop's ServiceMonitors failed with "no matches for kind" on a fresh
// cluster) and its Capabilities (the chart's PrometheusRule, rendered only
// when the cluster serves the kind, was left out). Both are dropped before
// every upgrade; helm reads Capabilities again, discovery invalidated.
func (s *suite) upgrade(t *testing.T, state releaseState) {
	s.helm.Capabilities = nil
	mapper, err := s.helm.RESTClientGetter.ToRESTMapper()
	if err != nil {
		t.Fatal(err)
	}
	meta.MaybeResetRESTMapper(mapper)
	up := action.NewUpgrade(s.helm)
	up.Namespace, up.Wait, up.Timeout = s.ns, true, 5*time.Minute
	if _, err := up.Run(s.release, s.loadChart(t), s.values(t, state)); err != nil {
		t.Fatalf("helm upgrade to %+v: %v", state, err)
	}
	s.state = state
	s.waitAvailable(t)
}

// values are charts/shop/ci/e2e-values.yaml with the run's own databases,
// vhost, backends' host and images, state's changes, and last E2E_HELM_SET
// (helm's --set syntax, e.g. order.shutdown.delaySeconds=0).
func (s *suite) values(t *testing.T, state releaseState) map[string]any {
	base, err := chartutil.ReadValuesFile(filepath.Join(s.root, "charts", "shop", "ci", "e2e-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	registry, path, _ := strings.Cut(s.imageRepo, "/")
	v := map[string]any{}
	host := env("E2E_BACKEND_HOST", "host.minicluster.internal")
	set(v, "global.imageRegistry", registry)
	set(v, "global.postgresql.host", host)
	set(v, "global.postgresql.username", env("E2E_PG_USER", "postgres"))
	set(v, "global.rabbitmq.host", host)
	set(v, "global.rabbitmq.username", env("E2E_MQ_USER", "guest"))
	set(v, "global.rabbitmq.vhost", s.vhost)
	set(v, "catalog.database.name", s.databases["catalog"])
	set(v, "order.database.name", s.databases["order"])
	set(v, "payment.database.name", s.databases["payment"])
	for chartName, image := range map[string]string{"catalog": "catalog", "search": "search", "order": "order", "payment": "payment",
		"frontend": "frontend", "tests": "frontend", "loadgenerator": "loadgen"} {
		set(v, chartName+".image.repository", path+"/"+image)
		set(v, chartName+".image.tag", s.imageTag)
	}
	for _, svc := range services {
		if state.scaled {
			set(v, svc+".replicaCount", 2)
			set(v, svc+".podDisruptionBudget.enabled", true)
		}
		if state.debug {
			set(v, svc+".logLevel", "debug")
		}
	}
	if state.loadGenerator {
		set(v, "loadgenerator.enabled", true)
		set(v, "loadgenerator.duration", env("E2E_LOADGEN_DURATION", "60s"))
		set(v, "loadgenerator.think", "200ms")
		set(v, "loadgenerator.mix", "browse=40,search=30,buy=30")
		set(v, "loadgenerator.extraArgs", []any{"-json=-"})
	}
	if state.monitoring {
		monitoring, err := chartutil.ReadValues(monstack.ShopValues)
		if err != nil {
			t.Fatal(err)
		}
		v = chartutil.CoalesceTables(v, monitoring)
		set(v, "networkPolicy.monitoringNamespace", monstack.DefaultNamespace)
	}
	if extra := os.Getenv("E2E_HELM_SET"); extra != "" {
		if err := strvals.ParseInto(extra, v); err != nil {
			t.Fatalf("E2E_HELM_SET: %v", err)
		}
	}
	return chartutil.CoalesceTables(v, base)
}

// set puts value at the dotted path of v, making the maps on the way.
func set(v map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := v[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			v[k] = next
		}
		v = next
	}
	v[keys[len(keys)-1]] = value
}

// deployment is the name of a service's Deployment.
func (s *suite) deployment(svc string) string { return s.release + "-" + svc }

// waitAvailable waits until every Deployment of the release has rolled
// out: all replicas updated, available, and none of an old ReplicaSet left.
func (s *suite) waitAvailable(t *testing.T) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := s.kube.AppsV1().Deployments(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + s.release})
		if err != nil {
			return false, err
		}
		for _, d := range list.Items {
			if !rolledOut(d) {
				last = fmt.Sprintf("%s: %d of %d updated, %d available, %d in all", d.Name, d.Status.UpdatedReplicas, *d.Spec.Replicas, d.Status.AvailableReplicas, d.Status.Replicas)
				return false, nil
			}
		}
		return len(list.Items) >= len(services), nil
	})
	if err != nil {
		t.Fatalf("the release's Deployments did not roll out: %v (%s)", err, last)
	}
}

func rolledOut(d appsv1.Deployment) bool {
	want := *d.Spec.Replicas
	st := d.Status
	return st.ObservedGeneration >= d.Generation && st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want
}

// podsOf lists a service's running pods that are not being deleted.
func (s *suite) podsOf(t *testing.T, svc string) []corev1.Pod {
	t.Helper()
	list, err := s.kube.CoreV1().Pods(s.ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + s.release + ",app.kubernetes.io/name=" + svc,
		FieldSelector: "status.phase=Running"})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(list.Items, func(p corev1.Pod) bool { return p.DeletionTimestamp != nil })
}

// keptSecrets are the digests of the Secrets the chart generates and keeps
// across upgrades (the admin token, the cookie secret).
func (s *suite) keptSecrets(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{s.release + "-admin-token", s.release + "-frontend-cookie"} {
		secret, err := s.kube.CoreV1().Secrets(s.ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		for _, k := range slices.Sorted(maps.Keys(secret.Data)) {
			fmt.Fprintf(h, "%s=%x;", k, secret.Data[k])
		}
		out[name] = fmt.Sprintf("%x", h.Sum(nil))
	}
	return out
}
