//go:build charttest

package charttest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus-operator/prometheus-operator/pkg/assets"
	"github.com/prometheus-operator/prometheus-operator/pkg/operator"
	promoperator "github.com/prometheus-operator/prometheus-operator/pkg/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	k8sclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shop-platform/shop/src/internal/platform"
)

// monitoringNamespace is where existingStack installs kube-prometheus-stack.
const monitoringNamespace = "monitoring"

// Istio's sidecar agent serves the merged metrics (the application's and
// Envoy's) on its status port at this path, reading the application's port
// and path from ISTIO_PROMETHEUS_ANNOTATIONS (pilot/cmd/pilot-agent/status).
const (
	istioAgentStatusPort    = "15020"
	istioMergedPath         = "/stats/prometheus"
	istioPromAnnotationsEnv = "ISTIO_PROMETHEUS_ANNOTATIONS"
)

// TestMeshScrapeTargets proves that with Istio sidecars the prod profile's
// monitors make every service pod a Prometheus target whose scrape reaches
// the application's own /metrics. No Envoy runs here, so each step is the
// real code of the part that does it in a cluster:
//
//   - the pods: the prod profile's Deployments injected by the pinned
//     istioctl (kube-inject, with istiod's injector templates and mesh config
//     from `istioctl manifest generate` with istio/values-istiod.yaml),
//     created in a real kube-apiserver as a ReplicaSet would and reported
//     running with an address;
//   - the scrape configuration: the Prometheus Operator's own
//     ResourceSelector and ConfigGenerator (v0.93.1, kube-prometheus-stack
//     88.5.3's) for the Prometheus that kube-prometheus-stack renders, over
//     the chart's monitors;
//   - the targets: Prometheus' Kubernetes service discovery of those pods
//     from the API server, and its scrape package's relabelling
//     (scrape.TargetsFromGroup).
//
// Each pod must be exactly one target, with the namespace label and the
// service label of the Kubernetes Service in front of it, whose address is
// either the application's metrics port and path, or the sidecar agent's
// merged endpoint told (ISTIO_PROMETHEUS_ANNOTATIONS) to take the
// application's metrics from there. What only a cluster shows: that Envoy and
// the agent then answer as their code says (istio/README.md).
func TestMeshScrapeTargets(t *testing.T) {
	istioctl := toolPath(t, "SHOP_ISTIOCTL")
	requireBinary(t, istioctl)
	c, kubeconfig := startAPIServer(t)
	_, renders := renderAll(t)
	r := renders["prod"]

	files := istioInjector(t, istioctl)
	deployments := injectSidecars(t, istioctl, kubeconfig, files, r)
	ensureNamespace(t, c, monitoringNamespace)
	createServiceAccounts(t, c, r)
	pods := runPods(t, c, deployments)

	scrapeConfigs := operatorScrapeConfigs(t, c, kubeconfig, r)
	if len(scrapeConfigs) == 0 {
		t.Fatal("kube-prometheus-stack's Prometheus selects none of the profile's monitors")
	}
	targets := discoverTargets(t, kubeconfig, scrapeConfigs, len(pods))

	byPod := map[string][]*scrape.Target{}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for _, tg := range targets {
		pod := tg.DiscoveredLabels(lb).Get("__meta_kubernetes_pod_name")
		byPod[pod] = append(byPod[pod], tg)
	}
	services := servicesOf(t, r)
	for name, pod := range pods {
		t.Run(name, func(t *testing.T) {
			got := byPod[name]
			if len(got) != 1 {
				t.Fatalf("%d targets for the pod, want 1: %v", len(got), targetURLs(got))
			}
			tg := got[0]
			port, path := applicationMetrics(t, pod, tg.URL())
			appPort := containerPort(t, pod)
			if port != appPort || path != platform.MetricsPath {
				t.Errorf("target %s reaches :%s%s, want the application's metrics at :%s%s", tg.URL(), port, path, appPort, platform.MetricsPath)
			}
			if host := tg.URL().Hostname(); host != pod.Status.PodIP {
				t.Errorf("target %s is not at the pod's address %s", tg.URL(), pod.Status.PodIP)
			}
			lbls := tg.Labels(lb)
			if ns := lbls.Get("namespace"); ns != Namespace {
				t.Errorf("target label namespace=%q, want %q", ns, Namespace)
			}
			if svc, want := lbls.Get("service"), services[pod.Labels["app.kubernetes.io/name"]]; svc != want || want == "" {
				t.Errorf("target label service=%q, want the Service %q (labels: %s)", svc, want, lbls)
			}
		})
	}
	for name := range byPod {
		if _, ok := pods[name]; !ok {
			t.Errorf("a target for %q, which is no service pod", name)
		}
	}
}

// applicationMetrics follows a target to where the application's metrics
// come from: the target itself, or, for the Istio agent's merged endpoint,
// the port and path the agent was given in ISTIO_PROMETHEUS_ANNOTATIONS.
func applicationMetrics(t *testing.T, pod *corev1.Pod, target *url.URL) (port, path string) {
	t.Helper()
	if target.Port() != istioAgentStatusPort || target.Path != istioMergedPath {
		return target.Port(), target.Path
	}
	for _, c := range pod.Spec.Containers {
		if c.Name != "istio-proxy" {
			continue
		}
		for _, e := range c.Env {
			if e.Name != istioPromAnnotationsEnv {
				continue
			}
			var app struct{ Scrape, Port, Path string }
			if err := json.Unmarshal([]byte(e.Value), &app); err != nil {
				t.Fatalf("%s=%q: %v", istioPromAnnotationsEnv, e.Value, err)
			}
			if app.Scrape != "true" {
				t.Fatalf("the agent is told not to merge the application's metrics: %s=%s", istioPromAnnotationsEnv, e.Value)
			}
			return app.Port, app.Path
		}
	}
	t.Fatalf("target %s is the agent's merged endpoint, but its istio-proxy has no %s: it merges Envoy's metrics only", target, istioPromAnnotationsEnv)
	return "", ""
}

// containerPort is the port the application container (the pod's first,
// named after the service) declares: where it serves HTTP, /metrics included.
func containerPort(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	for _, c := range pod.Spec.Containers {
		if c.Name == pod.Labels["app.kubernetes.io/name"] && len(c.Ports) > 0 {
			return strconv.Itoa(int(c.Ports[0].ContainerPort))
		}
	}
	t.Fatalf("pod %s has no application container with a port", pod.Name)
	return ""
}

// servicesOf maps each service's app.kubernetes.io/name to the name of the
// rendered Kubernetes Service that selects its pods.
func servicesOf(t *testing.T, r *Rendered) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, svc := range Services {
		d := r.Find("Deployment", ReleaseName+"-"+svc)
		podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		for _, s := range r.Of("Service") {
			sel, _, _ := unstructured.NestedStringMap(s.Object, "spec", "selector")
			if len(sel) > 0 && k8slabels.SelectorFromSet(sel).Matches(k8slabels.Set(podLabels)) {
				out[podLabels["app.kubernetes.io/name"]] = s.GetName()
			}
		}
	}
	return out
}

// targetURLs lists the targets' scrape URLs, for messages.
func targetURLs(targets []*scrape.Target) []string {
	var out []string
	for _, tg := range targets {
		out = append(out, tg.URL().String())
	}
	return out
}

// kubePrometheusStack is kube-prometheus-stack's Prometheus (existingStack)
// as the API server stores it, with the CRD's defaults: the selectors and
// settings the operator generates the scrape configuration for.
func kubePrometheusStack(t *testing.T, c client.Client) *monitoringv1.Prometheus {
	t.Helper()
	obj := existingStack(t)
	obj.SetNamespace(monitoringNamespace)
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("the API server refuses kube-prometheus-stack's Prometheus: %v", err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
	var p monitoringv1.Prometheus
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// operatorScrapeConfigs is what the Prometheus Operator configures
// kube-prometheus-stack's Prometheus to scrape of the profile: its
// ResourceSelector picks (and validates) the profile's ServiceMonitors and
// PodMonitors by the Prometheus' selectors, its ConfigGenerator writes the
// configuration, and Prometheus' own loader parses it. The config reloader
// substitutes $(SHARD) in a cluster; this is shard 0 of 1.
func operatorScrapeConfigs(t *testing.T, c client.Client, kubeconfig string, r *Rendered) []*config.ScrapeConfig {
	t.Helper()
	ctx := context.Background()
	prom := kubePrometheusStack(t, c)
	restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	clientset, err := k8sclient.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactory(clientset, 0)
	namespaces := factory.Core().V1().Namespaces().Informer()
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, namespaces.HasSynced) {
		t.Fatal("the namespace informer did not sync")
	}
	logger := slog.New(slog.DiscardHandler)
	store := assets.NewStoreBuilder(clientset.CoreV1(), clientset.CoreV1())
	selector, err := promoperator.NewResourceSelector(logger, prom, store, namespaces, operator.NewMetrics(prometheus.NewRegistry()), operator.NewFakeRecorder(16, prom))
	if err != nil {
		t.Fatal(err)
	}
	list := func(kind string) promoperator.ListAllByNamespaceFn {
		return func(namespace string, sel k8slabels.Selector, appendFn cache.AppendFunc) error {
			for _, obj := range r.Of(kind) {
				if obj.GetNamespace() != namespace || !sel.Matches(k8slabels.Set(obj.GetLabels())) {
					continue
				}
				var typed runtime.Object = &monitoringv1.ServiceMonitor{}
				if kind == "PodMonitor" {
					typed = &monitoringv1.PodMonitor{}
				}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
					return err
				}
				appendFn(typed)
			}
			return nil
		}
	}
	serviceMonitors, err := selector.SelectServiceMonitors(ctx, list("ServiceMonitor"))
	if err != nil {
		t.Fatal(err)
	}
	podMonitors, err := selector.SelectPodMonitors(ctx, list("PodMonitor"))
	if err != nil {
		t.Fatal(err)
	}
	for key, res := range serviceMonitors {
		for _, c := range res.Conditions() {
			if c.Status != monitoringv1.ConditionTrue {
				t.Errorf("the operator rejects ServiceMonitor %s: %s", key, c.Message)
			}
		}
	}
	for key, res := range podMonitors {
		for _, c := range res.Conditions() {
			if c.Status != monitoringv1.ConditionTrue {
				t.Errorf("the operator rejects PodMonitor %s: %s", key, c.Message)
			}
		}
	}
	generator, err := promoperator.NewConfigGenerator(logger, prom)
	if err != nil {
		t.Fatal(err)
	}
	generated, err := generator.GenerateServerConfiguration(prom, serviceMonitors.ValidResources(), podMonitors.ValidResources(), nil, nil, store, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(strings.ReplaceAll(string(generated), "$(SHARD)", "0"), logger)
	if err != nil {
		t.Fatalf("Prometheus refuses the operator's configuration: %v\n%s", err, generated)
	}
	var ours []*config.ScrapeConfig
	for _, sc := range cfg.ScrapeConfigs {
		if strings.Contains(sc.JobName, "/"+Namespace+"/") {
			ours = append(ours, sc)
		}
	}
	return ours
}

// discoverTargets runs Prometheus' Kubernetes service discovery of each
// scrape configuration against the test's API server (the operator writes
// in-cluster discovery; only the connection is changed) until it has seen
// at least wantGroups pods, and returns the targets Prometheus derives.
func discoverTargets(t *testing.T, kubeconfig string, scrapeConfigs []*config.ScrapeConfig, wantGroups int) []*scrape.Target {
	t.Helper()
	var out []*scrape.Target
	for _, sc := range scrapeConfigs {
		for _, sd := range sc.ServiceDiscoveryConfigs {
			k8s, ok := sd.(*kubernetes.SDConfig)
			if !ok {
				t.Fatalf("job %s discovers with %T, not Kubernetes", sc.JobName, sd)
			}
			for _, tg := range discoverGroups(t, kubeconfig, *k8s, wantGroups) {
				targets, failures := scrape.TargetsFromGroup(tg, sc, nil, labels.NewBuilder(labels.EmptyLabels()))
				for _, err := range failures {
					t.Errorf("job %s: %v", sc.JobName, err)
				}
				// Relabelling dropped the targets with no labels left, as
				// Prometheus' scrape pool counts them.
				for _, tg := range targets {
					if !tg.Labels(labels.NewBuilder(labels.EmptyLabels())).IsEmpty() {
						out = append(out, tg)
					}
				}
			}
		}
	}
	return out
}

// discoverGroups runs one Kubernetes discovery until it reports at least
// want target groups with targets (one per pod for role pod), and returns
// the latest group of each source.
func discoverGroups(t *testing.T, kubeconfig string, sd kubernetes.SDConfig, want int) []*targetgroup.Group {
	t.Helper()
	sd.KubeConfig = kubeconfig
	reg := prometheus.NewRegistry()
	refresh := discovery.NewRefreshMetrics(reg)
	metrics := sd.NewDiscovererMetrics(reg, refresh)
	if err := metrics.Register(); err != nil {
		t.Fatal(err)
	}
	defer metrics.Unregister()
	d, err := sd.NewDiscoverer(discovery.DiscovererOptions{Logger: slog.New(slog.DiscardHandler), Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	updates := make(chan []*targetgroup.Group)
	go d.Run(ctx, updates)
	groups := map[string]*targetgroup.Group{}
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("Kubernetes discovery (role %s) saw %d pods with targets in a minute, want %d", sd.Role, populated(groups), want)
		case batch := <-updates:
			for _, g := range batch {
				groups[g.Source] = g
			}
			if populated(groups) >= want {
				var out []*targetgroup.Group
				for _, g := range groups {
					out = append(out, g)
				}
				return out
			}
		}
	}
}

// populated counts the groups that have targets.
func populated(groups map[string]*targetgroup.Group) int {
	n := 0
	for _, g := range groups {
		if len(g.Targets) > 0 {
			n++
		}
	}
	return n
}

// ensureNamespace creates a namespace in the test's API server unless it is there.
func ensureNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// createServiceAccounts creates the profile's ServiceAccounts the pods run as.
func createServiceAccounts(t *testing.T, c client.Client, r *Rendered) {
	t.Helper()
	for _, obj := range r.Of("ServiceAccount") {
		sa := obj.DeepCopy()
		if sa.GetNamespace() == "" {
			sa.SetNamespace(Namespace)
		}
		if err := c.Create(context.Background(), sa); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), sa) })
	}
}
