package platform

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.yaml.in/yaml/v3"
)

// OpenAPIPath is where every HTTP API serves its OpenAPI document.
const OpenAPIPath = "/openapi.json"

// commonOpenAPI is the part of every service's document the platform
// owns: the routes NewApp registers and the error shape.
//
//go:embed openapi.yaml
var commonOpenAPI []byte

// ServeOpenAPI serves a service's OpenAPI 3.1 document at /openapi.json:
// doc, the YAML file next to the service, merged with the platform's part
// (the /health, /ready, /metrics and /openapi.json routes, the Error
// schema and the shared responses), every operation given the Error
// response as its default. The JSON is built once, here.
//
// It panics if doc is not a valid document or collides with the
// platform's part: doc is embedded in the binary, so that is a mistake of
// the service's code, which every test of the service catches, like a
// regexp.MustCompile of a constant.
func ServeOpenAPI(app *fiber.App, doc []byte) {
	served, err := openAPIDocument(doc)
	if err != nil {
		panic(fmt.Sprintf("the embedded OpenAPI document: %v", err))
	}
	app.Get(OpenAPIPath, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(served)
	})
}

// openAPIDocument is the JSON ServeOpenAPI serves for doc.
func openAPIDocument(doc []byte) ([]byte, error) {
	service, err := yamlObject(doc)
	if err != nil {
		return nil, fmt.Errorf("the service's document: %w", err)
	}
	common, err := yamlObject(commonOpenAPI)
	if err != nil {
		return nil, fmt.Errorf("the platform's part: %w", err)
	}
	if v, _ := service["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		return nil, fmt.Errorf("openapi is %q, want 3.1.x", v)
	}
	paths, _ := service["paths"].(map[string]any)
	if len(paths) == 0 {
		return nil, errors.New("the document has no paths")
	}
	if err := mergeInto(service, "paths", common["paths"]); err != nil {
		return nil, err
	}
	for _, item := range paths {
		for _, op := range item.(map[string]any) {
			if op, ok := op.(map[string]any); ok {
				if responses, ok := op["responses"].(map[string]any); ok && responses["default"] == nil {
					responses["default"] = map[string]any{"$ref": "#/components/responses/Error"}
				}
			}
		}
	}
	components, _ := service["components"].(map[string]any)
	if components == nil {
		components = map[string]any{}
		service["components"] = components
	}
	for section, entries := range common["components"].(map[string]any) {
		if err := mergeInto(components, section, entries); err != nil {
			return nil, fmt.Errorf("components: %w", err)
		}
	}
	return json.MarshalIndent(service, "", "  ")
}

// mergeInto adds the entries of from to the map at into[key], refusing an
// entry both have.
func mergeInto(into map[string]any, key string, from any) error {
	dst, _ := into[key].(map[string]any)
	if dst == nil {
		dst = map[string]any{}
		into[key] = dst
	}
	for name, v := range from.(map[string]any) {
		if _, taken := dst[name]; taken {
			return fmt.Errorf("%s %q is the platform's, the service's document defines it too", key, name)
		}
		dst[name] = v
	}
	return nil
}

// yamlObject parses a YAML mapping into JSON-compatible values.
func yamlObject(raw []byte) (map[string]any, error) {
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	v, err := jsonCompatible(v)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a mapping")
	}
	return m, nil
}

// jsonCompatible turns YAML's maps with non-string keys (a response code
// written 200 rather than '200') into JSON objects.
func jsonCompatible(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	}
	return v, nil
}
