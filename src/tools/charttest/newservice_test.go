//go:build charttest

package charttest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// reviewChart is a sixth service's directory as a developer writes it:
// its Chart.yaml, what differs in its values, its own schema part and its
// environment. Everything else comes from the library chart.
var reviewChart = map[string]string{
	"Chart.yaml": `apiVersion: v2
name: review
description: The Shop review service.
type: application
version: 0.1.0
appVersion: "0.1.0"
dependencies:
  - name: shop-lib
    version: 0.1.0
    repository: ""
`,
	"values.yaml": `# -- Install the review service.
enabled: true
image:
  # -- Image repository.
  repository: shop-platform/review
# -- HTTP port the service listens on (PORT).
port: 5007
service:
  # -- Service port.
  port: 5007
database:
  # -- PostgreSQL database of the review service.
  name: reviews
rabbitmq:
  # -- Prefix of its queues.
  queuePrefix: review.
  # -- It publishes events.
  publishes: true
`,
	"values.schema.service.json": `{"properties": {}, "required": ["enabled", "image", "port", "service"]}`,
	"templates/_env.tpl": `{{- define "review.env" -}}
{{ include "shop-lib.tracingEnv" . }}
{{ include "shop-lib.postgresqlEnv" . }}
{{ include "shop-lib.rabbitmqEnv" . }}
{{- end }}
`,
	"templates/service.yaml": `{{- include "shop-lib.serviceChart" (dict "ctx" . "env" "review.env") }}` + "\n",
}

// TestAddingAServiceTakesOneDirectoryAndTwoEntries adds a review service
// to a copy of the chart the way the README says (its directory, its entry
// in Chart.yaml, its row of the access matrix in values.yaml, then `make
// chart-schemas`) and renders it with every feature on: it runs hardened
// from the shared defaults, gets its Service, ServiceMonitor and
// NetworkPolicy, its own role and database in the bundled PostgreSQL and its
// own user in the bundled RabbitMQ. Outside its directory exactly those two
// files and the generated umbrella schema change.
func TestAddingAServiceTakesOneDirectoryAndTwoEntries(t *testing.T) {
	tmp := t.TempDir()
	if out, err := exec.Command("cp", "-a", ChartDir(), tmp).CombinedOutput(); err != nil {
		t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	chartDir := filepath.Join(tmp, "shop")
	svcDir := filepath.Join(chartDir, "charts", "review")
	for name, content := range reviewChart {
		write(t, filepath.Join(svcDir, name), content)
	}
	if err := os.MkdirAll(filepath.Join(svcDir, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../shop-lib", filepath.Join(svcDir, "charts", "shop-lib")); err != nil {
		t.Fatal(err)
	}
	shared := read(t, filepath.Join(chartDir, "charts", "shop-lib", sharedSchemaFile))
	schema, err := MergeSchema("review", shared, []byte(reviewChart["values.schema.service.json"]))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(svcDir, "values.schema.json"), string(schema))

	// The two entries.
	chartYAML := filepath.Join(chartDir, "Chart.yaml")
	write(t, chartYAML, strings.Replace(string(read(t, chartYAML)), "    condition: payment.enabled\n",
		"    condition: payment.enabled\n  - name: review\n    version: 0.1.0\n    repository: \"\"\n    condition: review.enabled\n", 1))
	valuesYAML := filepath.Join(chartDir, "values.yaml")
	access := `  review:
    # -- Data stores the review service connects to.
    uses: [postgresql, rabbitmq]
    # -- Services that may call it: the order service reads reviews.
    callers:
      - from: order
        methods: [POST]
        paths: [/reviews, /reviews/*]
    # -- Admin paths (none).
    admin: []
`
	values := string(read(t, valuesYAML))
	if !strings.Contains(values, "\n  frontend:\n    # -- Data stores the frontend") {
		t.Fatal("values.yaml's access matrix has moved: update this test")
	}
	write(t, valuesYAML, strings.Replace(values, "\n  frontend:\n    # -- Data stores the frontend", "\n"+access+"  frontend:\n    # -- Data stores the frontend", 1))
	// make chart-schemas
	umbrellaSchema := filepath.Join(chartDir, "values.schema.json")
	names := append(slices.Clone(Services), "review")
	slices.Sort(names)
	generated, err := UmbrellaSchema(read(t, umbrellaSchema), shared, names)
	if err != nil {
		t.Fatal(err)
	}
	write(t, umbrellaSchema, string(generated))

	r, err := Render(chartDir, []string{filepath.Join(chartDir, "values-staging.yaml"), writeValues(t, "networkPolicy:\n  enabled: true\nmonitoring:\n  enabled: true\n")})
	if err != nil {
		t.Fatalf("the chart with a review service does not render: %v", err)
	}
	d := r.Find("Deployment", "shop-review")
	if d == nil {
		t.Fatal("no Deployment shop-review")
	}
	if v, _ := WorkloadViolations(d); len(v) > 0 {
		t.Errorf("shop-review breaks the hardening rules: %v", v)
	}
	c, spec := container(t, d)
	if port, _ := envOf(c, "PORT"); port != "5007" || len(spec.TopologySpreadConstraints) == 0 {
		t.Errorf("shop-review: PORT %q, spread %v: want its port and staging's shared defaults", port, spec.TopologySpreadConstraints)
	}
	if dsn, _ := envOf(c, "DATABASE_URL"); !strings.HasPrefix(dsn, "postgres://reviews@shop-postgresql:5432/reviews?sslmode=verify-full") {
		t.Errorf("shop-review's DATABASE_URL %q: want its own role and database, verified TLS", dsn)
	}
	for _, kind := range []string{"Service", "ServiceAccount", "ServiceMonitor", "NetworkPolicy", "PodDisruptionBudget"} {
		if r.Find(kind, "shop-review") == nil {
			t.Errorf("no %s shop-review", kind)
		}
	}
	if roles := bootstrapConf(t, r, "shop-postgresql-bootstrap", "shop-roles.conf"); !slices.Contains(roles, "role reviews reviews") {
		t.Errorf("the bundled PostgreSQL makes no role for review: %v", roles)
	}
	if users := strings.Join(bootstrapConf(t, r, "shop-rabbitmq-bootstrap", "shop-users.conf"), "\n"); !strings.Contains(users, `user review ^(shop\.events|shop\.events\.dlx|review\..*)$`) {
		t.Errorf("the bundled RabbitMQ makes no user for review:\n%s", users)
	}
	data, _, _ := unstructured.NestedStringMap(r.Find("Secret", "shop-postgresql-auth").Object, "data")
	if _, ok := data["reviews"]; !ok {
		t.Error("no password is generated for review's role")
	}

	changed := changedFiles(t, ChartDir(), chartDir, "charts/review/")
	if want := []string{"Chart.yaml", "values.schema.json", "values.yaml"}; !slices.Equal(changed, want) {
		t.Errorf("adding a service changes %v outside its directory, want %v", changed, want)
	}
	t.Logf("files changed outside charts/review/ for the chart to render it: %v (values.schema.json by make chart-schemas); then make chart-lock chart-docs chart-examples regenerate Chart.lock, README.md and examples/, and the harness's ServiceEnvs needs its config struct", changed)
}

// changedFiles lists the files under b that differ from or are missing in
// a, relative to b, outside the directory skip.
func changedFiles(t *testing.T, a, b, skip string) []string {
	t.Helper()
	var changed []string
	err := filepath.WalkDir(b, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		rel, _ := filepath.Rel(b, path)
		if strings.HasPrefix(rel, skip) {
			return nil
		}
		old, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil || !bytes.Equal(old, read(t, path)) {
			changed = append(changed, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(changed)
	return changed
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
