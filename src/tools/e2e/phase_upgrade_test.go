//go:build e2e

package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testUpgrade: helm upgrade from one replica to two with
// PodDisruptionBudgets, under a request loop: no request fails, and every
// order the loop was told was accepted is stored once and final.
func testUpgrade(t *testing.T, s *suite) {
	s.need(t, releaseState{})
	s.startLoop(t, "load-upgrade")
	s.upgrade(t, scaled)
	for _, svc := range services {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(t.Context(), s.deployment(svc), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ReadyReplicas != 2 {
			t.Errorf("%s has %d ready replicas, want 2", d.Name, d.Status.ReadyReplicas)
		}
	}
	s.stopLoop(t, "load-upgrade", nil)
}
