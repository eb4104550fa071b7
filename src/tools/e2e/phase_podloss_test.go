//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// testPodLoss deletes a pod of each service in turn while a request loop
// places orders: no request fails, every accepted order is stored once
// and final, and the stock is exact (stock now + confirmed quantities =
// stock at install, product by product).
func testPodLoss(t *testing.T, s *suite) {
	s.need(t, scaled)
	s.startLoop(t, "load-podloss")
	for _, svc := range services {
		pod := s.podsOf(t, svc)[0].Name
		s.deletePod(t, pod)
		t.Logf("deleted %s", pod)
		time.Sleep(2 * time.Second)
		s.waitAvailable(t)
	}
	s.stopLoop(t, "load-podloss", s.stockAtInstall)
}
