//go:build e2e

package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// testConfigChange: a helm upgrade that changes every service's
// configuration (logLevel) restarts every pod, under a request loop that
// sees no request fail.
func testConfigChange(t *testing.T, s *suite) {
	s.need(t, scaled)
	pods, err := s.kube.CoreV1().Pods(s.ns).List(t.Context(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + s.release + ",app.kubernetes.io/component!=test"})
	if err != nil {
		t.Fatal(err)
	}
	before := map[types.UID]bool{}
	for _, p := range pods.Items {
		before[p.UID] = true
	}
	s.startLoop(t, "load-config")
	s.upgrade(t, releaseState{scaled: true, debug: true})
	for _, svc := range services {
		for _, p := range s.podsOf(t, svc) {
			if before[p.UID] {
				t.Errorf("%s was not restarted by the config change", p.Name)
			}
		}
	}
	s.stopLoop(t, "load-config", nil)
}
