//go:build charttest

package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/provenance"
	"sigs.k8s.io/yaml"
)

// TestDependencyPins proves every dependency of Chart.yaml is pinned to one
// exact version (a rebuild must never bring a new major PostgreSQL onto an
// old data directory, nor a kube-prometheus-stack whose CRDs need manual
// steps), that the archives in charts/ are those versions, and that the
// Prometheus Operator CRDs scripts/crds.txt installs in Kind clusters are
// the version the pinned kube-prometheus-stack ships.
func TestDependencyPins(t *testing.T) {
	ch, err := LoadChart(ChartDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := MissingDependencies(ch); err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, d := range ch.Metadata.Dependencies {
		if d.Repository == "" && d.Condition != "" {
			services = append(services, d.Name)
		}
	}
	if !slices.Equal(services, Services) {
		t.Errorf("Chart.yaml's service charts (local, with a condition, as the templates derive them) are %v, the harness knows %v", services, Services)
	}
	for _, d := range ch.Metadata.Dependencies {
		if _, err := semver.StrictNewVersion(d.Version); err != nil {
			t.Errorf("%s: version %q is not one exact version: %v", d.Name, d.Version, err)
		}
	}
	sources, err := CRDSources()
	if err != nil {
		t.Fatal(err)
	}
	var kps *chart.Chart
	for _, c := range ch.Dependencies() {
		if c.Name() == "kube-prometheus-stack" {
			kps = c
		}
	}
	if kps == nil {
		t.Fatal("no kube-prometheus-stack in charts/")
	}
	found := false
	for _, s := range sources {
		if s.Module == "github.com/prometheus-operator/prometheus-operator" {
			found = true
			if s.Version != kps.Metadata.AppVersion {
				t.Errorf("scripts/crds.txt pins the Prometheus Operator CRDs at %s, kube-prometheus-stack %s ships %s", s.Version, kps.Metadata.Version, kps.Metadata.AppVersion)
			}
		}
	}
	if !found {
		t.Error("scripts/crds.txt does not pin the Prometheus Operator CRDs")
	}
	crds, err := CRDs(ch)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		if c.Name == "alertmanagers.monitoring.coreos.com" {
			if v := c.Annotations["operator.prometheus.io/version"]; v != strings.TrimPrefix(kps.Metadata.AppVersion, "v") {
				t.Errorf("the API server gets the Alertmanager CRD of operator %q, want %s", v, kps.Metadata.AppVersion)
			}
		}
	}
}

// ExpectedLock is the Chart.lock `helm dependency update` writes for the
// exact pins of Chart.yaml: each dependency at its pinned version (an exact
// version resolves to itself in a repository index and in an OCI registry),
// with the digest Helm computes over Chart.yaml's dependencies and the lock
// (the function of helm's internal/resolver.HashReq).
func ExpectedLock(ch *chart.Chart) (*chart.Lock, error) {
	lock := &chart.Lock{}
	for _, d := range ch.Metadata.Dependencies {
		lock.Dependencies = append(lock.Dependencies, &chart.Dependency{Name: d.Name, Repository: d.Repository, Version: d.Version})
	}
	data, err := json.Marshal([2][]*chart.Dependency{ch.Metadata.Dependencies, lock.Dependencies})
	if err != nil {
		return nil, err
	}
	sum, err := provenance.Digest(bytes.NewBuffer(data))
	if err != nil {
		return nil, err
	}
	lock.Digest = "sha256:" + sum
	return lock, nil
}

// TestChartLock keeps charts/shop/Chart.lock what the exact pins resolve to,
// and proves the helm CLIs accept it: `helm dependency build` gets past its
// "out of sync" check and stops only where it needs the repositories.
// SHOP_UPDATE_CHART_LOCK=1 (make chart-lock) rewrites it.
func TestChartLock(t *testing.T) {
	ch, err := LoadChart(ChartDir())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ExpectedLock(ch)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ChartDir(), "Chart.lock")
	if os.Getenv("SHOP_UPDATE_CHART_LOCK") == "1" && (ch.Lock == nil || ch.Lock.Digest != want.Digest) {
		want.Generated = time.Now().UTC().Truncate(time.Second)
		b, err := yaml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("Chart.lock rewritten")
		return
	}
	if ch.Lock == nil {
		t.Fatal("no charts/shop/Chart.lock: run `make chart-lock`")
	}
	if ch.Lock.Digest != want.Digest {
		t.Fatalf("charts/shop/Chart.lock is out of date (digest %s, want %s): run `make chart-lock`", ch.Lock.Digest, want.Digest)
	}
	for major, variable := range map[string]string{"helm3": "SHOP_HELM3", "helm4": "SHOP_HELM4"} {
		t.Run(major, func(t *testing.T) {
			helm := toolPath(t, variable)
			requireBinary(t, helm)
			build := func(t *testing.T, lock []byte) string {
				t.Helper()
				dir := t.TempDir()
				chartYAML, err := os.ReadFile(filepath.Join(ChartDir(), "Chart.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				for name, b := range map[string][]byte{"Chart.yaml": chartYAML, "Chart.lock": lock} {
					if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				// The HTTP repositories as `helm repo add` records them
				// (without their indexes, which are out of reach).
				repos := "repositories:\n"
				for i, d := range ch.Metadata.Dependencies {
					if strings.HasPrefix(d.Repository, "http") {
						repos += fmt.Sprintf("  - name: repo%d\n    url: %s\n", i, d.Repository)
					}
				}
				if err := os.WriteFile(filepath.Join(dir, "repositories.yaml"), []byte(repos), 0o644); err != nil {
					t.Fatal(err)
				}
				for _, d := range ch.Metadata.Dependencies {
					if d.Repository == "" {
						if err := os.MkdirAll(filepath.Join(dir, "charts", d.Name), 0o755); err != nil {
							t.Fatal(err)
						}
					}
				}
				cmd := exec.Command(helm, "dependency", "build", dir)
				cmd.Env = append(os.Environ(),
					"HELM_REPOSITORY_CONFIG="+filepath.Join(dir, "repositories.yaml"),
					"HELM_REPOSITORY_CACHE="+filepath.Join(dir, "cache"),
					"HELM_REGISTRY_CONFIG="+filepath.Join(dir, "registry.json"))
				out, _ := cmd.CombinedOutput()
				return string(out)
			}
			committed, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if out := build(t, committed); strings.Contains(out, "out of sync") {
				t.Errorf("%s refuses the committed Chart.lock:\n%s", major, out)
			}
			stale := bytes.Replace(committed, []byte("version: 0.20.1"), []byte("version: 0.20.0"), 1)
			if out := build(t, stale); !strings.Contains(out, "out of sync") {
				t.Errorf("%s accepts a stale Chart.lock, so the check above proves nothing:\n%s", major, out)
			}
		})
	}
}
