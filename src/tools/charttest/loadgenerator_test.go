//go:build charttest

package charttest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The load generator shops at the storefront under the release's
// NetworkPolicies: the default deny would otherwise refuse every request
// of its pods (and did, until make e2e ran it in a cluster). It reaches the
// storefront only, never the APIs behind it; with a targetURL elsewhere it
// reaches only what loadgenerator.extraEgress lists.
func TestLoadGeneratorUnderNetworkPolicies(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	on := write("on.yaml", "networkPolicy:\n  enabled: true\nloadgenerator:\n  enabled: true\n")
	elsewhere := write("elsewhere.yaml", "loadgenerator:\n  targetURL: http://istio-ingressgateway.istio-ingress\n")
	base := filepath.Join(ChartDir(), "values-staging.yaml")

	for _, tc := range []struct {
		name     string
		files    []string
		frontend bool
	}{
		{"storefront of the release", []string{base, on}, true},
		{"targetURL elsewhere", []string{base, on, elsewhere}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Render(ChartDir(), tc.files)
			if err != nil {
				t.Fatal(err)
			}
			d := r.Find("Deployment", ReleaseName+"-loadgen")
			if d == nil {
				t.Fatal("no load generator Deployment")
			}
			labels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
			peers := matrixPeers(t, r)
			loadgen := peer{Namespace, labels, ""}
			for _, svc := range Services {
				got, why := networkAllows(t, r, loadgen, peers[svc], servicePort(t, r, svc))
				want := svc == "frontend" && tc.frontend
				if got != want {
					t.Errorf("load generator -> %s: NetworkPolicies allow=%v, want %v (%s)", svc, got, want, why)
				}
			}
		})
	}
}

// TestLoadGeneratorRunsUntilStopped holds the load generator to a workload
// that shops until its pod is stopped: the library chart renders it like
// the services (hardened, probed, its own ServiceAccount), with
// `-duration=0` (the loadgen binary's "until SIGTERM") and a grace period
// long enough for the shoppers to follow their last orders (-order-timeout,
// 60s by default) before the report is printed.
func TestLoadGeneratorRunsUntilStopped(t *testing.T) {
	r, err := Render(ChartDir(), []string{writeValues(t, "loadgenerator:\n  enabled: true\n")})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Find("Deployment", ReleaseName+"-loadgen")
	if d == nil {
		t.Fatal("no load generator Deployment")
	}
	c, spec := container(t, d)
	if !slices.Contains(c.Args, "-duration=0") {
		t.Errorf("the load generator's arguments %v do not run it until it is stopped (-duration=0)", c.Args)
	}
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds < 75 {
		t.Errorf("grace period %v: the shoppers cannot follow their last orders (60s) and report before the kill", spec.TerminationGracePeriodSeconds)
	}
	if src := r.Sources[slices.Index(r.Objects, d)]; src != "shop/templates/loadgenerator.yaml" {
		t.Errorf("rendered by %s", src)
	}
	if v, _ := WorkloadViolations(d); len(v) > 0 {
		t.Errorf("the load generator breaks the hardening rules: %v", v)
	}
	if spec.ServiceAccountName != ReleaseName+"-loadgen" || r.Find("ServiceAccount", ReleaseName+"-loadgen") == nil {
		t.Errorf("the load generator runs as %q, want a ServiceAccount of its own", spec.ServiceAccountName)
	}
	if d.GetLabels()["app.kubernetes.io/component"] != "loadgenerator" {
		t.Errorf("labels %v: its NetworkPolicy selects app.kubernetes.io/component: loadgenerator", d.GetLabels())
	}
}
