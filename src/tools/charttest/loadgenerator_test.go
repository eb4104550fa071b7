//go:build charttest

package charttest

import (
	"os"
	"path/filepath"
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
			d := r.Find("Deployment", ReleaseName+"-loadgenerator")
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
