package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// TestEveryAggregationKeepsNamespace parses every expression of the rules
// (records, alerts and the parts the live test runs) and of every dashboard
// panel with the PromQL parser, and holds it to keeping the namespace
// label: an aggregation groups by namespace (or never drops it with
// without), a vector matching on() names it and ignoring() does not. Two
// releases scraped by one Prometheus then never add up into one series.
// Every selector of a dashboard also filters on the namespace variable.
func TestEveryAggregationKeepsNamespace(t *testing.T) {
	type source struct{ where, expr string }
	var exprs []source
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, source{"rule " + r.Record + r.Alert, r.Expr})
			for _, p := range r.parts {
				exprs = append(exprs, source{"alert " + r.Alert + " part", p})
			}
		}
	}
	dashboards := 0
	for file, d := range readDashboards(t) {
		for _, p := range allPanels(d.Panels) {
			for _, target := range p.Targets {
				exprs = append(exprs, source{file + ": " + p.Title, target.Expr})
				dashboards++
			}
		}
	}
	if dashboards == 0 || len(exprs) == dashboards {
		t.Fatalf("%d expressions, %d of them the dashboards': want both rules and panels", len(exprs), dashboards)
	}
	for _, s := range exprs {
		for _, problem := range namespaceProblems(t, s.expr, strings.Contains(s.where, ".json: ")) {
			t.Errorf("%s: %s\n%s", s.where, problem, s.expr)
		}
	}
}

// namespaceProblems lists where expr loses the namespace label, and, for a
// dashboard's query, each selector that does not filter on $namespace.
func namespaceProblems(t *testing.T, expr string, dashboard bool) []string {
	t.Helper()
	// Only the rate interval is replaced: "$namespace" stays, a valid regex.
	e, err := parser.NewParser(parser.Options{}).ParseExpr(strings.ReplaceAll(expr, "$__rate_interval", "1m"))
	if err != nil {
		t.Fatalf("parsing %q: %v", expr, err)
	}
	var problems []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			if has := slices.Contains(n.Grouping, "namespace"); has == n.Without {
				problems = append(problems, fmt.Sprintf("%s drops namespace: %s", n.Op, n))
			}
		case *parser.BinaryExpr:
			if m := n.VectorMatching; m != nil && len(m.MatchingLabels) > 0 && slices.Contains(m.MatchingLabels, "namespace") != m.On {
				problems = append(problems, fmt.Sprintf("vector matching loses namespace: %s", n))
			}
		case *parser.VectorSelector:
			if dashboard && !slices.ContainsFunc(n.LabelMatchers, func(m *labels.Matcher) bool {
				return m.Name == "namespace" && m.Type == labels.MatchRegexp && m.Value == "$namespace"
			}) {
				problems = append(problems, fmt.Sprintf("selector %s does not filter on the namespace variable", n))
			}
		}
		return nil
	})
	return problems
}

// TestNamespaceProblemsFindsLostNamespaces keeps the check above honest: it
// reports the ways a query loses the namespace.
func TestNamespaceProblemsFindsLostNamespaces(t *testing.T) {
	for expr, want := range map[string]int{
		`sum by (service) (rate(x[5m]))`: 1,
		`sum(x)`:                         1,
		`sum without (namespace) (x)`:    1,
		`sum by (namespace, service) (x) / on (service) y`:                                       1,
		`sum by (namespace, service) (x) / ignoring (namespace) sum by (namespace, service) (y)`: 1,
		`sum by (namespace, service) (x) / on (namespace, service) y`:                            0,
		`sum without (instance) (x)`:                                                             0,
	} {
		if got := len(namespaceProblems(t, expr, false)); got != want {
			t.Errorf("%s: %d problems, want %d", expr, got, want)
		}
	}
	if got := namespaceProblems(t, `sum by (namespace) (x{service=~"$service"})`, true); len(got) != 1 {
		t.Errorf("a dashboard selector without the namespace variable: %v, want one problem", got)
	}
}
