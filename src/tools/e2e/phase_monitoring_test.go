//go:build e2e

package e2e

import (
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/tools/monstack"
)

// testMonitoring runs the release under the real Prometheus Operator stack
// (src/tools/monstack installs it, docs/monitoring-stack.md; the checks are monitoring_*_test.go): kube-prometheus-stack
// installed in a namespace of its own as a platform team runs it (and
// removed afterwards unless it was there before), the release upgraded
// with its monitors and rules labelled for that stack and its
// NetworkPolicies admitting that namespace by name, so the scrapes cross
// the policies as in production. Then, asked of that Prometheus and
// Alertmanager: every shop pod an up target, the shop's rule groups
// loaded, every dashboard panel answered with series, and ShopConsumerDown
// delivered to Alertmanager while the release's vhost is closed to it and
// resolved once it is open again.
func testMonitoring(t *testing.T, s *suite) {
	cfg, err := monstack.ConfigFromEnv()
	if err != nil {
		testenv.Unavailable(t, "the monitoring stack (make e2e builds and imports it)", err)
	}
	stack := installStack(t, cfg)
	s.need(t, releaseState{scaled: true, monitoring: true})
	shop := Shop{Namespace: s.ns, Release: s.release}
	stack.WaitTargetsUp(t, shop)
	stack.RulesLoaded(t, shop)
	stack.DriveTraffic(t, shop)
	stack.PanelsReturnSeries(t, shop)
	stack.InduceAndAwaitAlert(t, shop, "ShopConsumerDown",
		&BrokerOutage{Vhost: s.vhost, User: env("E2E_MQ_USER", "guest"), Rabbitmqctl: s.rabbitmqctl})
}
