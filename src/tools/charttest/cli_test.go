//go:build charttest

package charttest

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelmCLIs runs `helm lint --strict` and `helm template` of the helm 3
// and helm 4 CLIs (built by make at pinned versions) over every profile, with
// the dependency charts `make chart-deps` put in charts/shop/charts/, and
// lints every service chart on its own.
func TestHelmCLIs(t *testing.T) {
	profiles, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := LoadChart(ChartDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := MissingDependencies(ch); err != nil {
		t.Fatal(err)
	}
	chartDir := ChartDir()
	for major, variable := range map[string]string{"helm3": "SHOP_HELM3", "helm4": "SHOP_HELM4"} {
		t.Run(major, func(t *testing.T) {
			helm := toolPath(t, variable)
			requireBinary(t, helm)
			// run runs helm and fails on an error or on a values warning
			// (coalesce.go), which helm prints on every command of a user.
			run := func(t *testing.T, args ...string) string {
				t.Helper()
				var out, errOut bytes.Buffer
				cmd := exec.Command(helm, args...)
				cmd.Stdout, cmd.Stderr = &out, &errOut
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %s: %v\n%s\n%s", major, strings.Join(args, " "), err, out.String(), errOut.String())
				}
				for _, line := range strings.Split(errOut.String(), "\n") {
					if strings.Contains(line, "coalesce") {
						t.Errorf("%s %s warns: %s", major, strings.Join(args, " "), line)
					}
				}
				return out.String()
			}
			t.Logf("%s", strings.TrimSpace(run(t, "version", "--short")))
			for _, p := range profiles {
				t.Run(p.Name, func(t *testing.T) {
					args := []string{"--kube-version", KubeVersion, "--namespace", Namespace}
					for _, f := range p.ValueFiles() {
						args = append(args, "--values", f)
					}
					run(t, append([]string{"lint", chartDir, "--strict"}, args...)...)
					out := run(t, append([]string{"template", ReleaseName, chartDir}, args...)...)
					if !strings.Contains(out, "kind: Deployment") {
						t.Fatalf("helm template rendered no Deployment")
					}
				})
			}
			for _, s := range Services {
				t.Run("chart "+s, func(t *testing.T) {
					run(t, "lint", filepath.Join(chartDir, "charts", s), "--strict", "--kube-version", KubeVersion)
				})
			}
		})
	}
}
