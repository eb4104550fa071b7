//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// matrixLabel marks the pods and the policy this phase makes.
const matrixLabel = "netpol-matrix/probe"

// testNetworkPolicies checks the access matrix at L4 with real traffic, in
// a cluster that enforces NetworkPolicies: pods carrying each caller's
// labels (and one with none) open TCP connections to every service of the
// release; every pair the l4 column of istio/access-matrix.txt allows must
// connect and every other must be refused. The caller none twice: with its
// own egress denied by default, and with it open, so the target's ingress
// refuses it too. Then the shop still works with the policies on: a
// shopper's journey through a pod labelled as the ingress gateway, and an
// order through the APIs from a pod labelled as the storefront.
func testNetworkPolicies(t *testing.T, s *suite) {
	s.installed(t)
	policies, err := s.kube.NetworkingV1().NetworkPolicies(s.ns).List(t.Context(), metav1.ListOptions{})
	if err != nil || len(policies.Items) == 0 {
		t.Fatalf("release %s has no NetworkPolicies (%v): install it with networkPolicy.enabled=true", s.release, err)
	}
	// Each caller's labels: a service's are its Deployment's selector;
	// gateway and prometheus carry the labels the policies admit them by
	// and stand for pods of other namespaces (a policy of this phase opens
	// their egress, which their own namespaces' policies would govern).
	outside := map[string]string{"netpol-matrix/outside": "true"}
	labels := map[string]map[string]string{
		"gateway":    {"istio": "ingressgateway", "netpol-matrix/outside": "true"},
		"prometheus": {"app.kubernetes.io/name": "prometheus", "netpol-matrix/outside": "true"},
		"none":       {},
		"none-open":  outside,
	}
	addr := map[string]string{}
	for _, svc := range services {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(t.Context(), s.deployment(svc), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		labels[svc] = d.Spec.Selector.MatchLabels
		service, err := s.kube.CoreV1().Services(s.ns).Get(t.Context(), s.deployment(svc), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		addr[svc] = fmt.Sprintf("%s:%d", service.Spec.ClusterIP, service.Spec.Ports[0].Port)
	}
	open := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "netpol-matrix-outside", Labels: map[string]string{matrixLabel: "true"}},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: outside},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, Egress: []networkingv1.NetworkPolicyEgressRule{{}}},
	}
	if _, err := s.kube.NetworkingV1().NetworkPolicies(s.ns).Create(t.Context(), open, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.WithoutCancel(t.Context())
		sel := metav1.ListOptions{LabelSelector: matrixLabel}
		_ = s.kube.CoreV1().Pods(s.ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, sel)
		_ = s.kube.NetworkingV1().NetworkPolicies(s.ns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
	})

	rows := accessMatrix(t, filepath.Join(s.root, "istio", "access-matrix.txt"))
	var callers []string
	for _, r := range rows {
		if _, ok := labels[r.caller]; ok && !slices.Contains(callers, r.caller) {
			callers = append(callers, r.caller)
		}
	}
	for _, caller := range callers {
		l := map[string]string{matrixLabel: "true"}
		for k, v := range labels[caller] {
			l[k] = v
		}
		// Never Ready: a pod with a service's labels must not become an
		// endpoint of its Service.
		s.start(t, testPod{name: "netpol-matrix-" + caller, image: s.image("frontend"), command: []string{"/probe", "wait"}, labels: l, neverReady: true})
	}
	checked := 0
	for _, r := range rows {
		if _, ok := labels[r.caller]; !ok {
			t.Logf("SKIPPED %s -> %s: the caller lives in another namespace this phase does not create", r.caller, r.service)
			continue
		}
		if addr[r.service] == "" {
			t.Logf("SKIPPED %s -> %s: this release runs no %s (the e2e profile leaves that store off)", r.caller, r.service, r.service)
			continue
		}
		got := s.dial(t, r.caller, addr[r.service], r.l4 == "allow")
		checked++
		if got != r.l4 {
			t.Errorf("%s -> %s (%s): %s, want %s", r.caller, r.service, addr[r.service], got, r.l4)
		} else {
			t.Logf("ok   %s -> %s (%s): %s", r.caller, r.service, addr[r.service], got)
		}
	}
	if checked == 0 {
		t.Fatal("no caller/service pair was checked")
	}
	t.Log("the shop with the policies on:")
	for caller, command := range map[string][]string{
		"gateway":  {"/probe", "journey", "http://" + addr["frontend"]},
		"frontend": {"/probe", "order", "http://" + addr["catalog"], "http://" + addr["order"]},
	} {
		out, err := s.exec(t, "netpol-matrix-"+caller, command...)
		if err != nil {
			t.Errorf("%s as %s: %v\n%s", strings.Join(command, " "), caller, err, out)
		} else {
			t.Logf("%s as %s:\n%s", strings.Join(command, " "), caller, out)
		}
	}
	t.Logf("%d caller/service pairs checked", checked)
}

// dial tells whether the caller's pod connects to addr. A connection that
// should be allowed is tried for up to 20 s: the enforcer admits a new
// pod's traffic some moments after it starts. One that should be refused
// is tried once, so a wrong allow is never missed.
func (s *suite) dial(t *testing.T, caller, addr string, allowed bool) string {
	t.Helper()
	tries := 1
	if allowed {
		tries = 20
	}
	for i := range tries {
		if i > 0 {
			time.Sleep(time.Second)
		}
		if _, err := s.exec(t, "netpol-matrix-"+caller, "/probe", "dial", addr); err == nil {
			return "allow"
		}
	}
	return "deny"
}

// matrixRow is one pair of the access matrix with its verdict at L4.
type matrixRow struct{ caller, service, l4 string }

// accessMatrix reads the caller/service pairs of the matrix, each once, and
// adds the caller none-open wherever none is.
func accessMatrix(t *testing.T, path string) []matrixRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var rows []matrixRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 6 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		for _, caller := range []string{fields[0], map[bool]string{true: "none-open"}[fields[0] == "none"]} {
			r := matrixRow{caller, fields[1], fields[5]}
			if caller != "" && !slices.Contains(rows, r) {
				rows = append(rows, r)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}
