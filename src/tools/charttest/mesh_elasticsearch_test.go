//go:build charttest

package charttest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// storeMethod marks the data-store rows of access-matrix.txt: a TCP
// connection, the port in the path column.
const storeMethod = "TCP"

// TestElasticsearchInTheMesh holds the prod profile to the Elasticsearch
// rows of access-matrix.txt, the layout Elastic documents for ECK with
// Istio under STRICT mutual TLS: the AuthorizationPolicy of the cluster's
// HTTP port admits search and the ECK operator (from elastic-system, in the
// mesh) and no one else, and every nodeSet's pods keep the node transport
// (9300) out of their sidecars, so the nodes talk to each other with ECK's
// own TLS where Istio would refuse them (their default ServiceAccount is
// no principal the policy admits). L4 is the NetworkPolicies' verdict.
func TestElasticsearchInTheMesh(t *testing.T) {
	_, renders := renderAll(t)
	r := renders["prod"]
	peers := matrixPeers(t, r)
	name := ReleaseName + "-elasticsearch"
	es := r.Find("Elasticsearch", name)
	if es == nil {
		t.Fatalf("prod renders no Elasticsearch %s", name)
	}
	trust, _, _ := unstructured.NestedString(r.Values, "istio", "trustDomain")
	operators, _, _ := unstructured.NestedStringSlice(r.Values, "istio", "authorization", "elasticsearchOperatorPrincipals")
	if len(operators) == 0 {
		t.Fatal("values have no istio.authorization.elasticsearchOperatorPrincipals")
	}
	peers["elasticsearch"] = peer{Namespace, map[string]string{"elasticsearch.k8s.elastic.co/cluster-name": name},
		fmt.Sprintf("%s/ns/%s/sa/%s", trust, Namespace, nodeServiceAccount(es))}
	peers["eck-operator"] = peer{"elastic-system", map[string]string{"control-plane": "elastic-operator"}, operators[0]}
	bypass := sidecarBypass(t, es)
	rows := 0
	for _, row := range readAccessMatrix(t) {
		if row.method != storeMethod || row.service != "elasticsearch" {
			continue
		}
		rows++
		port, err := strconv.ParseInt(row.path, 10, 64)
		if err != nil {
			t.Fatalf("row %v: the path of a %s row is a port: %v", row, storeMethod, err)
		}
		l7, why := true, "the port bypasses the sidecars"
		if !bypass[port] {
			l7, why = istioAllows(t, r, peers, matrixRow{caller: row.caller, service: row.service}, false)
		}
		if l7 != row.l7 {
			t.Errorf("%s -> elasticsearch:%d: Istio allows=%v, want %v (%s)", row.caller, port, l7, row.l7, why)
		}
		if l4, why := networkAllows(t, r, peers[row.caller], peers["elasticsearch"], port); l4 != row.l4 {
			t.Errorf("%s -> elasticsearch:%d: NetworkPolicies allow=%v, want %v (%s)", row.caller, port, l4, row.l4, why)
		}
	}
	if rows == 0 {
		t.Fatal("access-matrix.txt has no Elasticsearch rows")
	}
}

// nodeServiceAccount is the ServiceAccount of the cluster's pods: the
// nodeSets' podTemplate's, or the namespace's default.
func nodeServiceAccount(es *unstructured.Unstructured) string {
	sets, _, _ := unstructured.NestedSlice(es.Object, "spec", "nodeSets")
	for _, s := range sets {
		if sa, _, _ := unstructured.NestedString(s.(map[string]any), "podTemplate", "spec", "serviceAccountName"); sa != "" {
			return sa
		}
	}
	return "default"
}

// sidecarBypass are the ports every nodeSet's pods keep out of their
// sidecars both ways (traffic.sidecar.istio.io/excludeInboundPorts and
// excludeOutboundPorts): Istio neither sees nor refuses connections on them.
func sidecarBypass(t *testing.T, es *unstructured.Unstructured) map[int64]bool {
	t.Helper()
	sets, _, _ := unstructured.NestedSlice(es.Object, "spec", "nodeSets")
	if len(sets) == 0 {
		t.Fatal("the Elasticsearch has no nodeSets")
	}
	var common []int64
	for i, s := range sets {
		annotations, _, _ := unstructured.NestedStringMap(s.(map[string]any), "podTemplate", "metadata", "annotations")
		in := portList(t, annotations["traffic.sidecar.istio.io/excludeInboundPorts"])
		out := portList(t, annotations["traffic.sidecar.istio.io/excludeOutboundPorts"])
		var both []int64
		for _, p := range in {
			if slices.Contains(out, p) {
				both = append(both, p)
			}
		}
		if i == 0 {
			common = both
			continue
		}
		common = slices.DeleteFunc(common, func(p int64) bool { return !slices.Contains(both, p) })
	}
	bypass := map[int64]bool{}
	for _, p := range common {
		bypass[p] = true
	}
	return bypass
}

// portList parses a comma-separated list of ports.
func portList(t *testing.T, s string) []int64 {
	t.Helper()
	var ports []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("port list %q: %v", s, err)
		}
		ports = append(ports, p)
	}
	return ports
}

// TestMeshRefusesElasticsearchOutsideElasticsLayout proves the chart refuses,
// saying what to set, a bundled Elasticsearch in the mesh that does not hold
// to the layout Elastic documents for ECK with Istio.
func TestMeshRefusesElasticsearchOutsideElasticsLayout(t *testing.T) {
	const bundled = "istio:\n  enabled: true\nglobal:\n  elasticsearch:\n    enabled: true\nelasticsearch:\n  enabled: true\n"
	const tlsOff = "  http:\n    tls:\n      selfSignedCertificate:\n        disabled: true\n"
	const plain = "    tls: false\n"
	withPlain := strings.Replace(bundled, "    enabled: true\nelasticsearch:", "    enabled: true\n"+plain+"elasticsearch:", 1)
	requireRefused(t, []refusal{
		{"ambient", strings.Replace(bundled, "  enabled: true\nglobal:", "  enabled: true\n  mode: ambient\nglobal:", 1), "ambient"},
		{"ECK's HTTP certificate", withPlain, "selfSignedCertificate"},
		{"https to the cluster", bundled + tlsOff, "global.elasticsearch.tls: false"},
		{"transport through the sidecars", withPlain + tlsOff, "excludeInboundPorts"},
	})
}
