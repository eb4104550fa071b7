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
// and helm 4 CLIs (built by make at pinned versions) over every profile, on a
// copy of the chart without the third-party dependencies that cannot be
// downloaded here, and lints every service chart on its own.
func TestHelmCLIs(t *testing.T) {
	profiles, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	chartDir, err := StrippedCopy(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, major := range []string{"helm3", "helm4"} {
		t.Run(major, func(t *testing.T) {
			helm := filepath.Join(binDir(), major, "helm")
			requireBinary(t, helm)
			run := func(t *testing.T, args ...string) string {
				t.Helper()
				var out, errOut bytes.Buffer
				cmd := exec.Command(helm, args...)
				cmd.Stdout, cmd.Stderr = &out, &errOut
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %s: %v\n%s\n%s", major, strings.Join(args, " "), err, out.String(), errOut.String())
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
