//go:build charttest

package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
