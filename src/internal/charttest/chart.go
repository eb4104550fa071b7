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
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	// one of the kube-apiserver that scripts/kube-tools builds.
	KubeVersion = "v1.34.4"
)

// Services are the service charts, nested in the umbrella chart.
var Services = []string{"catalog", "search", "order", "frontend"}

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
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
		filepath.Join(RepoRoot(), "src", "internal", "charttest", "testdata", "*-values.yaml"),
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

// AbsentDependencies lists the dependencies Chart.yaml declares whose chart
// is not in charts/: the third-party charts, which need their repositories
// (out of reach here) and `helm dependency build`. Helm renders the rest as
// if they were disabled.
func AbsentDependencies(ch *chart.Chart) []*chart.Dependency {
	var absent []*chart.Dependency
	for _, dep := range ch.Metadata.Dependencies {
		found := slices.ContainsFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == dep.Name })
		if !found {
			absent = append(absent, dep)
		}
	}
	return absent
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
	// Values are the profile's values over the chart's defaults.
	Values chartutil.Values
	// Notes is what NOTES.txt rendered.
	Notes string
}

// Render renders the chart like `helm template` does, without the absent
// dependency charts.
func Render(chartDir string, valueFiles []string) (*Rendered, error) {
	ch, err := LoadChart(chartDir)
	if err != nil {
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
	install.ReleaseName = ReleaseName
	install.Namespace = Namespace
	install.KubeVersion = kv
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

// StrippedCopy copies the umbrella chart to dir without the absent
// dependencies in its Chart.yaml, which is what `helm template` and `helm
// lint` can work with before `helm dependency build` has run: the Helm CLIs
// refuse a chart whose declared dependencies are missing, whatever their
// conditions say. Symbolic links (the service charts' link to the library
// chart) are kept as they are.
func StrippedCopy(dir string) (string, error) {
	src := ChartDir()
	dst := filepath.Join(dir, "shop")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
	})
	if err != nil {
		return "", err
	}
	ch, err := LoadChart(src)
	if err != nil {
		return "", err
	}
	absent := AbsentDependencies(ch)
	meta := *ch.Metadata
	meta.Dependencies = slices.DeleteFunc(slices.Clone(meta.Dependencies), func(d *chart.Dependency) bool {
		return slices.Contains(absent, d)
	})
	b, err := yaml.Marshal(meta)
	if err != nil {
		return "", err
	}
	return dst, os.WriteFile(filepath.Join(dst, "Chart.yaml"), b, 0o644)
}
