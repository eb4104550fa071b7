//go:build charttest

package charttest

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestMeshRefusesValuesThatBreakTheMatrix proves the chart refuses, with a
// message that says what to change, the values under which the access
// matrix could not hold or the mesh would not route.
func TestMeshRefusesValuesThatBreakTheMatrix(t *testing.T) {
	cases := []refusal{
		{"shared ServiceAccount", "istio:\n  enabled: true\ncatalog:\n  serviceAccount:\n    name: shop\nsearch:\n  serviceAccount:\n    name: shop\n", "run as the same ServiceAccount"},
		{"no gateway to bind to", "istio:\n  enabled: true\n  gateway:\n    create: false\n", "istio.gateway.existing"},
		{"unknown caller", "access:\n  order:\n    callers:\n      - from: billing\n        methods: [GET]\n        paths: [/orders/*]\n", `"billing"`},
		{"unknown mode", "istio:\n  enabled: true\n  mode: proxyless\n", "mode"},
		{"bad fault", "istio:\n  enabled: true\n  faults:\n    catalog:\n      abort:\n        httpStatus: 42\n", "httpStatus"},
		{"method typo", "access:\n  search:\n    callers:\n      - from: frontend\n        methods: [get]\n        paths: [/search]\n", "methods"},
		{"namespace deny with the bundled monitoring", "networkPolicy:\n  enabled: true\nkube-prometheus-stack:\n  enabled: true\n", "defaultDenyScope"},
	}
	requireRefused(t, cases)
}

// TestMeshRetriesOnlyIdempotentRequests checks the rendered VirtualServices:
// every route that retries is a GET/HEAD route or a POST route that requires
// the idempotency header, and the route for every other request does not
// retry (Istio's default would).
func TestMeshRetriesOnlyIdempotentRequests(t *testing.T) {
	_, renders := renderAll(t)
	for _, vs := range renders["prod"].Of("VirtualService") {
		routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		for _, item := range routes {
			route := item.(map[string]any)
			attempts := int64(-1)
			if r, ok := route["retries"].(map[string]any); ok {
				attempts = retryAttempts(r["attempts"])
			}
			matches, _ := route["match"].([]any)
			switch {
			case vs.GetName() == ReleaseName+"-storefront":
				continue
			case len(matches) == 0:
				if attempts != 0 {
					t.Errorf("%s route %v catches every other request but retries (attempts %d)", vs.GetName(), route["name"], attempts)
				}
			default:
				for _, m := range matches {
					mm := m.(map[string]any)
					method, _ := mm["method"].(map[string]any)
					headers, _ := mm["headers"].(map[string]any)
					reads := method["regex"] == "GET|HEAD"
					keyed := method["exact"] == "POST" && headers["idempotency-key"] != nil
					if attempts > 0 && !reads && !keyed {
						t.Errorf("%s route %v retries a request that is not idempotent: %v", vs.GetName(), route["name"], mm)
					}
				}
			}
		}
	}
	order := renders["prod"].Find("VirtualService", ReleaseName+"-order")
	if order == nil || !strings.Contains(renders["prod"].Manifests["shop/templates/istio/virtualservices.yaml"], "idempotency-key") {
		t.Fatal("the order's VirtualService has no route for POST /create-order with an Idempotency-Key")
	}
}

// retryAttempts reads a number of attempts, -1 when it is not one.
func retryAttempts(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return -1
}
