//go:build charttest

package charttest

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestProfilesRenderAndLint renders every profile with the SDK and runs the
// SDK's linter (subcharts included) with the profile's values, with the real
// dependency charts in place. No warning or error is tolerated.
func TestProfilesRenderAndLint(t *testing.T) {
	profiles, renders := renderAll(t)
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		t.Run(p.Name, func(t *testing.T) {
			r := renders[p.Name]
			if len(r.Of("Deployment")) == 0 {
				t.Fatalf("renders no Deployment")
			}
			vals, err := MergeValues(p.ValueFiles())
			if err != nil {
				t.Fatal(err)
			}
			lint := action.NewLint()
			lint.Namespace = Namespace
			lint.WithSubcharts = true
			lint.KubeVersion = kv
			res := lint.Run([]string{ChartDir()}, vals)
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint %s: %s", m.Path, m.Err)
				}
			}
			for _, err := range res.Errors {
				t.Errorf("lint: %v", err)
			}
		})
	}
}

// TestRefusesValuesThatCannotWork proves the schemas and the chart's own
// checks reject broken values with a message that says what is wrong.
func TestRefusesValuesThatCannotWork(t *testing.T) {
	cases := []refusal{
		{"two exposures", "ingress:\n  enabled: true\nistio:\n  enabled: true\n", "exposed one way at a time"},
		{"ingress and httproute", "ingress:\n  enabled: true\nhttpRoute:\n  enabled: true\n", "exposed one way at a time"},
		{"external postgresql without host", "postgresql:\n  enabled: false\n", "global.postgresql.host"},
		{"bundled postgresql unused", "postgresql:\n  enabled: true\nglobal:\n  postgresql:\n    enabled: false\n", "postgresql.enabled bundles"},
		{"bundled and external postgresql", "global:\n  postgresql:\n    host: db.example.internal\n", "set global.postgresql.enabled: false"},
		{"bundled and external elasticsearch", "global:\n  elasticsearch:\n    enabled: true\n    url: https://es.example.internal:9200\n", "set global.elasticsearch.enabled: false"},
		{"external elasticsearch without url", "elasticsearch:\n  enabled: false\nglobal:\n  elasticsearch:\n    enabled: true\n", "global.elasticsearch.url"},
		{"postgresql secret not mounted", "global:\n  postgresql:\n    existingSecret: my-pg\n", "postgresql.extraVolumes must mount"},
		{"rabbitmq secret not mounted", "global:\n  rabbitmq:\n    existingSecret: my-mq\n", "rabbitmq.extraVolumes must mount"},
		{"postgresql renamed", "postgresql:\n  fullnameOverride: db\n", "postgresql.nameOverride and fullnameOverride are not supported"},
		{"rabbitmq renamed", "rabbitmq:\n  nameOverride: mq\n", "rabbitmq.nameOverride and fullnameOverride are not supported"},
		{"roles sidecar dropped", "postgresql:\n  initContainers: []\n", "no shop-roles sidecar"},
		{"users sidecar dropped", "rabbitmq:\n  customScripts:\n    initContainers: []\n", "no shop-users sidecar"},
		{"service role is the superuser", "order:\n  database:\n    username: shop\n", "the bundled PostgreSQL's superuser"},
		{"service user is the administrator", "search:\n  rabbitmq:\n    username: shop\n", "the bundled RabbitMQ's administrator"},
		{"service secret beside the bundled server", "order:\n  database:\n    existingSecret: orders-db\n", "leave it empty"},
		{"access without the identity", "access:\n  search:\n    uses: [rabbitmq, elasticsearch, postgresql]\n", "search does not use postgresql"},
		{"identity without the access", "access:\n  order:\n    uses: [postgresql]\n", "order uses rabbitmq"},
		{"unknown umbrella key", "replicas: 3\n", "replicas"},
		{"unknown service key", "catalog:\n  replicas: 3\n", "replicas"},
		{"wrong type", "order:\n  replicaCount: two\n", "replicaCount"},
		{"wrong type for every service", "global:\n  serviceDefaults:\n    replicaCount: two\n", "replicaCount"},
		{"per-service key for every service", "global:\n  serviceDefaults:\n    port: 8080\n", "port"},
		{"short cookie key name", "frontend:\n  cookie:\n    key: \"\"\n", "key"},
		{"root user", "search:\n  securityContext:\n    runAsNonRoot: false\n", "runAsNonRoot"},
		{"root user for every service", "global:\n  serviceDefaults:\n    securityContext:\n      runAsNonRoot: false\n", "runAsNonRoot"},
		{"bad log level", "catalog:\n  logLevel: verbose\n", "logLevel"},
		{"HPA minimum above maximum", "catalog:\n  autoscaling:\n    enabled: true\n    minReplicas: 5\n    maxReplicas: 3\n", "minReplicas 5 is above autoscaling.maxReplicas 3"},
		{"rabbitmq password key mismatch", "rabbitmq:\n  auth:\n    existingPasswordKey: pw\n", "rabbitmq.auth.existingPasswordKey"},
		{"PDB over one replica", "order:\n  podDisruptionBudget:\n    enabled: true\n", "block every node drain"},
	}
	requireRefused(t, cases)
}

// TestEnvironmentProfiles checks what each environment file promises.
func TestEnvironmentProfiles(t *testing.T) {
	_, renders := renderAll(t)
	t.Run("dev", func(t *testing.T) {
		r := renders["dev"]
		for _, d := range r.Of("Deployment") {
			if n, _, _ := nestedInt(d.Object, "spec", "replicas"); n != 1 {
				t.Errorf("%s: %d replicas, want 1", d.GetName(), n)
			}
		}
		if env := containerEnv(t, r.Find("Deployment", "shop-search")); slices.Contains(env, "ELASTICSEARCH_URL") {
			t.Errorf("search uses Elasticsearch in dev, want its embedded index")
		}
		for _, kind := range []string{"ServiceMonitor", "HorizontalPodAutoscaler"} {
			if len(r.Of(kind)) > 0 {
				t.Errorf("dev renders a %s", kind)
			}
		}
		if r.Values["istio"].(map[string]any)["enabled"] != false || r.Values["monitoring"].(map[string]any)["enabled"] != false {
			t.Errorf("dev turns on istio or monitoring")
		}
	})
	for _, name := range []string{"staging", "prod"} {
		t.Run(name, func(t *testing.T) {
			r := renders[name]
			// Under Istio's sidecar mode (prod) the mesh's PodMonitor scrapes
			// every service instead of a ServiceMonitor each.
			if n := len(r.Of("ServiceMonitor")); n != len(Services) && len(r.Of("PodMonitor")) != 1 {
				t.Errorf("%d ServiceMonitors and no mesh PodMonitor, want one monitor per service", n)
			}
			if env := containerEnv(t, r.Find("Deployment", "shop-search")); !slices.Contains(env, "ELASTICSEARCH_URL") {
				t.Errorf("search does not use Elasticsearch")
			}
			for _, s := range Services {
				name := "shop-" + s
				d := r.Find("Deployment", name)
				if d == nil {
					t.Fatalf("no Deployment %s", name)
				}
				replicas, found, _ := nestedInt(d.Object, "spec", "replicas")
				if hpa := r.Find("HorizontalPodAutoscaler", name); hpa != nil {
					replicas, _, _ = nestedInt(hpa.Object, "spec", "minReplicas")
					found = true
				}
				if !found || replicas < 2 {
					t.Errorf("%s: at most %d replica, want 2 or more", name, replicas)
				}
				if r.Find("PodDisruptionBudget", name) == nil {
					t.Errorf("%s: no PodDisruptionBudget", name)
				}
				if tsc, _, _ := nestedSlice(d.Object, "spec", "template", "spec", "topologySpreadConstraints"); len(tsc) == 0 {
					t.Errorf("%s: no topology spread constraints", name)
				}
			}
		})
	}
	t.Run("prod autoscaling, network policies and mesh", func(t *testing.T) {
		r := renders["prod"]
		for _, s := range Services {
			if r.Find("HorizontalPodAutoscaler", "shop-"+s) == nil {
				t.Errorf("shop-%s: no HorizontalPodAutoscaler", s)
			}
			if r.Find("NetworkPolicy", "shop-"+s) == nil {
				t.Errorf("shop-%s: no NetworkPolicy", s)
			}
		}
		if r.Values["istio"].(map[string]any)["enabled"] != true {
			t.Errorf("prod does not turn Istio on")
		}
		if len(r.Of("Ingress"))+len(r.Of("HTTPRoute")) > 0 {
			t.Errorf("prod exposes the storefront beside the Istio gateway")
		}
	})
}

// TestGeneratedSecrets proves no password has a default: every credential
// Secret the chart makes is random (two renders differ) and kept on
// uninstall, and every service reads its credentials from Secrets.
func TestGeneratedSecrets(t *testing.T) {
	first, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Render(ChartDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"shop-postgresql-auth", "shop-rabbitmq-auth", "shop-admin-token", "shop-frontend-cookie"}
	for _, name := range want {
		a, b := first.Find("Secret", name), second.Find("Secret", name)
		if a == nil || b == nil {
			t.Errorf("no Secret %s", name)
			continue
		}
		if a.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
			t.Errorf("%s is not kept on uninstall", name)
		}
		da, _, _ := nestedStringMap(a.Object, "data")
		db, _, _ := nestedStringMap(b.Object, "data")
		if len(da) == 0 {
			t.Errorf("%s has no data", name)
		}
		for k := range da {
			if da[k] == db[k] {
				t.Errorf("%s key %s is the same in two renders: a default, not a generated value", name, k)
			}
		}
	}
	for _, tmpl := range []string{"shop/templates/secrets.yaml", "shop/charts/frontend/templates/service.yaml"} {
		if _, ok := first.Manifests[tmpl]; !ok {
			t.Errorf("%s rendered nothing", tmpl)
		}
	}
	existing, err := Render(ChartDir(), []string{writeValues(t, `global:
  postgresql: {existingSecret: pg}
  rabbitmq: {existingSecret: mq}
  adminToken: {existingSecret: admin}
postgresql:
  extraVolumes: [{name: shop-secrets, secret: {secretName: pg}}]
rabbitmq:
  extraVolumes: [{name: shop-secrets, secret: {secretName: mq}}, {name: shop-bootstrap, configMap: {name: mq-bootstrap}}]
frontend: {cookie: {existingSecret: cookie}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	if s := existing.Of("Secret"); len(s) != 0 {
		t.Errorf("with existing Secrets named, the chart still makes %d Secrets", len(s))
	}
}

// TestNotes checks NOTES.txt tells how to reach the shop in each exposure.
func TestNotes(t *testing.T) {
	_, renders := renderAll(t)
	for profile, want := range map[string]string{
		"defaults":     "port-forward svc/shop-frontend 8080:5004",
		"ci/ingress":   "https://shop.kind.test/",
		"ci/httproute": "http://shop.kind.test/",
		"prod":         "Istio ingress gateway",
	} {
		if notes := renders[profile].Notes; !strings.Contains(notes, want) {
			t.Errorf("%s: NOTES.txt does not say %q:\n%s", profile, want, notes)
		}
	}
}

// refusal is values the chart must refuse, and what its message must name.
type refusal struct{ name, values, want string }

// requireRefused renders each case's values and fails unless rendering
// fails with a message that names what to change.
func requireRefused(t *testing.T, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Render(ChartDir(), []string{writeValues(t, c.values)})
			if err == nil {
				t.Fatalf("values rendered, want an error mentioning %q:\n%s", c.want, c.values)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}
