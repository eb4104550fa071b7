//go:build charttest

package charttest

import (
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestWiringSurvivesReleaseNames renders the chart, with every backend
// bundled, as releases whose names the fullname helpers shorten (a release
// that contains a chart's name is used as that chart's full name) and checks
// that every URL and host a service is given names a Service of the render,
// on a port that Service has.
func TestWiringSurvivesReleaseNames(t *testing.T) {
	full := filepath.Join(ChartDir(), "ci", "full-values.yaml")
	for _, release := range []string{"shop", "orders", "catalog", "my-postgresql", "rabbitmq-and-more", "elasticsearch", "x"} {
		t.Run(release, func(t *testing.T) {
			r, err := RenderRelease(ChartDir(), release, []string{full})
			if err != nil {
				t.Fatal(err)
			}
			checkWiring(t, r, len(Services))
		})
	}
}

// TestWiringRefusesOverridesTheServicesCannotSee proves that a renamed or
// re-ported Service is either followed or refused with a message naming the
// value to set, and that setting it makes the wiring whole again.
func TestWiringRefusesOverridesTheServicesCannotSee(t *testing.T) {
	cases := []struct{ name, values, want, fix string }{
		{"catalog port", "catalog:\n  service:\n    port: 6001\n", "catalogURL: http://shop-catalog:6001",
			"frontend: {catalogURL: 'http://shop-catalog:6001'}\norder: {catalogURL: 'http://shop-catalog:6001'}\nsearch: {catalogURL: 'http://shop-catalog:6001'}\n"},
		{"order fullnameOverride", "order:\n  fullnameOverride: checkout\n", "set frontend.orderURL: http://checkout:5003",
			"frontend: {orderURL: 'http://checkout:5003'}\n"},
		{"search nameOverride", "search:\n  nameOverride: finder\n", "set frontend.searchURL: http://shop-finder:5002",
			"frontend: {searchURL: 'http://shop-finder:5002'}\n"},
		{"postgresql port", "postgresql:\n  service:\n    port: 5433\n", "postgresql.service.port 5433",
			"global: {postgresql: {port: 5433}}\n"},
		{"rabbitmq port", "rabbitmq:\n  service:\n    amqpPort: 5673\n", "rabbitmq.service.amqpPort 5673",
			"global: {rabbitmq: {port: 5673}}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broken := writeValues(t, c.values)
			_, err := Render(ChartDir(), []string{broken})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error saying %q, got %v", c.want, err)
			}
			r, err := Render(ChartDir(), []string{broken, writeValues(t, c.fix)})
			if err != nil {
				t.Fatalf("with the fix the error names: %v", err)
			}
			checkWiring(t, r, len(Services))
		})
	}
	t.Run("umbrella overrides", func(t *testing.T) {
		r, err := Render(ChartDir(), []string{writeValues(t, "nameOverride: store\nfullnameOverride: boutique\ningress:\n  enabled: true\n")})
		if err != nil {
			t.Fatal(err)
		}
		checkWiring(t, r, len(Services))
		ing := r.Find("Ingress", "boutique")
		if ing == nil {
			t.Fatal("no Ingress boutique")
		}
		rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
		paths, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "http", "paths")
		svc, _, _ := unstructured.NestedString(paths[0].(map[string]any), "backend", "service", "name")
		if r.Find("Service", svc) == nil {
			t.Errorf("the Ingress sends to Service %q, which the chart does not make", svc)
		}
	})
}

// checkWiring checks every *_URL and host variable of every service of a
// render against the render's Services and Elasticsearch clusters.
func checkWiring(t *testing.T, r *Rendered, wantServices int) {
	t.Helper()
	ports := map[string][]int64{}
	for _, s := range r.Of("Service") {
		list, _, _ := unstructured.NestedSlice(s.Object, "spec", "ports")
		for _, p := range list {
			n, _, _ := nestedInt(p.(map[string]any), "port")
			ports[s.GetName()] = append(ports[s.GetName()], n)
		}
	}
	// ECK makes <name>-es-http on 9200 for each Elasticsearch resource.
	for _, es := range r.Of("Elasticsearch") {
		ports[es.GetName()+"-es-http"] = []int64{9200}
	}
	checked := 0
	for _, d := range r.Of("Deployment") {
		if !strings.HasPrefix(d.GetLabels()["app.kubernetes.io/part-of"], "shop") {
			continue
		}
		checked++
		cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		env, _, _ := unstructured.NestedSlice(cs[0].(map[string]any), "env")
		for _, e := range env {
			name, _ := e.(map[string]any)["name"].(string)
			value, _ := e.(map[string]any)["value"].(string)
			if !strings.HasSuffix(name, "_URL") || value == "" {
				continue
			}
			u, err := url.Parse(value)
			if err != nil {
				t.Errorf("%s %s=%q: %v", d.GetName(), name, value, err)
				continue
			}
			port, _ := strconv.ParseInt(u.Port(), 10, 64)
			if strings.Contains(u.Hostname(), ".") {
				continue // an external server, named by the operator
			}
			have, ok := ports[u.Hostname()]
			switch {
			case !ok:
				t.Errorf("%s %s=%s: no Service %s in the render", d.GetName(), name, value, u.Hostname())
			case !slices.Contains(have, port):
				t.Errorf("%s %s=%s: Service %s has ports %v", d.GetName(), name, value, u.Hostname(), have)
			}
		}
	}
	if checked != wantServices {
		t.Errorf("checked %d services, want %d", checked, wantServices)
	}
}

// TestExtraEnvMergesByName proves a variable of extraEnv replaces the one the
// chart sets (the user's value wins, once), and others are added.
func TestExtraEnvMergesByName(t *testing.T) {
	r, err := Render(ChartDir(), []string{writeValues(t, "catalog:\n  extraEnv:\n    - name: LOG_LEVEL\n      value: warn\n    - name: SEED_CATALOG\n      value: \"false\"\n    - name: DATABASE_MAX_CONNS\n      value: \"3\"\n")})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Find("Deployment", "shop-catalog")
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	env, _, _ := unstructured.NestedSlice(cs[0].(map[string]any), "env")
	got := map[string][]string{}
	for _, e := range env {
		m := e.(map[string]any)
		v, _ := m["value"].(string)
		got[m["name"].(string)] = append(got[m["name"].(string)], v)
	}
	for name, want := range map[string]string{"LOG_LEVEL": "warn", "SEED_CATALOG": "false", "DATABASE_MAX_CONNS": "3"} {
		if len(got[name]) != 1 || got[name][0] != want {
			t.Errorf("%s = %v, want exactly [%s]", name, got[name], want)
		}
	}
	if len(got["DATABASE_URL"]) != 1 || len(got["PORT"]) != 1 {
		t.Errorf("the chart's other variables are lost: %v", got)
	}
}
