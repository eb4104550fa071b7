//go:build charttest

package charttest

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// storeMetrics are the bundled data stores' pods, labelled as their charts
// label them, with the metrics port Prometheus scrapes.
var storeMetrics = map[string]struct {
	peer peer
	port int64
}{
	"postgresql": {peer{Namespace, map[string]string{"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": ReleaseName}, ""}, 9187},
	"rabbitmq":   {peer{Namespace, map[string]string{"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": ReleaseName}, ""}, 15692},
}

// TestNamespaceWideDefaultDenyInStagingAndProd holds staging and prod to a
// default deny of the whole namespace: a pod the chart knows nothing about
// (another team's, a debug pod, a compromised job) can neither reach the
// shop nor anything else, and nothing reaches it; the Prometheus of
// kube-prometheus-stack, in a namespace of its own, still scrapes every
// service.
func TestNamespaceWideDefaultDenyInStagingAndProd(t *testing.T) {
	_, renders := renderAll(t)
	stranger := peer{Namespace, map[string]string{"app": "stranger"}, ""}
	dns := peer{"kube-system", map[string]string{"k8s-app": "kube-dns"}, ""}
	world := peer{"elsewhere", map[string]string{}, ""}
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			deny := false
			for _, np := range r.Of("NetworkPolicy") {
				sel, _, _ := unstructured.NestedMap(np.Object, "spec", "podSelector")
				in, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
				out, _, _ := unstructured.NestedSlice(np.Object, "spec", "egress")
				types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
				if len(sel) == 0 && len(in) == 0 && len(out) == 0 && len(types) == 2 {
					deny = true
				}
			}
			if !deny {
				t.Errorf("no NetworkPolicy denies ingress and egress of every pod of the namespace (networkPolicy.defaultDenyScope)")
			}
			peers := matrixPeers(t, r)
			for _, svc := range Services {
				port := servicePort(t, r, svc)
				if ok, _ := networkAllows(t, r, stranger, peers[svc], port); ok {
					t.Errorf("a stranger pod of the namespace reaches %s:%d", svc, port)
				}
				if ok, _ := networkAllows(t, r, peers[svc], stranger, 8080); ok {
					t.Errorf("%s reaches a stranger pod of the namespace", svc)
				}
				if ok, why := networkAllows(t, r, peers["prometheus"], peers[svc], port); !ok {
					t.Errorf("Prometheus in %s cannot scrape %s:%d (%s)", peers["prometheus"].namespace, svc, port, why)
				}
			}
			for _, dst := range []peer{dns, world} {
				if ok, _ := networkAllows(t, r, stranger, dst, 53); ok {
					t.Errorf("a stranger pod of the namespace reaches %s/%v", dst.namespace, dst.labels)
				}
			}
		})
	}
}

// TestPeersBoundToTheirNamespaces proves the ingress and Prometheus peers of
// the policies are bound to their namespaces by name as well as to pod
// labels: a pod anyone can create with `app.kubernetes.io/name: prometheus`
// or the gateway's labels in another namespace reaches nothing (POST
// /create-order included), while the real ones reach what they need.
func TestPeersBoundToTheirNamespaces(t *testing.T) {
	_, renders := renderAll(t)
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			peers := matrixPeers(t, r)
			prometheus, gateway := peers["prometheus"], peers["gateway"]
			if prometheus.namespace == Namespace || gateway.namespace == Namespace || prometheus.namespace == "" || gateway.namespace == "" {
				t.Fatalf("the profile puts Prometheus (%q) or the ingress (%q) in the release's namespace: no namespace of their own to bind", prometheus.namespace, gateway.namespace)
			}
			impostor := func(p peer) peer { return peer{"impostor", p.labels, ""} }
			for _, svc := range Services {
				port := servicePort(t, r, svc)
				if ok, _ := networkAllows(t, r, impostor(prometheus), peers[svc], port); ok {
					t.Errorf("a pod labelled %v in namespace impostor reaches %s:%d", prometheus.labels, svc, port)
				}
				if ok, _ := networkAllows(t, r, impostor(gateway), peers[svc], port); ok {
					t.Errorf("a pod labelled %v in namespace impostor reaches %s:%d", gateway.labels, svc, port)
				}
				if ok, why := networkAllows(t, r, prometheus, peers[svc], port); !ok {
					t.Errorf("Prometheus (%s, %v) cannot scrape %s (%s)", prometheus.namespace, prometheus.labels, svc, why)
				}
			}
			if ok, why := networkAllows(t, r, gateway, peers["frontend"], servicePort(t, r, "frontend")); !ok {
				t.Errorf("the ingress (%s, %v) cannot reach the storefront (%s)", gateway.namespace, gateway.labels, why)
			}
			for store, s := range storeMetrics {
				if ok, _ := networkAllows(t, r, impostor(prometheus), s.peer, s.port); ok {
					t.Errorf("a pod labelled %v in namespace impostor reaches %s's metrics port %d", prometheus.labels, store, s.port)
				}
				if ok, why := networkAllows(t, r, prometheus, s.peer, s.port); !ok {
					t.Errorf("Prometheus cannot scrape %s's metrics port %d (%s)", store, s.port, why)
				}
			}
		})
	}
}

// TestPeerBindingValues checks the values behind the binding: the bundled
// kube-prometheus-stack's Prometheus runs in the release's namespace, a
// replacing list is taken as given, and a peer that any namespace matches
// is refused.
func TestPeerBindingValues(t *testing.T) {
	scrapes := func(t *testing.T, values string, scraper peer) bool {
		t.Helper()
		r, err := Render(ChartDir(), []string{writeValues(t, "networkPolicy:\n  enabled: true\n  defaultDenyScope: release\n"+values)})
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := networkAllows(t, r, scraper, matrixPeers(t, r)["catalog"], servicePort(t, r, "catalog"))
		return ok
	}
	prometheus := map[string]string{"app.kubernetes.io/name": "prometheus"}
	if !scrapes(t, "kube-prometheus-stack:\n  enabled: true\n", peer{Namespace, prometheus, ""}) {
		t.Error("the bundled Prometheus, in the release's namespace, cannot scrape catalog")
	}
	own := "  prometheusFrom:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: obs}}\n      podSelector: {matchLabels: {app: vm}}\n"
	if !scrapes(t, own, peer{"obs", map[string]string{"app": "vm"}, ""}) {
		t.Error("the peer of networkPolicy.prometheusFrom cannot scrape catalog")
	}
	if scrapes(t, own, peer{"monitoring", prometheus, ""}) {
		t.Error("with networkPolicy.prometheusFrom set, the default Prometheus peer still scrapes catalog")
	}
	requireRefused(t, []refusal{
		{"prometheus peer of any namespace", "networkPolicy:\n  enabled: true\n  prometheusFrom:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}\n", "networkPolicy.prometheusFrom"},
		{"ingress peer of any namespace", "networkPolicy:\n  enabled: true\n  ingressFrom:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {istio: ingressgateway}}\n", "networkPolicy.ingressFrom"},
	})
}
