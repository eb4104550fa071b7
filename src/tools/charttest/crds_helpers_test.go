//go:build charttest

package charttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// CRDSource is a Go module that ships CustomResourceDefinitions, pinned to a
// version, and the paths of its CRD files (or directories of them).
type CRDSource struct {
	Module  string
	Version string
	Paths   []string
}

// CRDSources reads the pinned CRD modules from scripts/crds.txt, the one
// place their versions are kept (scripts/kind-up.sh installs the same ones).
func CRDSources() ([]CRDSource, error) {
	file := filepath.Join(RepoRoot(), "scripts", "crds.txt")
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var sources []CRDSource
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			return nil, fmt.Errorf("%s:%d: want module, version and paths", file, i+1)
		}
		sources = append(sources, CRDSource{Module: f[0], Version: f[1], Paths: f[2:]})
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%s lists no module", file)
	}
	return sources, nil
}

// CRDPaths downloads (or finds in the module cache) every pinned module and
// returns the absolute paths of their CRDs.
func CRDPaths() ([]string, error) {
	sources, err := CRDSources()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, src := range sources {
		dir, err := moduleDir(src.Module, src.Version)
		if err != nil {
			return nil, err
		}
		for _, p := range src.Paths {
			full := filepath.Join(dir, p)
			if _, err := os.Stat(full); err != nil {
				return nil, fmt.Errorf("%s@%s has no %s: %w", src.Module, src.Version, p, err)
			}
			paths = append(paths, full)
		}
	}
	return paths, nil
}

// moduleDir runs `go mod download -json module@version` outside any module
// (so no go.mod is touched) and returns the module's directory in the cache.
func moduleDir(module, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s%s", module, version, err, stderr.String(), stdout.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	return info.Dir, nil
}

// CRDs returns the CustomResourceDefinitions the API server is loaded with:
// those the umbrella's dependency charts ship in their crds/ directories
// (kube-prometheus-stack's Prometheus Operator CRDs), which `helm install`
// creates, and those of scripts/crds.txt for the operators installed beside
// the chart (Istio, ECK, Gateway API). Where both define a CRD, the chart's
// wins: it is the one a cluster gets from the release.
func CRDs(ch *chart.Chart) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	paths, err := CRDPaths()
	if err != nil {
		return nil, err
	}
	byName := map[string]*apiextensionsv1.CustomResourceDefinition{}
	var order []string
	add := func(crd *apiextensionsv1.CustomResourceDefinition) {
		if _, seen := byName[crd.Name]; !seen {
			order = append(order, crd.Name)
		}
		byName[crd.Name] = crd
	}
	for _, p := range paths {
		files := []string{p}
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			files, err = filepath.Glob(filepath.Join(p, "*.yaml"))
			if err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			crds, err := decodeCRDs(f, b)
			if err != nil {
				return nil, err
			}
			for _, c := range crds {
				add(c)
			}
		}
	}
	for _, f := range ch.CRDObjects() {
		crds, err := decodeCRDs(f.Filename, f.File.Data)
		if err != nil {
			return nil, err
		}
		for _, c := range crds {
			add(c)
		}
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(order))
	for _, n := range order {
		out = append(out, byName[n])
	}
	return out, nil
}

// decodeCRDs reads the CustomResourceDefinitions of a multi-document YAML
// file, skipping empty documents.
func decodeCRDs(name string, b []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*apiextensionsv1.CustomResourceDefinition
	for {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		err := dec.Decode(crd)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if crd.Kind == "CustomResourceDefinition" {
			out = append(out, crd)
		}
	}
}
