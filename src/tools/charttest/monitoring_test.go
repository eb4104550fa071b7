//go:build charttest

package charttest

import (
	"fmt"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Selects tells whether a Prometheus resource picks up a ServiceMonitor or
// PrometheusRule in a namespace, the way the Prometheus Operator decides: by
// the resource selector (kind "serviceMonitor", "podMonitor" or "rule") and its namespace
// selector, evaluated against the object's labels and the namespace's
// kubernetes.io/metadata.name label. A selector that is absent selects
// nothing; an empty one selects everything.
func Selects(prometheus, obj *unstructured.Unstructured, kind string) (bool, error) {
	match := func(field string, set labels.Set, absentMatchesAll bool) (bool, error) {
		raw, found, err := unstructured.NestedMap(prometheus.Object, "spec", field)
		if err != nil {
			return false, err
		}
		if !found {
			return absentMatchesAll, nil
		}
		var ls metav1.LabelSelector
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
			return false, fmt.Errorf("%s: %w", field, err)
		}
		sel, err := metav1.LabelSelectorAsSelector(&ls)
		if err != nil {
			return false, fmt.Errorf("%s: %w", field, err)
		}
		return sel.Matches(set), nil
	}
	ok, err := match(kind+"Selector", obj.GetLabels(), false)
	if err != nil || !ok {
		return false, err
	}
	// The operator's default for an absent namespace selector is its own
	// namespace only.
	ns := obj.GetNamespace()
	if _, found, _ := unstructured.NestedMap(prometheus.Object, "spec", kind+"NamespaceSelector"); !found {
		return ns == prometheus.GetNamespace(), nil
	}
	return match(kind+"NamespaceSelector", labels.Set{"kubernetes.io/metadata.name": ns}, false)
}

// existingStack renders kube-prometheus-stack on its own, from the archive
// in charts/shop/charts/, as a platform team installs it: release
// kube-prometheus-stack in namespace monitoring, default values.
func existingStack(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(ChartDir(), "charts", "kube-prometheus-stack-*.tgz"))
	if err != nil || len(files) != 1 {
		t.Fatalf("kube-prometheus-stack archive in charts/shop/charts: %v %v (run `make chart-deps`)", files, err)
	}
	ch, err := loader.Load(files[0])
	if err != nil {
		t.Fatal(err)
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.DryRunOption, install.ClientOnly, install.Replace = true, "client", true, true
	install.ReleaseName, install.Namespace, install.KubeVersion = "kube-prometheus-stack", "monitoring", kv
	rel, err := install.Run(ch, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range releaseutil.SplitManifests(rel.Manifest) {
		_, obj, err := decode(m)
		if err != nil {
			t.Fatal(err)
		}
		if obj != nil && obj.GetKind() == "Prometheus" {
			return obj
		}
	}
	t.Fatal("kube-prometheus-stack rendered no Prometheus")
	return nil
}

// monitorsOf are the ServiceMonitors, PodMonitors and PrometheusRules of
// the Shop's own charts, with the selector kind that picks each up.
func monitorsOf(r *Rendered) map[*unstructured.Unstructured]string {
	out := map[*unstructured.Unstructured]string{}
	for _, o := range r.Own() {
		switch o.GetKind() {
		case "ServiceMonitor":
			out[o] = "serviceMonitor"
		case "PodMonitor":
			out[o] = "podMonitor"
		case "PrometheusRule":
			out[o] = "rule"
		}
	}
	return out
}

// TestPrometheusSelectsTheShop evaluates the rendered Prometheus' selectors
// against the rendered monitors and rules: the bundled kube-prometheus-stack
// (ci/full) and an existing one installed on its own (staging and prod,
// through monitoring.selectorLabels) must scrape every service.
func TestPrometheusSelectsTheShop(t *testing.T) {
	_, renders := renderAll(t)
	check := func(t *testing.T, prometheus *unstructured.Unstructured, r *Rendered, want bool) {
		t.Helper()
		monitors := monitorsOf(r)
		// Each ServiceMonitor scrapes one service; the mesh's PodMonitor
		// (Istio sidecar mode) scrapes the pods of them all.
		services := 0
		for obj, kind := range monitors {
			switch kind {
			case "serviceMonitor":
				services++
			case "podMonitor":
				services += len(Services)
			}
			ok, err := Selects(prometheus, obj, kind)
			if err != nil {
				t.Fatal(err)
			}
			if ok != want {
				t.Errorf("Prometheus %s/%s selects %s %s: %v, want %v (labels %v)", prometheus.GetNamespace(), prometheus.GetName(), obj.GetKind(), obj.GetName(), ok, want, obj.GetLabels())
			}
		}
		if services != len(Services) {
			t.Errorf("monitors cover %d services, want each service once", services)
		}
	}
	t.Run("bundled", func(t *testing.T) {
		r := renders["ci/full"]
		ps := r.Of("Prometheus")
		if len(ps) != 1 {
			t.Fatalf("%d Prometheus resources rendered, want the bundled one", len(ps))
		}
		check(t, ps[0], r, true)
		storage, _, _ := unstructured.NestedString(ps[0].Object, "spec", "storage", "volumeClaimTemplate", "spec", "resources", "requests", "storage")
		if storage == "" {
			t.Error("the bundled Prometheus keeps its samples in the pod: no storage volume")
		}
		if ret, _, _ := unstructured.NestedString(ps[0].Object, "spec", "retentionSize"); ret == "" {
			t.Error("the bundled Prometheus has no retentionSize: it would fill its volume")
		}
	})
	stack := existingStack(t)
	for _, env := range []string{"staging", "prod"} {
		t.Run("existing stack, "+env, func(t *testing.T) {
			r := renders[env]
			if len(r.Of("Prometheus")) != 0 {
				t.Errorf("%s bundles a Prometheus; it should use the cluster's", env)
			}
			check(t, stack, r, true)
		})
	}
	t.Run("unlabelled monitors are not selected", func(t *testing.T) {
		r, err := Render(ChartDir(), []string{writeValues(t, "monitoring:\n  enabled: true\n")})
		if err != nil {
			t.Fatal(err)
		}
		check(t, stack, r, false)
	})
}
