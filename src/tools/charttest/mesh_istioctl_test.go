//go:build charttest

package charttest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// istioGroups are the API groups of the objects istioctl analyze checks.
var istioGroups = []string{"networking.istio.io", "security.istio.io", "gateway.networking.k8s.io"}

// TestIstioctlAnalyzesEveryMeshProfile runs `istioctl analyze -A
// --use-kube=false` over every profile that renders Istio objects, with all
// of the profile's objects (the analyzers look up Services, Deployments and
// ServiceAccounts): any error or warning fails. A profile with a broken
// Gateway reference must fail, so a silent analysis proves nothing.
func TestIstioctlAnalyzesEveryMeshProfile(t *testing.T) {
	istioctl := toolPath(t, "SHOP_ISTIOCTL")
	requireBinary(t, istioctl)
	profiles, renders := renderAll(t)
	meshed := 0
	for _, p := range profiles {
		r := renders[p.Name]
		if !rendersIstio(r) {
			continue
		}
		meshed++
		t.Run(p.Name, func(t *testing.T) {
			out, err := analyze(t, istioctl, allManifests(r))
			if err != nil || strings.Contains(out, "Error") || strings.Contains(out, "Warning") {
				t.Fatalf("istioctl analyze: %v\n%s", err, out)
			}
			t.Log(strings.TrimSpace(out))
		})
	}
	if meshed < 3 {
		t.Fatalf("only %d profiles render Istio objects, want prod, testdata/mesh-ambient and testdata/mesh-drill at least", meshed)
	}
	t.Run("refuses a broken gateway reference", func(t *testing.T) {
		broken := strings.Replace(allManifests(renders["prod"]), "  gateways:\n    - shop\n", "  gateways:\n    - no-such-gateway\n", 1)
		if out, err := analyze(t, istioctl, broken); err == nil {
			t.Fatalf("istioctl analyze accepted a VirtualService bound to a missing Gateway:\n%s", out)
		}
	})
}

// rendersIstio tells whether a profile renders any Istio object.
func rendersIstio(r *Rendered) bool {
	for _, o := range r.Objects {
		for _, g := range istioGroups {
			if strings.HasPrefix(o.GetAPIVersion(), g+"/") {
				return true
			}
		}
	}
	return false
}

// allManifests joins every rendered manifest of a profile.
func allManifests(r *Rendered) string {
	var b strings.Builder
	for _, m := range r.Manifests {
		b.WriteString(m)
	}
	return b.String()
}

// analyze runs istioctl analyze over manifests written to a file.
func analyze(t *testing.T, istioctl, manifests string) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "rendered.yaml")
	if err := os.WriteFile(f, []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(istioctl, "analyze", "-A", "--use-kube=false", f)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
