//go:build e2e

package e2e

import (
	"maps"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testRollback: helm rollback from the config change to the revision
// before it, under a request loop that sees no request fail; the old
// configuration is back, and the Secrets the chart generated (admin token,
// cookie secret) are the ones of the install, across every upgrade and
// the rollback.
func testRollback(t *testing.T, s *suite) {
	s.need(t, scaled)
	s.need(t, releaseState{scaled: true, debug: true})
	rel, err := action.NewStatus(s.helm).Run(s.release)
	if err != nil {
		t.Fatal(err)
	}
	s.startLoop(t, "load-rollback")
	rollback := action.NewRollback(s.helm)
	rollback.Version, rollback.Wait, rollback.Timeout = rel.Version-1, true, 5*time.Minute
	if err := rollback.Run(s.release); err != nil {
		t.Fatalf("helm rollback to revision %d: %v", rel.Version-1, err)
	}
	s.state = scaled
	s.waitAvailable(t)
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(t.Context(), s.deployment("catalog"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "LOG_LEVEL" && e.Value == "debug" {
			t.Errorf("after the rollback to revision %d LOG_LEVEL is still debug", rel.Version-1)
		}
	}
	s.stopLoop(t, "load-rollback", nil)
	if got := s.keptSecrets(t); !maps.Equal(got, s.secretsAtInstall) {
		t.Errorf("a generated Secret changed across helm upgrade and rollback: %v, at install %v", got, s.secretsAtInstall)
	}
}
