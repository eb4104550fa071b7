//go:build charttest

package charttest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestMonitoringObjects checks what monitoring.enabled renders: the
// PrometheusRule holds exactly monitoring/rules (the chart's copy cannot
// drift from the source), carries the release label of the monitors (the
// Prometheus that scrapes the shop selects its rules too), and each dashboard is a ConfigMap the Grafana sidecar loads.
func TestMonitoringObjects(t *testing.T) {
	_, renders := renderAll(t)
	source, err := os.ReadFile(filepath.Join(RepoRoot(), "monitoring", "rules", "shop.rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := yaml.Unmarshal(source, &want); err != nil {
		t.Fatal(err)
	}
	dashboards, _ := filepath.Glob(filepath.Join(RepoRoot(), "monitoring", "dashboards", "*.json"))
	for _, name := range []string{"staging", "prod", "ci/full"} {
		r := renders[name]
		var rules, monitors, configMaps []*unstructured.Unstructured
		for _, o := range r.Own() {
			switch o.GetKind() {
			case "ConfigMap":
				configMaps = append(configMaps, o)
			case "PrometheusRule":
				rules = append(rules, o)
			case "ServiceMonitor", "PodMonitor":
				monitors = append(monitors, o)
			}
		}
		if len(rules) != 1 {
			t.Fatalf("%s: %d PrometheusRules, want 1", name, len(rules))
		}
		if got := rules[0].Object["spec"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the PrometheusRule's spec is not monitoring/rules/shop.rules.yaml", name)
		}
		// The rules go to the Prometheus that scrapes the monitors: the
		// same release label (TestPrometheusSelectsTheShop evaluates the
		// selectors themselves).
		if len(monitors) == 0 {
			t.Errorf("%s: monitoring is on, yet no ServiceMonitor or PodMonitor rendered", name)
		}
		for _, m := range monitors {
			if want := m.GetLabels()["release"]; want == "" || rules[0].GetLabels()["release"] != want {
				t.Errorf("%s: the PrometheusRule has release %q, the %s %s %q: %v", name, rules[0].GetLabels()["release"], m.GetKind(), m.GetName(), want, rules[0].GetLabels())
			}
		}
		var cms int
		for _, cm := range configMaps {
			if cm.GetLabels()["grafana_dashboard"] != "1" {
				continue
			}
			cms++
			data, _ := cm.Object["data"].(map[string]any)
			for key, v := range data {
				orig, err := os.ReadFile(filepath.Join(RepoRoot(), "monitoring", "dashboards", strings.TrimPrefix(key, "shop-")))
				if err != nil || strings.TrimSpace(v.(string)) != strings.TrimSpace(string(orig)) {
					t.Errorf("%s: ConfigMap %s key %s is not the dashboard in monitoring/dashboards (%v)", name, cm.GetName(), key, err)
				}
			}
		}
		if cms != len(dashboards) {
			t.Errorf("%s: %d dashboard ConfigMaps, want one per monitoring/dashboards file (%d)", name, cms, len(dashboards))
		}
	}
	for _, name := range []string{"defaults", "dev"} {
		if n := len(renders[name].Of("PrometheusRule")); n != 0 {
			t.Errorf("%s: monitoring is off, yet %d PrometheusRules rendered", name, n)
		}
	}
}

// TestPrometheusRuleNeedsTheOperator renders prod where the API server
// serves no monitoring.coreos.com/v1: the PrometheusRule is left out, the
// dashboards (plain ConfigMaps) are not.
func TestPrometheusRuleNeedsTheOperator(t *testing.T) {
	r, err := render(ChartDir(), ReleaseName, []string{filepath.Join(ChartDir(), "values-prod.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Of("PrometheusRule")); n != 0 {
		t.Errorf("%d PrometheusRules rendered without the monitoring.coreos.com/v1 API", n)
	}
	if len(r.Of("ConfigMap")) == 0 {
		t.Error("no dashboard ConfigMaps rendered without the Prometheus Operator")
	}
}

// TestRunbookLinksFollowTheValue checks monitoring.rules.runbookBaseURL
// moves every alert's runbook link, for a fork or an internal wiki.
func TestRunbookLinksFollowTheValue(t *testing.T) {
	extra := writeValues(t, "monitoring:\n  rules:\n    runbookBaseURL: https://wiki.example.com/shop/runbook#\n")
	r, err := Render(ChartDir(), []string{filepath.Join(ChartDir(), "values-prod.yaml"), extra})
	if err != nil {
		t.Fatal(err)
	}
	rules := r.Of("PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(rules))
	}
	groups, _, _ := unstructured.NestedSlice(rules[0].Object, "spec", "groups")
	alerts := 0
	for _, g := range groups {
		for _, rule := range g.(map[string]any)["rules"].([]any) {
			rm := rule.(map[string]any)
			if rm["alert"] == nil {
				continue
			}
			alerts++
			link := rm["annotations"].(map[string]any)["runbook_url"].(string)
			if want := "https://wiki.example.com/shop/runbook#" + strings.ToLower(rm["alert"].(string)); link != want {
				t.Errorf("alert %s links to %s, want %s", rm["alert"], link, want)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in the PrometheusRule")
	}
}
