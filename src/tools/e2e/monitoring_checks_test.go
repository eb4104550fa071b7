//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shop-platform/shop/src/tools/monstack"
)

// monitoring is the Prometheus Operator stack (src/tools/monstack) with
// what the Monitoring phase asks of it: its checks of the shop's targets,
// rules, dashboards and alerts live here, with the phase, and monstack
// only installs and finds the stack.
type monitoring struct{ *monstack.Stack }

// The operator's resources the checks read with the dynamic client.
var (
	serviceMonitorGVR = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "servicemonitors"}
	prometheusRuleGVR = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "prometheusrules"}
)

// Shop is a release of the shop chart installed with monstack.ShopValues.
type Shop struct{ Namespace, Release string }

// installStack installs the stack (monstack.Install) for t; if the release was not
// there before, it is uninstalled when t ends, so a machine is left as it
// was found, and a stack a developer installed (make monitoring-stack) is
// left running.
func installStack(t testing.TB, cfg monstack.Config) *monitoring {
	t.Helper()
	s, installed, err := monstack.Install(context.Background(), cfg, t.Logf)
	if installed {
		t.Cleanup(func() {
			if err := monstack.Uninstall(context.Background(), cfg); err != nil {
				t.Errorf("uninstalling the stack: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("installing kube-prometheus-stack: %v", err)
	}
	return &monitoring{s}
}

// WaitTargetsUp waits until every running pod of the shop is an active
// target whose last scrape succeeded (health up in /api/v1/targets).
func (s *monitoring) WaitTargetsUp(t testing.TB, shop Shop) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	var report []string
	err := monstack.Poll(ctx, 4*time.Minute, func() (string, error) {
		pods, err := s.shopPods(ctx, shop)
		if err != nil {
			return "", err
		}
		targets, err := s.Prometheus.Targets(ctx)
		if err != nil {
			return "Prometheus /api/v1/targets: " + err.Error(), nil
		}
		var problems []string
		report = report[:0]
		for _, p := range pods {
			target, ok := shopTarget(targets.Active, shop.Namespace, p.Name)
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("pod %s is no target", p.Name))
			case target.Health != promv1.HealthGood:
				problems = append(problems, fmt.Sprintf("pod %s: target %s is %s (%s)", p.Name, target.ScrapeURL, target.Health, target.LastError))
			default:
				report = append(report, fmt.Sprintf("%s up at %s (%s)", p.Name, target.ScrapeURL, target.ScrapePool))
			}
		}
		return strings.Join(problems, "; "), nil
	})
	if err != nil {
		t.Fatalf("shop pods as Prometheus targets: %v", err)
	}
	t.Logf("every shop pod is an up target (%s):\n  %s", time.Since(start).Round(time.Second), strings.Join(report, "\n  "))
}

// shopTarget is the active target of a pod, by the namespace and pod target
// labels the operator gives every monitor's targets.
func shopTarget(active []promv1.ActiveTarget, namespace, pod string) (promv1.ActiveTarget, bool) {
	for _, tg := range active {
		if string(tg.Labels["namespace"]) == namespace && string(tg.Labels["pod"]) == pod {
			return tg, true
		}
	}
	return promv1.ActiveTarget{}, false
}

// shopPods are the shop's running service pods: every pod of the release
// but its helm test pods and the load generator, which serves no metrics.
func (s *monitoring) shopPods(ctx context.Context, shop Shop) ([]corev1.Pod, error) {
	selector := fmt.Sprintf("app.kubernetes.io/instance=%s,app.kubernetes.io/component notin (test,loadgenerator)", shop.Release)
	list, err := s.Kube.CoreV1().Pods(shop.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("listing the shop's pods: %w", err)
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("no running pod of release %s in namespace %s (%s)", shop.Release, shop.Namespace, selector)
	}
	return pods, nil
}

// RulesLoaded waits until Prometheus has loaded every group of the shop's
// PrometheusRules, from the file the operator writes for each
// (<namespace>-<name>-<uid>.yaml), with the same rules in the same order,
// each evaluated without error.
func (s *monitoring) RulesLoaded(t testing.TB, shop Shop) {
	t.Helper()
	ctx := context.Background()
	want, err := s.shopRuleGroups(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var loaded []string
	err = monstack.Poll(ctx, 4*time.Minute, func() (string, error) {
		rules, err := s.Prometheus.Rules(ctx, nil)
		if err != nil {
			return "Prometheus /api/v1/rules: " + err.Error(), nil
		}
		var problems []string
		loaded = loaded[:0]
		for _, w := range want {
			got, ok := findGroup(rules.Groups, w.file, w.Name)
			if !ok {
				problems = append(problems, fmt.Sprintf("group %s of PrometheusRule %s is not loaded", w.Name, w.rule))
				continue
			}
			names, unhealthy := ruleNames(got.Rules)
			if !slices.Equal(names, w.names()) {
				problems = append(problems, fmt.Sprintf("group %s: Prometheus has rules %v, the PrometheusRule %v", w.Name, names, w.names()))
			}
			problems = append(problems, unhealthy...)
			loaded = append(loaded, fmt.Sprintf("%s: %d rules from %s", got.Name, len(names), got.File))
		}
		return strings.Join(problems, "; "), nil
	})
	if err != nil {
		t.Fatalf("the shop's rules in Prometheus: %v", err)
	}
	t.Logf("the shop's rule groups are loaded and evaluated (%s):\n  %s", time.Since(start).Round(time.Second), strings.Join(loaded, "\n  "))
}

// ruleGroup is a group of a PrometheusRule as the chart installed it.
type ruleGroup struct {
	Name  string `json:"name"`
	Rules []struct {
		Alert  string `json:"alert"`
		Record string `json:"record"`
	} `json:"rules"`
	rule, file string
}

func (g ruleGroup) names() []string {
	var out []string
	for _, r := range g.Rules {
		out = append(out, r.Alert+r.Record)
	}
	return out
}

// shopRuleGroups reads the release's PrometheusRules from the cluster.
func (s *monitoring) shopRuleGroups(ctx context.Context, shop Shop) ([]ruleGroup, error) {
	list, err := s.Dynamic.Resource(prometheusRuleGVR).Namespace(shop.Namespace).List(ctx,
		metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + shop.Release})
	if err != nil {
		return nil, fmt.Errorf("listing the shop's PrometheusRules: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("release %s has no PrometheusRule in namespace %s: was it installed with monitoring on, after the stack's CRDs?", shop.Release, shop.Namespace)
	}
	var out []ruleGroup
	for _, pr := range list.Items {
		raw, err := json.Marshal(pr.Object["spec"])
		if err != nil {
			return nil, err
		}
		var spec struct {
			Groups []ruleGroup `json:"groups"`
		}
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, fmt.Errorf("PrometheusRule %s: %w", pr.GetName(), err)
		}
		for _, g := range spec.Groups {
			g.rule = pr.GetName()
			g.file = fmt.Sprintf("%s-%s-%s.yaml", pr.GetNamespace(), pr.GetName(), pr.GetUID())
			out = append(out, g)
		}
	}
	return out, nil
}

func findGroup(groups []promv1.RuleGroup, file, name string) (promv1.RuleGroup, bool) {
	for _, g := range groups {
		if g.Name == name && path.Base(g.File) == file {
			return g, true
		}
	}
	return promv1.RuleGroup{}, false
}

// ruleNames are a loaded group's rule names, and a problem for each rule
// not yet evaluated or failing to evaluate.
func ruleNames(rules promv1.Rules) (names, problems []string) {
	for _, r := range rules {
		switch r := r.(type) {
		case promv1.AlertingRule:
			names = append(names, r.Name)
			if r.Health != promv1.RuleHealthGood {
				problems = append(problems, fmt.Sprintf("alert %s is %s %s", r.Name, r.Health, r.LastError))
			}
		case promv1.RecordingRule:
			names = append(names, r.Name)
			if r.Health != promv1.RuleHealthGood {
				problems = append(problems, fmt.Sprintf("recording rule %s is %s %s", r.Name, r.Health, r.LastError))
			}
		}
	}
	return names, problems
}

// alertRule finds a loaded alerting rule of the shop by name, with its
// group's evaluation interval.
func (s *monitoring) alertRule(ctx context.Context, shop Shop, name string) (promv1.AlertingRule, time.Duration, error) {
	groups, err := s.shopRuleGroups(ctx, shop)
	if err != nil {
		return promv1.AlertingRule{}, 0, err
	}
	rules, err := s.Prometheus.Rules(ctx, nil)
	if err != nil {
		return promv1.AlertingRule{}, 0, fmt.Errorf("prometheus /api/v1/rules: %w", err)
	}
	for _, w := range groups {
		g, ok := findGroup(rules.Groups, w.file, w.Name)
		if !ok {
			continue
		}
		for _, r := range g.Rules {
			if a, ok := r.(promv1.AlertingRule); ok && a.Name == name {
				return a, time.Duration(g.Interval * float64(time.Second)), nil
			}
		}
	}
	return promv1.AlertingRule{}, 0, fmt.Errorf("no alerting rule %s among the shop's loaded rules", name)
}

// scrapeInterval is the longest scrape interval of the shop's targets.
func (s *monitoring) scrapeInterval(ctx context.Context, shop Shop) (time.Duration, error) {
	targets, err := s.Prometheus.Targets(ctx)
	if err != nil {
		return 0, fmt.Errorf("prometheus /api/v1/targets: %w", err)
	}
	var longest time.Duration
	for _, tg := range targets.Active {
		if string(tg.Labels["namespace"]) != shop.Namespace {
			continue
		}
		d, err := time.ParseDuration(tg.DiscoveredLabels["__scrape_interval__"])
		if err != nil {
			return 0, fmt.Errorf("target %s: scrape interval %q: %w", tg.ScrapeURL, tg.DiscoveredLabels["__scrape_interval__"], err)
		}
		longest = max(longest, d)
	}
	if longest == 0 {
		return 0, fmt.Errorf("no target in namespace %s", shop.Namespace)
	}
	return longest, nil
}
