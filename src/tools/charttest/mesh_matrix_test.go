//go:build charttest

package charttest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// matrixRow is one line of istio/access-matrix.txt: may caller use method
// and path of service, at L7 (Istio) and at L4 (NetworkPolicies)?
type matrixRow struct {
	caller, service, method, path string
	l7, l4                        bool
}

// readAccessMatrix reads istio/access-matrix.txt, the one table the
// rendered policies and the live check in the cluster are held to.
func readAccessMatrix(t *testing.T) []matrixRow {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(), "istio", "access-matrix.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []matrixRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 || !slices.Contains([]string{"allow", "deny"}, f[4]) || !slices.Contains([]string{"allow", "deny"}, f[5]) {
			t.Fatalf("access-matrix.txt:%d: want caller service method path allow|deny allow|deny, got %q", n, line)
		}
		rows = append(rows, matrixRow{f[0], f[1], f[2], f[3], f[4] == "allow", f[5] == "allow"})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// peer is a caller as the policies see it: its namespace and pod labels
// (NetworkPolicies) and its mTLS principal (Istio; empty for plain text).
type peer struct {
	namespace string
	labels    map[string]string
	principal string
}

// matrixPeers returns every caller of the matrix in a rendered profile: the
// services from their Deployments, the others from the values.
func matrixPeers(t *testing.T, r *Rendered) map[string]peer {
	t.Helper()
	first := func(path ...string) string {
		list, _, _ := unstructured.NestedStringSlice(r.Values, path...)
		if len(list) == 0 {
			t.Fatalf("values have no %s", strings.Join(path, "."))
		}
		return list[0]
	}
	trust, _, _ := unstructured.NestedString(r.Values, "istio", "trustDomain")
	// The ingress and Prometheus are the pods the profile names: their
	// namespaces and labels in networkPolicy (the gateway's labels default
	// to istio.gateway.selector).
	// A chart without these values stands them in the namespaces where
	// Istio's gateway chart and kube-prometheus-stack are usually installed.
	ingressNS, found, _ := unstructured.NestedString(r.Values, "networkPolicy", "ingressNamespace")
	if !found {
		ingressNS = "istio-ingress"
	}
	ingressLabels, _, _ := unstructured.NestedStringMap(r.Values, "networkPolicy", "ingressPodLabels")
	if len(ingressLabels) == 0 {
		ingressLabels, _, _ = unstructured.NestedStringMap(r.Values, "istio", "gateway", "selector")
	}
	monitoringNS, found, _ := unstructured.NestedString(r.Values, "networkPolicy", "monitoringNamespace")
	switch {
	case !found:
		monitoringNS = "monitoring"
	case monitoringNS == "":
		monitoringNS = Namespace
	}
	prometheusLabels, _, _ := unstructured.NestedStringMap(r.Values, "networkPolicy", "prometheusPodLabels")
	if len(prometheusLabels) == 0 {
		prometheusLabels = map[string]string{"app.kubernetes.io/name": "prometheus"}
	}
	peers := map[string]peer{
		"admin":      {"shop-admin", map[string]string{}, first("istio", "authorization", "adminPrincipals")},
		"prometheus": {monitoringNS, prometheusLabels, first("istio", "authorization", "prometheusPrincipals")},
		"gateway":    {ingressNS, ingressLabels, first("istio", "gateway", "principals")},
		"none":       {Namespace, map[string]string{}, ""},
	}
	for _, svc := range Services {
		d := r.Find("Deployment", ReleaseName+"-"+svc)
		if d == nil {
			t.Fatalf("no Deployment %s-%s", ReleaseName, svc)
		}
		labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
		sa, _, _ := unstructured.NestedString(d.Object, "spec", "template", "spec", "serviceAccountName")
		peers[svc] = peer{Namespace, labels, fmt.Sprintf("%s/ns/%s/sa/%s", trust, Namespace, sa)}
	}
	return peers
}

// TestAccessMatrixOnRenderedPolicies holds the rendered AuthorizationPolicies
// and NetworkPolicies to every row of istio/access-matrix.txt: the prod
// profile (sidecars) and the ambient profile at L7, prod and staging at L4.
func TestAccessMatrixOnRenderedPolicies(t *testing.T) {
	_, renders := renderAll(t)
	rows := readAccessMatrix(t)
	for _, name := range []string{"prod", "testdata/mesh-ambient"} {
		t.Run("L7 "+name, func(t *testing.T) {
			r := renders[name]
			peers := matrixPeers(t, r)
			ambient := name != "prod"
			for _, row := range rows {
				if row.method == storeMethod {
					continue
				}
				got, why := istioAllows(t, r, peers, row, ambient)
				if got != row.l7 {
					t.Errorf("%s -> %s %s %s: Istio allows=%v, want %v (%s)", row.caller, row.service, row.method, row.path, got, row.l7, why)
				}
			}
		})
	}
	for _, name := range []string{"prod", "staging", "ci/ingress"} {
		t.Run("L4 "+name, func(t *testing.T) {
			r := renders[name]
			peers := matrixPeers(t, r)
			for _, row := range rows {
				if row.method == storeMethod {
					continue
				}
				got, why := networkAllows(t, r, peers[row.caller], peers[row.service], servicePort(t, r, row.service))
				if got != row.l4 {
					t.Errorf("%s -> %s port %d: NetworkPolicies allow=%v, want %v (%s)", row.caller, row.service, servicePort(t, r, row.service), got, row.l4, why)
				}
			}
		})
	}
}

// servicePort is the container port of a service's pods.
func servicePort(t *testing.T, r *Rendered, svc string) int64 {
	t.Helper()
	v, _, _ := unstructured.NestedFieldNoCopy(r.Values, svc, "port")
	switch port := v.(type) {
	case float64:
		return int64(port)
	case int64:
		return port
	case int:
		return int64(port)
	}
	t.Fatalf("values have no numeric %s.port: %v", svc, v)
	return 0
}

// istioAllows evaluates Istio's ALLOW semantics for a request: with ALLOW
// policies applying to the workload, it is allowed only if a rule of one
// matches the path as Envoy normalizes it (istioNormalize; a path it
// refuses is denied). The profiles render no DENY or CUSTOM policies
// (checked).
func istioAllows(t *testing.T, r *Rendered, peers map[string]peer, row matrixRow, ambient bool) (bool, string) {
	t.Helper()
	path, _, ok := istioNormalize(row.path)
	if !ok {
		return false, "Envoy refuses the path"
	}
	row.path = path
	dest := peers[row.service]
	src := peers[row.caller]
	serviceName := ReleaseName + "-" + row.service
	applying := 0
	for _, ap := range r.Of("AuthorizationPolicy") {
		spec, _, _ := unstructured.NestedMap(ap.Object, "spec")
		if action, _, _ := unstructured.NestedString(spec, "action"); action != "" && action != "ALLOW" {
			t.Fatalf("%s has action %s: the evaluator knows only ALLOW", ap.GetName(), action)
		}
		if !policyApplies(spec, dest.labels, serviceName, ambient) {
			continue
		}
		applying++
		rules, _, _ := unstructured.NestedSlice(spec, "rules")
		for _, rule := range rules {
			if ruleMatches(rule.(map[string]any), src.principal, row.method, row.path) {
				return true, "allowed by " + ap.GetName()
			}
		}
	}
	if applying == 0 {
		return true, "no policy applies to the workload"
	}
	return false, fmt.Sprintf("no rule of the %d applying policies matches", applying)
}

// policyApplies tells whether a policy governs the L7 requests to a service:
// with sidecars, a policy without selector (the namespace's) or with one
// that selects the pods; in ambient mode, one targeting the Service or the
// waypoint that carries all of them.
func policyApplies(spec map[string]any, podLabels map[string]string, serviceName string, ambient bool) bool {
	refs, hasRefs, _ := unstructured.NestedSlice(spec, "targetRefs")
	if ambient {
		for _, ref := range refs {
			m := ref.(map[string]any)
			if (m["kind"] == "Service" && m["name"] == serviceName) || m["kind"] == "Gateway" {
				return true
			}
		}
		return false
	}
	if hasRefs {
		return false
	}
	sel, found, _ := unstructured.NestedStringMap(spec, "selector", "matchLabels")
	if !found {
		return true
	}
	for k, v := range sel {
		if podLabels[k] != v {
			return false
		}
	}
	return true
}

// ruleMatches is an Istio rule: every `from` source (any of) and `to`
// operation (any of) must match; an absent field matches everything.
func ruleMatches(rule map[string]any, principal, method, path string) bool {
	if from, ok := rule["from"].([]any); ok {
		matched := false
		for _, f := range from {
			src, _, _ := unstructured.NestedStringSlice(f.(map[string]any), "source", "principals")
			if principal != "" && slices.ContainsFunc(src, func(p string) bool { return istioMatch(p, principal) }) {
				matched = true
			}
		}
		if !matched {
			return false
		}
	}
	if to, ok := rule["to"].([]any); ok {
		matched := false
		for _, o := range to {
			op, _, _ := unstructured.NestedMap(o.(map[string]any), "operation")
			methods, hasMethods, _ := unstructured.NestedStringSlice(op, "methods")
			paths, hasPaths, _ := unstructured.NestedStringSlice(op, "paths")
			notPaths, _, _ := unstructured.NestedStringSlice(op, "notPaths")
			match := func(p string) bool { return istioMatch(p, path) }
			if (!hasMethods || slices.Contains(methods, method)) &&
				(!hasPaths || slices.ContainsFunc(paths, match)) &&
				!slices.ContainsFunc(notPaths, match) {
				matched = true
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// istioMatch is Istio's string match: exact, `prefix*`, `*suffix` or `*`.
func istioMatch(pattern, s string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(s, strings.TrimSuffix(pattern, "*"))
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(s, strings.TrimPrefix(pattern, "*"))
	}
	return pattern == s
}

// networkAllows evaluates the NetworkPolicies for a TCP connection from src
// to dst's pods on port: the egress of src (when in the release's namespace)
// and the ingress of dst must both admit it, each either not isolated by
// any policy or admitted by a rule of one that selects it.
func networkAllows(t *testing.T, r *Rendered, src, dst peer, port int64) (bool, string) {
	t.Helper()
	policies := r.Of("NetworkPolicy")
	if len(policies) == 0 {
		t.Fatal("the profile renders no NetworkPolicy")
	}
	check := func(direction string, self, other peer) (bool, string) {
		if self.namespace != Namespace {
			return true, ""
		}
		isolated := false
		for _, np := range policies {
			sel, _, _ := unstructured.NestedMap(np.Object, "spec", "podSelector")
			types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
			if !selects(sel, self.labels) || !slices.Contains(types, direction) {
				continue
			}
			isolated = true
			field, peersKey := "ingress", "from"
			if direction == "Egress" {
				field, peersKey = "egress", "to"
			}
			rules, _, _ := unstructured.NestedSlice(np.Object, "spec", field)
			for _, rule := range rules {
				rm := rule.(map[string]any)
				peersList, _, _ := unstructured.NestedSlice(rm, peersKey)
				ports, _, _ := unstructured.NestedSlice(rm, "ports")
				if peerMatches(peersList, other) && portMatches(ports, port) {
					return true, ""
				}
			}
		}
		if !isolated {
			return true, ""
		}
		return false, direction + " refused"
	}
	if ok, why := check("Egress", src, dst); !ok {
		return false, why
	}
	return check("Ingress", dst, src)
}

// selects is a LabelSelector (matchLabels only: the chart renders no
// matchExpressions; an expression fails the test loudly by never matching).
func selects(sel map[string]any, labels map[string]string) bool {
	if _, ok := sel["matchExpressions"]; ok {
		return false
	}
	ml, _, _ := unstructured.NestedStringMap(sel, "matchLabels")
	for k, v := range ml {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// peerMatches is a NetworkPolicyPeer list: podSelector alone means the
// policy's namespace, namespaceSelector matches the namespace's name label.
func peerMatches(peers []any, p peer) bool {
	if len(peers) == 0 {
		return true
	}
	for _, item := range peers {
		m := item.(map[string]any)
		if _, ok := m["ipBlock"]; ok {
			continue
		}
		nsSel, hasNS, _ := unstructured.NestedMap(m, "namespaceSelector")
		podSel, hasPod, _ := unstructured.NestedMap(m, "podSelector")
		nsOK := p.namespace == Namespace
		if hasNS {
			nsOK = selects(nsSel, map[string]string{"kubernetes.io/metadata.name": p.namespace})
		}
		if nsOK && (!hasPod || selects(podSel, p.labels)) {
			return true
		}
	}
	return false
}

// portMatches is a NetworkPolicyPort list (TCP, numeric ports: the chart
// renders no named ports).
func portMatches(ports []any, port int64) bool {
	if len(ports) == 0 {
		return true
	}
	for _, item := range ports {
		m := item.(map[string]any)
		if proto, _ := m["protocol"].(string); proto != "" && proto != "TCP" {
			continue
		}
		switch v := m["port"].(type) {
		case int64:
			if v == port {
				return true
			}
		case float64:
			if int64(v) == port {
				return true
			}
		}
	}
	return false
}
