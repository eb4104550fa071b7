//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shop-platform/shop/src/tools/monstack"
)

// DashboardLabel is the label of the shop's dashboard ConfigMaps, the one
// Grafana's sidecar loads them by (the chart's monitoring.dashboards.label).
const DashboardLabel = "grafana_dashboard"

// PanelsReturnSeries waits until every query of every panel of the shop's
// dashboards returns at least one series from this Prometheus. The
// dashboards are read from the ConfigMaps the chart installed, the files
// Grafana would load; their variables are set as a user looking at this
// release would set them (see substitution).
func (s *monitoring) PanelsReturnSeries(t testing.TB, shop Shop) {
	t.Helper()
	ctx := context.Background()
	dashboards, err := s.shopDashboards(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	interval, err := s.scrapeInterval(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var total int
	err = monstack.Poll(ctx, 4*time.Minute, func() (string, error) {
		var problems []string
		total = 0
		for _, name := range slices.Sorted(maps.Keys(dashboards)) {
			d := dashboards[name]
			vars, err := s.substitution(ctx, shop, d, interval)
			if err != nil {
				return "", fmt.Errorf("dashboard %s: %w", name, err)
			}
			for _, p := range d.panels() {
				for _, q := range p.Targets {
					expr := vars.Replace(q.Expr)
					if v := leftoverVariable.FindString(expr); v != "" {
						return "", fmt.Errorf("dashboard %s, panel %q: no value for %s in %q", name, p.Title, v, q.Expr)
					}
					total++
					n, err := s.count(ctx, expr)
					if err != nil || n == 0 {
						problems = append(problems, fmt.Sprintf("%s, panel %q: %s returned %d series (%v)", name, p.Title, expr, n, err))
					}
				}
			}
		}
		return strings.Join(problems, "\n"), nil
	})
	if err != nil {
		t.Fatalf("dashboard panels without series: %v", err)
	}
	t.Logf("all %d panel queries of dashboards %v return series (%s)", total, slices.Sorted(maps.Keys(dashboards)), time.Since(start).Round(time.Second))
}

var leftoverVariable = regexp.MustCompile(`\$\{?\w+`)

// dashboard is the part of a Grafana dashboard the check reads.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

type variable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	IncludeAll bool   `json:"includeAll"`
	AllValue   string `json:"allValue"`
}

// panels flattens the rows' panels into the list.
func (d dashboard) panels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// shopDashboards reads the dashboards of the release's ConfigMaps.
func (s *monitoring) shopDashboards(ctx context.Context, shop Shop) (map[string]dashboard, error) {
	list, err := s.Kube.CoreV1().ConfigMaps(shop.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: fmt.Sprintf("app.kubernetes.io/instance=%s,%s", shop.Release, DashboardLabel)})
	if err != nil {
		return nil, fmt.Errorf("listing the shop's dashboard ConfigMaps: %w", err)
	}
	out := map[string]dashboard{}
	for _, cm := range list.Items {
		for key, raw := range cm.Data {
			var d dashboard
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				return nil, fmt.Errorf("ConfigMap %s, %s: %w", cm.Name, key, err)
			}
			out[key] = d
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("release %s has no dashboard ConfigMap (label %s) in namespace %s", shop.Release, DashboardLabel, shop.Namespace)
	}
	return out, nil
}

// labelValuesQuery is Grafana's label_values(selector, label) or
// label_values(label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(?:(.+?)\s*,\s*)?(\w+)\s*\)\s*$`)

// substitution gives each of a dashboard's variables the value a user
// looking at this release would give it:
//   - $__rate_interval is Grafana's: four scrape intervals (the shop's
//     targets' longest; kube-prometheus-stack's Grafana data source is set to
//     Prometheus' scrape interval);
//   - a query variable, label_values(selector, label), is every value its
//     query finds on this release's series (its selector with the release's
//     namespace added), as a regular expression: what choosing each of them
//     sends. A variable with no value for this release is an error, as its
//     empty drop-down would be;
//   - the datasource variable appears in no query.
func (s *monitoring) substitution(ctx context.Context, shop Shop, d dashboard, scrape time.Duration) (*strings.Replacer, error) {
	rate := rateInterval(scrape)
	pairs := []string{"$__rate_interval", rate, "${__rate_interval}", rate}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		q = strings.NewReplacer(pairs...).Replace(q)
		m := labelValuesQuery.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
		}
		selector, err := withNamespace(m[1], shop.Namespace)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		values, err := s.labelValues(ctx, m[2], selector)
		if err != nil {
			return nil, fmt.Errorf("variable %s: label values of %s on %s: %w", v.Name, m[2], selector, err)
		}
		if len(values) == 0 {
			return nil, fmt.Errorf("variable %s: %s has no value on %s", v.Name, m[2], selector)
		}
		quoted := make([]string, len(values))
		for i, val := range values {
			quoted[i] = regexp.QuoteMeta(val)
		}
		value := "(" + strings.Join(quoted, "|") + ")"
		pairs = append(pairs, "${"+v.Name+"}", value, "$"+v.Name, value)
	}
	return strings.NewReplacer(pairs...), nil
}

// withNamespace adds namespace="ns" to a series selector.
func withNamespace(selector, namespace string) (string, error) {
	var matchers []*labels.Matcher
	if selector != "" {
		ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector(selector)
		if err != nil {
			return "", fmt.Errorf("selector %q: %w", selector, err)
		}
		matchers = ms
	}
	matchers = append(matchers, labels.MustNewMatcher(labels.MatchEqual, "namespace", namespace))
	parts := make([]string, len(matchers))
	for i, m := range matchers {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}

// rateInterval is Grafana's $__rate_interval for a scrape interval, in seconds.
func rateInterval(scrape time.Duration) string {
	return fmt.Sprintf("%ds", int((4 * scrape).Seconds()))
}
