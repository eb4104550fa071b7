//go:build charttest

// Package charttest proves the Helm chart in charts/shop: every values
// profile renders with the Helm SDK, passes the SDK's linter and the helm 3
// and helm 4 CLIs, is accepted by a real kube-apiserver (with the Istio,
// Prometheus Operator, ECK and Gateway API CRDs installed), keeps the
// hardening rules, and sets for each service exactly the environment its
// config struct reads. The tests build with the charttest tag: make
// test-chart runs them after building the binaries they need.
package charttest

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// ReleaseName and Namespace are what the profiles are rendered as, the
// names the README's install commands use.
const (
	ReleaseName = "shop"
	Namespace   = "ecommerce"
	// KubeVersion is the Kubernetes version the chart is rendered for: the
	// one of the kube-apiserver the Makefile provides (SHOP_KUBE_BIN).
	KubeVersion = "v1.34.4"
)

// Services are the service charts, found as the umbrella's shop.services
// helper finds them: the dependencies of its Chart.yaml nested in it (no
// repository) that can be turned off (a condition). A fifth service is one
// more directory and entry there, and its config struct in ServiceEnvs.
var Services = serviceCharts(filepath.Join(ChartDir(), "Chart.yaml"))

// serviceCharts reads the service charts from a Chart.yaml; the harness
// cannot run without them, so an unreadable file panics.
func serviceCharts(chartYAML string) []string {
	b, err := os.ReadFile(chartYAML)
	if err != nil {
		panic(err)
	}
	var meta chart.Metadata
	if err := yaml.Unmarshal(b, &meta); err != nil {
		panic(fmt.Errorf("%s: %w", chartYAML, err))
	}
	var names []string
	for _, d := range meta.Dependencies {
		if d.Repository == "" && d.Condition != "" {
			names = append(names, cmp.Or(d.Alias, d.Name))
		}
	}
	return names
}

// RepoRoot is the repository root: go test runs these tests in their
// package's directory, src/tools/charttest. (Not this file's compiled path:
// make builds with -trimpath, which leaves no directory in it.)
func RepoRoot() string {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		panic(err)
	}
	return root
}

// ChartDir is the umbrella chart's directory.
func ChartDir() string { return filepath.Join(RepoRoot(), "charts", "shop") }

// Profile is one values file the chart must work with; an empty File means
// the chart's defaults.
type Profile struct {
	Name string
	File string
}

// Profiles lists the defaults, every environment file, every ci/*-values.yaml
// chart-testing profile, and the harness's own testdata/*-values.yaml (cases
// no environment uses, such as external backends).
func Profiles() ([]Profile, error) {
	dir := ChartDir()
	profiles := []Profile{{Name: "defaults"}}
	for _, env := range []string{"dev", "staging", "prod"} {
		profiles = append(profiles, Profile{Name: env, File: filepath.Join(dir, "values-"+env+".yaml")})
	}
	for _, pattern := range []string{
		filepath.Join(dir, "ci", "*-values.yaml"),
		filepath.Join(RepoRoot(), "src", "tools", "charttest", "testdata", "*-values.yaml"),
	} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			prefix := "ci/"
			if strings.Contains(f, "testdata") {
				prefix = "testdata/"
			}
			profiles = append(profiles, Profile{Name: prefix + strings.TrimSuffix(filepath.Base(f), "-values.yaml"), File: f})
		}
	}
	for _, p := range profiles {
		if p.File == "" {
			continue
		}
		if _, err := os.Stat(p.File); err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.Name, err)
		}
	}
	return profiles, nil
}

// ValueFiles is the profile's -f arguments.
func (p Profile) ValueFiles() []string {
	if p.File == "" {
		return nil
	}
	return []string{p.File}
}

// LoadChart loads a chart directory with the Helm SDK.
func LoadChart(dir string) (*chart.Chart, error) {
	return loader.Load(dir)
}

// ThirdParty are the dependency charts not made here, by their name in the
// umbrella (the alias when there is one): `make chart-deps` puts their
// archives in charts/shop/charts/.
var ThirdParty = []string{"postgresql", "rabbitmq", "elasticsearch", "kube-prometheus-stack"}

// MissingDependencies refuses a chart whose declared dependencies are not all
// in its charts/ directory at exactly the pinned version: the harness tests
// the chart as `helm dependency build` leaves it, never without its
// dependency charts.
func MissingDependencies(ch *chart.Chart) error {
	var problems []string
	for _, dep := range ch.Metadata.Dependencies {
		i := slices.IndexFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == dep.Name })
		switch {
		case i < 0:
			problems = append(problems, dep.Name+" is missing")
		case ch.Dependencies()[i].Metadata.Version != dep.Version:
			problems = append(problems, fmt.Sprintf("%s is %s, Chart.yaml pins %s", dep.Name, ch.Dependencies()[i].Metadata.Version, dep.Version))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("charts/shop/charts: %s: run `make chart-deps`", strings.Join(problems, "; "))
	}
	return nil
}

// MergeValues reads value files the way `helm -f` does.
func MergeValues(files []string) (map[string]any, error) {
	opts := values.Options{ValueFiles: files}
	return opts.MergeValues(getter.Providers{})
}

// Rendered is a profile rendered by the Helm SDK.
type Rendered struct {
	// Manifests maps each template's path to what it rendered, hooks
	// (the helm test pods) included.
	Manifests map[string]string
	// Objects are every rendered object, in template order.
	Objects []*unstructured.Unstructured
	// Sources are the templates the Objects came from, index for index.
	Sources []string
	// Values are the profile's values over the chart's defaults.
	Values chartutil.Values
	// Notes is what NOTES.txt rendered.
	Notes string
}

// Render renders the chart like `helm template` does, as release
// ReleaseName, with its dependency charts.
func Render(chartDir string, valueFiles []string) (*Rendered, error) {
	return RenderRelease(chartDir, ReleaseName, valueFiles)
}

// RenderRelease is Render with another release name. It renders as on a
// cluster with the Prometheus Operator (the API server of the tests has its
// CRDs), so the PrometheusRule is rendered and validated.
func RenderRelease(chartDir, release string, valueFiles []string) (*Rendered, error) {
	return render(chartDir, release, valueFiles, chartutil.VersionSet{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/PrometheusRule", "monitoring.coreos.com/v1/ServiceMonitor"})
}

// render renders like RenderRelease for an API server that serves
// apiVersions beyond the built-in ones.
func render(chartDir, release string, valueFiles []string, apiVersions chartutil.VersionSet) (*Rendered, error) {
	ch, err := LoadChart(chartDir)
	if err != nil {
		return nil, err
	}
	if err := MissingDependencies(ch); err != nil {
		return nil, err
	}
	vals, err := MergeValues(valueFiles)
	if err != nil {
		return nil, err
	}
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.DryRunOption = "client"
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = release
	install.Namespace = Namespace
	install.KubeVersion = kv
	install.APIVersions = apiVersions
	rel, err := install.Run(ch, vals)
	if err != nil {
		return nil, err
	}
	vals, err = chartutil.CoalesceValues(rel.Chart, rel.Config)
	if err != nil {
		return nil, err
	}
	r := &Rendered{Manifests: map[string]string{}, Values: vals, Notes: rel.Info.Notes}
	docs := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		docs = append(docs, "# Source: "+h.Path+"\n"+h.Manifest)
	}
	for _, doc := range docs {
		for _, m := range releaseutil.SplitManifests(doc) {
			source, obj, err := decode(m)
			if err != nil {
				return nil, err
			}
			if obj == nil {
				continue
			}
			r.Manifests[source] += "---\n" + m + "\n"
			r.Objects = append(r.Objects, obj)
			r.Sources = append(r.Sources, source)
		}
	}
	return r, nil
}

// decode parses one manifest document and the template it came from.
func decode(doc string) (string, *unstructured.Unstructured, error) {
	source := ""
	for _, line := range strings.Split(doc, "\n") {
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			source = s
			break
		}
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		return source, nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(m) == 0 {
		return source, nil, nil
	}
	return source, &unstructured.Unstructured{Object: m}, nil
}

// Of returns the rendered objects of one kind.
func (r *Rendered) Of(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// Find returns the object of a kind and name, or nil.
func (r *Rendered) Find(kind, name string) *unstructured.Unstructured {
	for _, o := range r.Of(kind) {
		if o.GetName() == name {
			return o
		}
	}
	return nil
}

// FromDependency tells the objects a third-party dependency chart rendered
// (its template path is shop/charts/<dependency>/...).
func (r *Rendered) FromDependency(i int) bool {
	for _, d := range ThirdParty {
		if strings.HasPrefix(r.Sources[i], "shop/charts/"+d+"/") {
			return true
		}
	}
	return false
}

// Own returns the objects of the Shop's own charts, without the ones the
// third-party dependency charts render.
func (r *Rendered) Own() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for i, o := range r.Objects {
		if !r.FromDependency(i) {
			out = append(out, o)
		}
	}
	return out
}
