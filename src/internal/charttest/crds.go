//go:build charttest

package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// CRDSource is a Go module that ships CustomResourceDefinitions, pinned to a
// version, and the paths of its CRD files (or directories of them).
type CRDSource struct {
	Module  string
	Version string
	Paths   []string
}

// CRDSources are the upstream CRDs the chart's objects are validated
// against, pinned here and nowhere else. They come from the Go module proxy
// through `go mod download`, so the tests need no other download.
var CRDSources = []CRDSource{
	// Istio: Gateway, VirtualService, DestinationRule, PeerAuthentication,
	// AuthorizationPolicy, ...
	{Module: "istio.io/api", Version: "v1.31.4", Paths: []string{"kubernetes/customresourcedefinitions.gen.yaml"}},
	// Prometheus Operator: ServiceMonitor, PrometheusRule, ...
	{Module: "github.com/prometheus-operator/prometheus-operator", Version: "v0.85.0", Paths: []string{"example/prometheus-operator-crd"}},
	// ECK: Elasticsearch, Kibana, ...
	{Module: "github.com/elastic/cloud-on-k8s/v3", Version: "v3.5.0", Paths: []string{"config/crds/v1/all-crds.yaml"}},
	// Gateway API (standard channel): Gateway, HTTPRoute, ...
	{Module: "sigs.k8s.io/gateway-api", Version: "v1.4.1", Paths: []string{"config/crd/standard"}},
}

// CRDPaths downloads (or finds in the module cache) every pinned module and
// returns the absolute paths of their CRDs.
func CRDPaths() ([]string, error) {
	var paths []string
	for _, src := range CRDSources {
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
