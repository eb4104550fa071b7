//go:build e2e

package e2e

import (
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
)

// testHelmTest runs helm test: /ready of every service, and an order
// through the saga over the real broker, from the shop's own image. A
// failing test pod is kept (hook-succeeded deletes only passing ones), so
// the diagnostics print it.
func testHelmTest(t *testing.T, s *suite) {
	s.installed(t)
	test := action.NewReleaseTesting(s.helm)
	test.Namespace, test.Timeout = s.ns, 5*time.Minute
	rel, err := test.Run(s.release)
	if err != nil {
		t.Fatalf("helm test: %v", err)
	}
	for _, h := range rel.Hooks {
		t.Logf("test %s: %s", h.Name, h.LastRun.Phase)
	}
}
