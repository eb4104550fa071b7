//go:build charttest

package charttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestServiceSchemasCurrent keeps every service chart's values.schema.json
// what the shared schema and the service's own part generate, and the
// generated parts of the umbrella's (the service entries,
// global.serviceDefaults, loadgenerator's shared properties) current.
// SHOP_UPDATE_CHART_SCHEMAS=1 (make chart-schemas) rewrites them.
func TestServiceSchemasCurrent(t *testing.T) {
	names, err := ServiceCharts()
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Sorted(slices.Values(Services))
	if !slices.Equal(names, sorted) {
		t.Errorf("service charts with a %s: %v, want %v", serviceSchemaFile, names, sorted)
	}
	want := map[string][]byte{}
	for _, s := range names {
		b, err := ServiceSchema(s)
		if err != nil {
			t.Fatal(err)
		}
		want[filepath.Join(ChartDir(), "charts", s, "values.schema.json")] = b
	}
	umbrella := filepath.Join(ChartDir(), "values.schema.json")
	current, err := os.ReadFile(umbrella)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := os.ReadFile(filepath.Join(ChartDir(), "charts", "shop-lib", sharedSchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	if want[umbrella], err = UmbrellaSchema(current, shared, names); err != nil {
		t.Fatal(err)
	}
	for path, b := range want {
		got, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if string(got) == string(b) {
			continue
		}
		rel, _ := filepath.Rel(RepoRoot(), path)
		if os.Getenv("SHOP_UPDATE_CHART_SCHEMAS") == "1" {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s rewritten", rel)
			continue
		}
		t.Errorf("%s is out of date: run `make chart-schemas`", rel)
	}
}

// TestMergeSchema proves the generator puts the shared properties, none
// required at any depth, before a service's own ones and required keys,
// and refuses a service that redefines a shared property or sets anything
// else.
func TestMergeSchema(t *testing.T) {
	shared := []byte(`{"$comment": "x", "$schema": "s", "title": "t", "required": ["port"], "properties": {"global": {}, "port": {"type": "integer"}, "image": {"type": "object", "required": ["tag"], "properties": {"tag": {"type": "string"}}}}}`)
	got, err := MergeSchema("demo", shared, []byte(`{"properties": {"flag": {"type": "boolean"}}, "required": ["flag"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Title      string
		Required   []string
		Properties map[string]struct {
			Required []string
		}
	}
	if err := json.Unmarshal(got, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Title != "Values of the demo chart" || !slices.Equal(schema.Required, []string{"flag"}) {
		t.Errorf("title %q, required %v, want the demo chart's and [flag]:\n%s", schema.Title, schema.Required, got)
	}
	for _, key := range []string{"global", "enabled", "shop-lib", "port", "image", "flag"} {
		if _, ok := schema.Properties[key]; !ok {
			t.Errorf("no property %s:\n%s", key, got)
		}
	}
	if r := schema.Properties["image"].Required; len(r) > 0 {
		t.Errorf("image requires %v: a service's values are merged over the defaults and need not repeat them", r)
	}
	for _, own := range []string{`{"properties": {"port": {"type": "string"}}}`, `{"additionalProperties": true}`} {
		if _, err := MergeSchema("demo", shared, []byte(own)); err == nil {
			t.Errorf("%s is accepted", own)
		}
	}
}
