//go:build charttest

package charttest

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// placeholder stands for every generated credential in the rendered
// examples: the real values are random on install.
const placeholder = "generated-on-install"

// RenderedExample is a profile's manifests as they are committed under
// charts/shop/examples/<profile>/rendered.yaml: every object (helm test
// hooks included) ordered by template, kind and name (Helm's own order
// varies between renders), each under a `# Source:` line, with the
// values of the Secrets the chart generates replaced by a placeholder, so
// the file changes only when the chart does.
func RenderedExample(r *Rendered) (string, error) {
	order := make([]int, len(r.Objects))
	for i := range order {
		order[i] = i
	}
	key := func(i int) string {
		o := r.Objects[i]
		return r.Sources[i] + "\x00" + o.GetKind() + "\x00" + o.GetNamespace() + "\x00" + o.GetName()
	}
	sort.SliceStable(order, func(a, b int) bool { return key(order[a]) < key(order[b]) })
	var b strings.Builder
	for _, i := range order {
		obj := r.Objects[i]
		o := obj.DeepCopy()
		if o.GetKind() == "Secret" && !r.FromDependency(i) {
			data, _, _ := unstructured.NestedStringMap(o.Object, "data")
			for k := range data {
				data[k] = base64.StdEncoding.EncodeToString([]byte(placeholder))
			}
			if len(data) > 0 {
				if err := unstructured.SetNestedStringMap(o.Object, data, "data"); err != nil {
					return "", err
				}
			}
		}
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			return "", err
		}
		b.WriteString("---\n# Source: " + r.Sources[i] + "\n")
		b.Write(y)
	}
	return b.String(), nil
}

// TestRenderedExamplesCurrent keeps the committed rendered manifests of each
// environment profile what the chart renders, so every chart change shows
// its effect in review. SHOP_UPDATE_CHART_EXAMPLES=1 (make chart-examples)
// rewrites them.
func TestRenderedExamplesCurrent(t *testing.T) {
	_, renders := renderAll(t)
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			want, err := RenderedExample(renders[env])
			if err != nil {
				t.Fatal(err)
			}
			again, err := Render(ChartDir(), []string{filepath.Join(ChartDir(), "values-"+env+".yaml")})
			if err != nil {
				t.Fatal(err)
			}
			if second, _ := RenderedExample(again); second != want {
				a, b := strings.Split(want, "\n"), strings.Split(second, "\n")
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Fatalf("two renders differ beyond the generated Secrets, at line %d: %q and %q", i+1, a[i], b[i])
					}
				}
				t.Fatal("two renders differ beyond the generated Secrets in length")
			}
			path := filepath.Join(ChartDir(), "examples", env, "rendered.yaml")
			got, err := os.ReadFile(path)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if string(got) == want {
				return
			}
			if os.Getenv("SHOP_UPDATE_CHART_EXAMPLES") == "1" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("%s rewritten", path)
				return
			}
			t.Errorf("charts/shop/examples/%s/rendered.yaml is out of date: run `make chart-examples` and review the diff", env)
		})
	}
}
