//go:build charttest

package charttest

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/url"
	"slices"
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
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	k8sclient "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
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

// TestMonitorsScrapeEveryServicePod proves that the chart's monitors make
// every service pod a Prometheus target whose scrape reaches the
// application's own /metrics, with the same namespace and service labels
// whichever monitor scrapes it: with Istio sidecars (prod: the PodMonitor
// of the sidecars' merged metrics) and without (staging: a ServiceMonitor
// per service). No Envoy or kubelet runs here, so each step is the real
// code of the part that does it in a cluster:
//
//   - the pods: the profile's Deployments (for prod injected by the pinned
//     istioctl, kube-inject with the injector templates and mesh config
//     from `istioctl manifest generate` with istio/values-istiod.yaml),
//     created in a real kube-apiserver as a ReplicaSet would and reported
//     running with an address; the Services and, as the endpoints
//     controller would, their Endpoints;
//   - the scrape configuration: the Prometheus Operator's own
//     ResourceSelector and ConfigGenerator (v0.93.1, kube-prometheus-stack
//     88.5.3's) for the Prometheus that kube-prometheus-stack renders, over
//     the chart's monitors;
//   - the targets: Prometheus' Kubernetes service discovery from the API
//     server, and its scrape package's relabelling (scrape.TargetsFromGroup).
//
// Each pod must be exactly one target, with the namespace label and the
// service label of the Kubernetes Service in front of it, whose address is
// either the application's metrics port and path, or the sidecar agent's
// merged endpoint told (ISTIO_PROMETHEUS_ANNOTATIONS) to take the
// application's metrics from there. What only a cluster shows: that Envoy and
// the agent then answer as their code says (istio/README.md).
func TestMonitorsScrapeEveryServicePod(t *testing.T) {
	istioctl := toolPath(t, "SHOP_ISTIOCTL")
	requireBinary(t, istioctl)
	c, kubeconfig := startAPIServer(t)
	_, renders := renderAll(t)
	ensureNamespace(t, c, monitoringNamespace)
	t.Run("prod with sidecars", func(t *testing.T) {
		r := renders["prod"]
		deployments := injectSidecars(t, istioctl, kubeconfig, istioInjector(t, istioctl), r)
		checkScrapeTargets(t, c, kubeconfig, r, deployments)
	})
	t.Run("staging without mesh", func(t *testing.T) {
		r := renders["staging"]
		var deployments []*appsv1.Deployment
		for _, svc := range Services {
			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(r.Find("Deployment", ReleaseName+"-"+svc).Object, &d); err != nil {
				t.Fatal(err)
			}
			deployments = append(deployments, &d)
		}
		checkScrapeTargets(t, c, kubeconfig, r, deployments)
	})
}

// checkScrapeTargets runs the deployments' pods with the profile's Services
// and Endpoints, and holds the targets the operator's configuration gives
// to one per pod at the application's metrics (see
// TestMonitorsScrapeEveryServicePod).
func checkScrapeTargets(t *testing.T, c client.Client, kubeconfig string, r *Rendered, deployments []*appsv1.Deployment) {
	t.Helper()
	createServiceAccounts(t, c, r)
	pods := runPods(t, c, deployments)
	services := runServices(t, c, kubeconfig, r, pods)
	scrapeConfigs := operatorScrapeConfigs(t, c, kubeconfig, r)
	if len(scrapeConfigs) == 0 {
		t.Fatal("kube-prometheus-stack's Prometheus selects none of the profile's monitors")
	}
	targets := discoverTargets(t, kubeconfig, scrapeConfigs, map[kubernetes.Role]int{
		kubernetes.RolePod: len(pods), kubernetes.RoleEndpoint: len(slices.Compact(slices.Sorted(maps.Values(services)))),
	})

	byPod := map[string][]*scrape.Target{}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for _, tg := range targets {
		pod := tg.DiscoveredLabels(lb).Get("__meta_kubernetes_pod_name")
		byPod[pod] = append(byPod[pod], tg)
	}
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
			if svc, want := lbls.Get("service"), services[pod.Name]; svc != want || want == "" {
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

// runServices creates the profile's Services that select the pods, and
// for each the Endpoints the endpoints controller would write (its pods'
// addresses on the Service's target ports, each naming its pod): the
// operator's default discovery role for ServiceMonitors reads Endpoints. It
// returns the Service in front of each pod, by pod name.
func runServices(t *testing.T, c client.Client, kubeconfig string, r *Rendered, pods map[string]*corev1.Pod) map[string]string {
	t.Helper()
	ctx := context.Background()
	// Endpoints are deprecated in favour of EndpointSlices: the API server
	// says so on every call, which is not this test's news.
	restConfig, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	restConfig.WarningHandler = rest.NoWarnings{}
	endpoints, err := k8sclient.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	front := map[string]string{}
	for _, obj := range r.Of("Service") {
		var svc corev1.Service
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &svc); err != nil {
			t.Fatal(err)
		}
		svc.Namespace = Namespace
		var subset corev1.EndpointSubset
		var selected *corev1.Pod
		for name, pod := range pods {
			if len(svc.Spec.Selector) > 0 && k8slabels.SelectorFromSet(svc.Spec.Selector).Matches(k8slabels.Set(pod.Labels)) {
				subset.Addresses = append(subset.Addresses, corev1.EndpointAddress{IP: pod.Status.PodIP,
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}})
				front[name] = svc.Name
				selected = pod
			}
		}
		if selected == nil {
			continue
		}
		for _, p := range svc.Spec.Ports {
			subset.Ports = append(subset.Ports, corev1.EndpointPort{Name: p.Name, Port: targetPort(t, p, selected), Protocol: p.Protocol})
		}
		if err := c.Create(ctx, &svc); err != nil {
			t.Fatalf("Service %s: %v", svc.Name, err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), &svc) })
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: Namespace, Labels: svc.Labels},
			Subsets: []corev1.EndpointSubset{subset}}
		if _, err := endpoints.CoreV1().Endpoints(Namespace).Create(ctx, ep, metav1.CreateOptions{}); err != nil {
			t.Fatalf("Endpoints %s: %v", svc.Name, err)
		}
		t.Cleanup(func() {
			_ = endpoints.CoreV1().Endpoints(Namespace).Delete(context.Background(), ep.Name, metav1.DeleteOptions{})
		})
	}
	return front
}

// targetPort is the pod port a Service port sends to: its targetPort, a
// number or the name of a container port.
func targetPort(t *testing.T, p corev1.ServicePort, pod *corev1.Pod) int32 {
	t.Helper()
	if p.TargetPort.Type == intstr.Int {
		return p.TargetPort.IntVal
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == p.TargetPort.StrVal {
				return cp.ContainerPort
			}
		}
	}
	t.Fatalf("no container port %q in pod %s", p.TargetPort.StrVal, pod.Name)
	return 0
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
// the groups with targets want says for its role (one per pod for pod,
// one per Service for endpoints), and returns the targets Prometheus
// derives.
func discoverTargets(t *testing.T, kubeconfig string, scrapeConfigs []*config.ScrapeConfig, want map[kubernetes.Role]int) []*scrape.Target {
	t.Helper()
	var out []*scrape.Target
	for _, sc := range scrapeConfigs {
		for _, sd := range sc.ServiceDiscoveryConfigs {
			k8s, ok := sd.(*kubernetes.SDConfig)
			if !ok {
				t.Fatalf("job %s discovers with %T, not Kubernetes", sc.JobName, sd)
			}
			for _, tg := range discoverGroups(t, kubeconfig, *k8s, want[k8s.Role]) {
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
// want target groups with targets, and returns the latest group of each
// source.
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
			t.Fatalf("Kubernetes discovery (role %s) saw %d groups with targets in a minute, want %d", sd.Role, populated(groups), want)
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
