//go:build e2e

package e2e

import "testing"

// testInstall: the namespace, a PostgreSQL database per service and a
// RabbitMQ vhost of the run's own, helm install with
// charts/shop/ci/e2e-values.yaml, and every Deployment available; catalog
// and order start with two replicas on empty databases.
func testInstall(t *testing.T, s *suite) {
	s.installed(t)
	total := 0
	for _, n := range s.stockAtInstall {
		total += n
	}
	t.Logf("release %s installed in %s: %d products, %d items in stock", s.release, s.ns, len(s.stockAtInstall), total)
}
