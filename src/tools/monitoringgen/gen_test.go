package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository's root, from this package's directory.
const root = "../../.."

func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what the generator writes: run `make monitoring` and commit the result", name)
		}
	}
	// No stale file the generator no longer writes (the chart would ship it).
	for _, dir := range []string{sourceDir, chartDir} {
		matches, _ := filepath.Glob(filepath.Join(root, dir, "dashboards", "*.json"))
		for _, m := range matches {
			rel, _ := filepath.Rel(root, m)
			if _, ok := files[rel]; !ok {
				t.Errorf("%s is not generated any more: delete it", rel)
			}
		}
	}
}

// dashboardJSON is what the checks read of a dashboard file.
type dashboardJSON struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name, Type string
			Query      any
		} `json:"list"`
	} `json:"templating"`
	Panels []panelJSON `json:"panels"`
}

type panelJSON struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Datasource  datasourceJSON `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr       string         `json:"expr"`
		Datasource datasourceJSON `json:"datasource"`
	} `json:"targets"`
	Panels []panelJSON `json:"panels"`
}

func readDashboards(t *testing.T) map[string]dashboardJSON {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(root, sourceDir, "dashboards", "*.json"))
	if err != nil || len(matches) != 3 {
		t.Fatalf("want the three dashboards (overview, business, runtime), found %v (%v)", matches, err)
	}
	out := map[string]dashboardJSON{}
	for _, m := range matches {
		raw, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Fatalf("%s is not valid JSON", m)
		}
		var d dashboardJSON
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		out[filepath.Base(m)] = d
	}
	return out
}

// allPanels flattens rows' panels into the list.
func allPanels(ps []panelJSON) []panelJSON {
	var out []panelJSON
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

type datasourceJSON struct{ Type, UID string }

// datasourceRef is the only data source a panel may name: the variable.
var datasourceRef = datasourceJSON{Type: "prometheus", UID: "${datasource}"}

func TestDashboards(t *testing.T) {
	for name, d := range readDashboards(t) {
		t.Run(name, func(t *testing.T) {
			if d.UID == "" {
				t.Error("no uid: Grafana would make a new dashboard on every load")
			}
			hasDatasourceVar := false
			for _, v := range d.Templating.List {
				if v.Name == "datasource" && v.Type == "datasource" {
					hasDatasourceVar = true
				}
			}
			if !hasDatasourceVar {
				t.Error("no datasource template variable")
			}
			ids := map[int]string{}
			queries := 0
			for _, p := range allPanels(d.Panels) {
				if prev, dup := ids[p.ID]; dup || p.ID == 0 {
					t.Errorf("panel %q has id %d, already used by %q (or 0)", p.Title, p.ID, prev)
				}
				ids[p.ID] = p.Title
				if p.Type == "row" {
					continue
				}
				if p.FieldConfig.Defaults.Unit == "" {
					t.Errorf("panel %q has no unit", p.Title)
				}
				if p.Datasource != datasourceRef {
					t.Errorf("panel %q's datasource is %+v, want the variable %+v", p.Title, p.Datasource, datasourceRef)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				for _, target := range p.Targets {
					queries++
					if target.Datasource != datasourceRef {
						t.Errorf("panel %q: a query's datasource is %+v, want %+v", p.Title, target.Datasource, datasourceRef)
					}
					checkQuery(t, p.Title, target.Expr, true)
				}
			}
			if queries == 0 {
				t.Error("no queries")
			}
		})
	}
}

// checkQuery parses expr and checks its metric names are exported (or
// recorded by the rules) and, in a dashboard, every counter is rated over
// $__rate_interval.
func checkQuery(t *testing.T, where, expr string, dashboard bool) {
	t.Helper()
	sels, err := selectors(expr)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	recorded := recordedNames()
	for _, s := range sels {
		if !slices.Contains(exported, family(s.name)) && !slices.Contains(recorded, s.name) {
			t.Errorf("%s: %s is neither a metric the services export nor a recording rule (query %q)", where, s.name, expr)
		}
		if dashboard && isCounter(s.name) && !s.rated {
			t.Errorf("%s: counter %s is not inside rate(...[$__rate_interval]) (query %q)", where, s.name, expr)
		}
		if isCounter(s.name) && !s.rated && !s.rangeOther {
			t.Errorf("%s: counter %s is used as a raw value (query %q)", where, s.name, expr)
		}
	}
}

func recordedNames() []string {
	var out []string
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out = append(out, r.Record)
			}
		}
	}
	return out
}

func TestRules(t *testing.T) {
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			checkQuery(t, name, r.Expr, false)
			if r.Alert == "" {
				continue
			}
			for _, key := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[key] == "" {
					t.Errorf("alert %s has no %s", r.Alert, key)
				}
			}
			if r.Labels["severity"] != "critical" && r.Labels["severity"] != "warning" {
				t.Errorf("alert %s: severity %q is not critical or warning", r.Alert, r.Labels["severity"])
			}
			if len(r.parts) == 0 {
				t.Errorf("alert %s names no parts for the live test to check", r.Alert)
			}
			for _, p := range r.parts {
				checkQuery(t, r.Alert+" part", p, false)
			}
		}
	}
}

func alertNames() []string {
	var out []string
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r.Alert)
			}
		}
	}
	return out
}

// TestRunbook checks each alert's runbook link lands on a section of
// monitoring/README.md.
func TestRunbook(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, sourceDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(readme), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	for _, a := range alertNames() {
		if !anchors[strings.ToLower(a)] {
			t.Errorf("monitoring/README.md has no section %q for the runbook link of %s", a, a)
		}
	}
}

// githubAnchor is the fragment GitHub gives a heading.
func githubAnchor(heading string) string {
	h := strings.ToLower(strings.TrimSpace(heading))
	h = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

// promtoolTests is what TestEveryAlertIsUnitTested reads of the promtool
// test files.
type promtoolTests struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertIsUnitTested checks the promtool tests hold, for every
// alert, a case where it fires and one where it stays silent.
func TestEveryAlertIsUnitTested(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, sourceDir, "tests", "*.yaml"))
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var pt promtoolTests
		if err := yaml.Unmarshal(raw, &pt); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range pt.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	for _, a := range alertNames() {
		if !fires[a] {
			t.Errorf("no promtool test where %s fires", a)
		}
		if !silent[a] {
			t.Errorf("no promtool test where %s stays silent", a)
		}
	}
}

// usedNames are the metric families the dashboards and rules refer to.
func usedNames(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	add := func(expr string) {
		sels, err := selectors(expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sels {
			used[family(s.name)] = true
		}
	}
	for _, b := range boards() {
		for _, s := range b.sections {
			for _, p := range s.panels {
				for _, x := range p.queries {
					add(x.expr)
				}
			}
		}
	}
	for _, g := range rules().Groups {
		for _, r := range g.Rules {
			add(r.Expr)
		}
	}
	return used
}

// mentioned tells whether the runbook names metric, literally or by a
// family pattern such as go_memstats_*.
func mentioned(readme, metric string) bool {
	if strings.Contains(readme, "`"+metric+"`") {
		return true
	}
	for _, m := range regexp.MustCompile("`([a-z_]+)\\*`").FindAllStringSubmatch(readme, -1) {
		if strings.HasPrefix(metric, m[1]) {
			return true
		}
	}
	return false
}

// TestEveryExportedNameIsUsed checks no metric constant is left out of every
// dashboard and rule unless the runbook says why.
func TestEveryExportedNameIsUsed(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, sourceDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	used := usedNames(t)
	for _, name := range exported {
		if !used[name] && !mentioned(string(readme), name) {
			t.Errorf("%s is exported but no dashboard or rule uses it, and monitoring/README.md does not say why", name)
		}
	}
}
