//go:build charttest

package charttest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// readYAML reads a values file into a map.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// repeated lists the leaves of own (dotted paths) whose value is the same
// in shared.
func repeated(own, shared map[string]any, prefix string) []string {
	var out []string
	for k, v := range own {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		sv, ok := shared[k]
		if !ok {
			continue
		}
		om, oIsMap := v.(map[string]any)
		sm, sIsMap := sv.(map[string]any)
		switch {
		case oIsMap && sIsMap:
			out = append(out, repeated(om, sm, path)...)
		case reflect.DeepEqual(v, sv):
			out = append(out, path)
		}
	}
	return out
}

// TestServiceValuesHoldOnlyWhatDiffers holds every service chart's
// values.yaml to what differs from the shared defaults of the library
// chart: a value repeated there would be one more place to change when the
// default moves (a probe setting used to take four edits).
func TestServiceValuesHoldOnlyWhatDiffers(t *testing.T) {
	shared := readYAML(t, filepath.Join(ChartDir(), "charts", "shop-lib", "values.yaml"))
	for _, svc := range Services {
		own := readYAML(t, filepath.Join(ChartDir(), "charts", svc, "values.yaml"))
		if r := repeated(own, shared, ""); len(r) > 0 {
			t.Errorf("charts/%s/values.yaml repeats the shared defaults of charts/shop-lib/values.yaml: %s", svc, strings.Join(r, ", "))
		}
	}
}

// probePeriod is the liveness probe's period of a rendered Deployment.
func probePeriod(t *testing.T, r *Rendered, name string) int64 {
	t.Helper()
	d := r.Find("Deployment", name)
	if d == nil {
		t.Fatalf("no Deployment %s", name)
	}
	c, _ := container(t, d)
	if c.LivenessProbe == nil {
		t.Fatalf("%s has no liveness probe", name)
	}
	return int64(c.LivenessProbe.PeriodSeconds)
}

// TestSharedDefaultsReachEveryService proves the layers of a service's
// values: the library's shared default, changed once for every service
// under global.serviceDefaults, a service's own value winning over both,
// and a null removing what a default gives.
func TestSharedDefaultsReachEveryService(t *testing.T) {
	shared := readYAML(t, filepath.Join(ChartDir(), "charts", "shop-lib", "values.yaml"))
	def, _, _ := unstructured.NestedFieldNoCopy(shared, "livenessProbe", "periodSeconds")
	defaults, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(ChartDir(), []string{writeValues(t, `global:
  serviceDefaults:
    livenessProbe:
      periodSeconds: 17
catalog:
  livenessProbe:
    periodSeconds: 9
  startupProbe: null
`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range Services {
		name := ReleaseName + "-" + svc
		if got := probePeriod(t, defaults, name); fmt.Sprint(got) != fmt.Sprint(def) {
			t.Errorf("%s: liveness period %d, want the shared default %v", svc, got, def)
		}
		want := int64(17)
		if svc == "catalog" {
			want = 9
		}
		if got := probePeriod(t, r, name); got != want {
			t.Errorf("%s: liveness period %d under global.serviceDefaults, want %d", svc, got, want)
		}
		c, _ := container(t, r.Find("Deployment", name))
		if c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/health" {
			t.Errorf("%s: one key of the probe changed and the rest of the shared probe is gone: %+v", svc, c.LivenessProbe)
		}
		if hasStartup := c.StartupProbe != nil; hasStartup == (svc == "catalog") {
			t.Errorf("%s: startup probe present=%v; catalog's null removes the shared one, the others keep it", svc, hasStartup)
		}
	}
}

// TestValuesFilesHaveNoDuplicateKeys refuses a values file with a key twice
// in one map: YAML parsers keep the last silently, so a second `global:`
// would drop what the first set.
func TestValuesFilesHaveNoDuplicateKeys(t *testing.T) {
	profiles, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(ChartDir(), "values.yaml"), filepath.Join(ChartDir(), "charts", "shop-lib", "values.yaml")}
	for _, s := range Services {
		files = append(files, filepath.Join(ChartDir(), "charts", s, "values.yaml"))
	}
	for _, p := range profiles {
		files = append(files, p.ValueFiles()...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.UnmarshalStrict(b, &m); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := yaml.UnmarshalStrict([]byte("global: {a: 1}\nglobal: {b: 2}\n"), new(map[string]any)); err == nil {
		t.Error("a duplicate key is accepted: the check checks nothing")
	}
}
