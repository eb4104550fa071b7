package platform

import (
	"encoding/json"
	"strings"
	"testing"
)

const serviceDoc = `
openapi: 3.1.1
info: {title: t, version: '1'}
paths:
  /things:
    get:
      responses:
        200: {description: ok}
`

// The served document is the service's with the platform's routes and
// components merged in, and the Error response as every operation's
// default, the platform's own included.
func TestOpenAPIDocumentMergesThePlatformsPart(t *testing.T) {
	raw, err := openAPIDocument([]byte(serviceDoc))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/things", HealthPath, ReadyPath, MetricsPath, OpenAPIPath} {
		get, ok := doc.Paths[path]["get"]
		if !ok || get.Responses["default"] == nil {
			t.Errorf("GET %s missing, or without the default error response: %s", path, raw)
		}
	}
	if doc.Paths["/things"]["get"].Responses["200"] == nil || doc.Components.Schemas["Error"] == nil {
		t.Errorf("the service's response or the Error schema is missing: %s", raw)
	}
}

func TestOpenAPIDocumentRefusesAClashOrAnotherVersion(t *testing.T) {
	for what, doc := range map[string]string{
		"a platform path":   serviceDoc + "  /health:\n    get:\n      responses:\n        200: {description: ok}\n",
		"a platform schema": serviceDoc + "components:\n  schemas:\n    Error: {type: object}\n",
		"OpenAPI 3.0":       strings.Replace(serviceDoc, "3.1.1", "3.0.3", 1),
		"no paths":          "openapi: 3.1.1\ninfo: {title: t, version: '1'}\n",
		"not YAML":          "openapi: [",
	} {
		if _, err := openAPIDocument([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
