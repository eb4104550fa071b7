//go:build charttest

package charttest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// testRequest is one request a helm test pod makes: to a service of the
// release, a method and a path.
type testRequest struct {
	service, method, path string
}

// TestHelmTestIdentityUnderTheMesh proves `helm test` can pass with the mesh
// on, in both mesh profiles: each test pod runs as a ServiceAccount of its
// own (not the namespace's default), and the rendered AuthorizationPolicies
// admit that principal for every request the pod makes and nothing more:
// no route of any service's app (GetRoutes, as TestRouteVariantsOnRenderedPolicies
// builds them) that no test pod requests is open to it.
func TestHelmTestIdentityUnderTheMesh(t *testing.T) {
	_, renders := renderAll(t)
	apps := serviceApps(t)
	for _, profile := range []string{"prod", "testdata/mesh-ambient"} {
		t.Run(profile, func(t *testing.T) {
			r := renders[profile]
			peers := matrixPeers(t, r)
			ambient := profile != "prod"
			pods := testPods(t, r)
			if len(pods) < 2 {
				t.Fatalf("%d helm test pods, want the ready and order tests", len(pods))
			}
			trust, _, _ := unstructured.NestedString(r.Values, "istio", "trustDomain")
			requested := map[string]map[string]bool{}
			for _, pod := range pods {
				sa := pod.Spec.ServiceAccountName
				if sa == "" || sa == "default" {
					t.Fatalf("test pod %s runs as the namespace's default ServiceAccount, which the mesh must not admit", pod.Name)
				}
				caller := "test:" + sa
				peers[caller] = peer{Namespace, pod.Labels, fmt.Sprintf("%s/ns/%s/sa/%s", trust, Namespace, sa)}
				if requested[caller] == nil {
					requested[caller] = map[string]bool{}
				}
				for _, req := range testPodRequests(t, pod) {
					row := matrixRow{caller: caller, service: req.service, method: req.method, path: req.path}
					if ok, why := istioAllows(t, r, peers, row, ambient); !ok {
						t.Errorf("test pod %s: %s %s %s is refused (%s)", pod.Name, req.method, req.service, req.path, why)
					}
					route := newRouteTable(t, apps[req.service]).match(t, req.method, req.path)
					if route == "" {
						t.Fatalf("test pod %s requests %s %s %s, which no route serves", pod.Name, req.method, req.service, req.path)
					}
					requested[caller][req.service+" "+req.method+" "+route] = true
				}
			}
			for caller := range requested {
				for _, svc := range Services {
					rt := newRouteTable(t, apps[svc])
					for _, route := range rt.routes {
						row := matrixRow{caller: caller, service: svc, method: route.Method, path: samplePath(t, route.Path)}
						if ok, _ := istioAllows(t, r, peers, row, ambient); ok && !requested[caller][svc+" "+route.Method+" "+route.Path] {
							t.Errorf("the tests' identity %s may %s %s %s, which no test pod requests", caller, route.Method, svc, route.Path)
						}
					}
				}
			}
		})
	}
}

// testPods are the profile's helm test pods.
func testPods(t *testing.T, r *Rendered) []*corev1.Pod {
	t.Helper()
	var pods []*corev1.Pod
	for _, obj := range r.Of("Pod") {
		if obj.GetAnnotations()["helm.sh/hook"] != "test" {
			continue
		}
		var pod corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &pod); err != nil {
			t.Fatal(err)
		}
		pods = append(pods, &pod)
	}
	return pods
}

// testPodRequests are the requests a test pod's probe makes, read from its
// arguments: `ready URL...` gets each URL; `order CATALOG ORDER` lists the
// catalog, places an order and polls it (runOrder in
// src/cmd/probe/checks.go: GET /catalog, POST /create-order, GET
// /orders/{id}).
func testPodRequests(t *testing.T, pod *corev1.Pod) []testRequest {
	t.Helper()
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("test pod %s has %d containers, want the probe's", pod.Name, len(pod.Spec.Containers))
	}
	args := pod.Spec.Containers[0].Args
	var urls []*url.URL
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		u, err := url.Parse(a)
		if err != nil {
			t.Fatalf("test pod %s: argument %q: %v", pod.Name, a, err)
		}
		urls = append(urls, u)
	}
	service := func(u *url.URL) string {
		svc, ok := strings.CutPrefix(u.Hostname(), ReleaseName+"-")
		if !ok {
			t.Fatalf("test pod %s calls %s, not a service of the release", pod.Name, u)
		}
		return svc
	}
	var reqs []testRequest
	switch args[0] {
	case "ready":
		for _, u := range urls {
			reqs = append(reqs, testRequest{service(u), http.MethodGet, u.Path})
		}
	case "order":
		if len(urls) != 2 {
			t.Fatalf("test pod %s: order takes the catalog's and the order service's URLs, got %v", pod.Name, args)
		}
		catalog, order := service(urls[0]), service(urls[1])
		reqs = append(reqs,
			testRequest{catalog, http.MethodGet, "/catalog"},
			testRequest{order, http.MethodPost, "/create-order"},
			testRequest{order, http.MethodGet, "/orders/ord-1"})
	default:
		t.Fatalf("test pod %s runs probe %q, which this test does not know", pod.Name, args[0])
	}
	return reqs
}

// TestHelmTestPodsCompleteUnderSidecars injects the prod profile's helm test
// pods with the pinned istioctl (the injector of istio/values-istiod.yaml)
// and checks that their sidecar is a native one: an init container that
// restarts always, which Kubernetes stops once the probe has exited, so the
// pod completes and helm test sees its result (an ordinary sidecar container
// would keep the pod running until helm test times out).
func TestHelmTestPodsCompleteUnderSidecars(t *testing.T) {
	istioctl := toolPath(t, "SHOP_ISTIOCTL")
	requireBinary(t, istioctl)
	_, kubeconfig := startAPIServer(t)
	_, renders := renderAll(t)
	var objs []*unstructured.Unstructured
	for _, obj := range renders["prod"].Of("Pod") {
		if obj.GetAnnotations()["helm.sh/hook"] == "test" {
			objs = append(objs, obj)
		}
	}
	if len(objs) == 0 {
		t.Fatal("prod renders no helm test pods")
	}
	for _, obj := range kubeInject(t, istioctl, kubeconfig, istioInjector(t, istioctl), objs) {
		var pod corev1.Pod
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &pod); err != nil {
			t.Fatal(err)
		}
		if hasContainer(pod.Spec, "istio-proxy") {
			t.Errorf("test pod %s: istio-proxy is an ordinary container, which outlives the probe", pod.Name)
		}
		native := false
		for _, c := range pod.Spec.InitContainers {
			if c.Name == "istio-proxy" && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				native = true
			}
		}
		if !native {
			t.Errorf("test pod %s has no native istio-proxy sidecar (an init container with restartPolicy Always)", pod.Name)
		}
	}
}
