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

// TestDeployKubectl runs scripts/deploy-kubectl.sh with stand-ins for helm
// (the real helm 3, rendering offline instead of against a cluster) and
// kubectl (records what it would apply): an environment profile is applied
// without the helm test pods, and a profile with hooks and objects in other
// namespaces (the bundled kube-prometheus-stack) is refused before anything
// is applied, naming them.
func TestDeployKubectl(t *testing.T) {
	helm := toolPath(t, "SHOP_HELM3")
	requireBinary(t, helm)
	bin := t.TempDir()
	applied := filepath.Join(bin, "applied.yaml")
	stubs := map[string]string{
		"helm": `#!/usr/bin/env bash
[[ $1 == dependency ]] && exit 0
args=()
for a in "$@"; do [[ $a == --dry-run=server ]] || args+=("$a"); done
exec "$REAL_HELM" "${args[@]}" --kube-version ` + KubeVersion + `
`,
		"kubectl": `#!/usr/bin/env bash
case $1 in
apply) cat >>"$APPLIED" ;;
create) echo "apiVersion: v1" ;;
esac
`,
	}
	for name, body := range stubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(profile string) (string, error) {
		_ = os.Remove(applied)
		cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "deploy-kubectl.sh"), profile, Namespace, ReleaseName)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "REAL_HELM="+helm, "APPLIED="+applied)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			out, err := run(env)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			b, err := os.ReadFile(applied)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if !strings.Contains(got, "name: shop-catalog") {
				t.Errorf("shop-catalog was not applied")
			}
			if strings.Contains(got, "helm.sh/hook: test") {
				t.Errorf("the helm test pods were applied")
			}
		})
	}
	t.Run("bundled kube-prometheus-stack refused", func(t *testing.T) {
		out, err := run(filepath.Join(ChartDir(), "ci", "full-values.yaml"))
		if err == nil {
			t.Fatalf("applied a profile kubectl cannot apply faithfully:\n%s", out)
		}
		for _, want := range []string{"cannot be deployed with kubectl apply", "is in namespace kube-system", "is a helm hook", "scripts/deploy-helm.sh"} {
			if !strings.Contains(out, want) {
				t.Errorf("the refusal does not say %q:\n%s", want, out)
			}
		}
		if _, err := os.Stat(applied); err == nil {
			t.Error("something was applied before the refusal")
		}
	})
}
