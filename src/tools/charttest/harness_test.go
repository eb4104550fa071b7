//go:build charttest

package charttest

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestMain silences the Helm loader's standard-library log: it reports each
// service chart's link to the library chart, which is intended.
// It also stops the kube-apiserver the tests may have started.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	code := m.Run()
	if err := stopAPIServer(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping kube-apiserver:", err)
		code = 1
	}
	os.Exit(code)
}

var (
	renderOnce sync.Once
	profiles   []Profile
	renders    map[string]*Rendered
	renderErr  map[string]error
	profileErr error
)

// renderAll renders every profile once for all the tests of the package.
func renderAll(t *testing.T) ([]Profile, map[string]*Rendered) {
	t.Helper()
	renderOnce.Do(func() {
		profiles, profileErr = Profiles()
		renders, renderErr = map[string]*Rendered{}, map[string]error{}
		for _, p := range profiles {
			renders[p.Name], renderErr[p.Name] = Render(ChartDir(), p.ValueFiles())
		}
	})
	if profileErr != nil {
		t.Fatal(profileErr)
	}
	for _, p := range profiles {
		if err := renderErr[p.Name]; err != nil {
			t.Fatalf("profile %s does not render: %v", p.Name, err)
		}
	}
	return profiles, renders
}

// requireBinary skips loudly when a tool the test needs has not been built,
// and fails instead when SHOP_REQUIRE_INTEGRATION=1 (as in CI).
func requireBinary(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	msg := path + " is missing: run `make chart-tools` (make test-chart builds it)"
	if os.Getenv("SHOP_REQUIRE_INTEGRATION") == "1" {
		t.Fatal(msg + "; SHOP_REQUIRE_INTEGRATION=1 makes this a failure")
	}
	t.Skip("SKIPPED: " + msg)
}

// toolPath is where the Makefile built a tool: it exports the path in the
// variable named (SHOP_HELM3, SHOP_HELM4, SHOP_KUBE_BIN).
func toolPath(t *testing.T, variable string) string {
	t.Helper()
	path := os.Getenv(variable)
	if path == "" {
		msg := variable + " is not set: run the chart tests with `make test-chart`, which builds the tools and sets it"
		if os.Getenv("SHOP_REQUIRE_INTEGRATION") == "1" {
			t.Fatal(msg + "; SHOP_REQUIRE_INTEGRATION=1 makes this a failure")
		}
		t.Skip("SKIPPED: " + msg)
	}
	return path
}

// writeValues writes a values file for a test case and returns its path.
func writeValues(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}
