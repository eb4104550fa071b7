//go:build charttest

package charttest

import (
	"testing"
)

// TestDataStoresAdmitOnlyTheirUsers holds the policies of the bundled
// PostgreSQL, RabbitMQ and Elasticsearch to who may connect: the services
// that use each (and Prometheus to the metrics ports), nobody else. The
// stores' pods are given the labels their charts put on them: CloudPirates'
// postgres and rabbitmq charts label pods with their name (the alias) and
// the release, ECK with the Elasticsearch cluster's name.
func TestDataStoresAdmitOnlyTheirUsers(t *testing.T) {
	_, renders := renderAll(t)
	stores := map[string]peer{
		"postgresql":    {Namespace, map[string]string{"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": ReleaseName}, ""},
		"rabbitmq":      {Namespace, map[string]string{"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/instance": ReleaseName}, ""},
		"elasticsearch": {Namespace, map[string]string{"elasticsearch.k8s.elastic.co/cluster-name": ReleaseName + "-elasticsearch"}, ""},
	}
	cases := []struct {
		caller, store string
		port          int64
		l4, l7        bool
	}{
		{"catalog", "postgresql", 5432, true, true},
		{"order", "postgresql", 5432, true, true},
		{"search", "postgresql", 5432, false, false},
		{"frontend", "postgresql", 5432, false, false},
		{"none", "postgresql", 5432, false, false},
		{"prometheus", "postgresql", 9187, true, false},
		{"prometheus", "postgresql", 5432, false, false},
		{"catalog", "rabbitmq", 5672, true, true},
		{"order", "rabbitmq", 5672, true, true},
		{"search", "rabbitmq", 5672, true, true},
		{"frontend", "rabbitmq", 5672, false, false},
		{"frontend", "rabbitmq", 15672, false, false},
		{"prometheus", "rabbitmq", 15692, true, false},
		{"search", "elasticsearch", 9200, true, true},
		{"catalog", "elasticsearch", 9200, false, false},
		{"order", "elasticsearch", 9200, false, false},
		{"frontend", "elasticsearch", 9200, false, false},
	}
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			peers := matrixPeers(t, r)
			for _, c := range cases {
				got, why := networkAllows(t, r, peers[c.caller], stores[c.store], c.port)
				if got != c.l4 {
					t.Errorf("L4 %s -> %s:%d: allowed=%v, want %v (%s)", c.caller, c.store, c.port, got, c.l4, why)
				}
			}
			if name != "prod" {
				return
			}
			for store, p := range stores {
				peers[store] = p
			}
			for _, c := range cases {
				if c.caller == "prometheus" {
					continue
				}
				got, why := istioAllows(t, r, peers, matrixRow{caller: c.caller, service: c.store}, false)
				if got != c.l7 {
					t.Errorf("Istio %s -> %s: allowed=%v, want %v (%s)", c.caller, c.store, got, c.l7, why)
				}
			}
		})
	}
}
