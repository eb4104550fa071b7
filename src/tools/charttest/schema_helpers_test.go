//go:build charttest

package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The service charts' values.schema.json files are generated: the schema of
// the shared defaults lives once in the library chart (its own
// values.schema.json, with which Helm validates the defaults), each
// service's own properties beside its chart (values.schema.service.json),
// so a fifth service adds only what is its own. A service's values, like
// global.serviceDefaults and loadgenerator in the umbrella, are merged over
// the defaults, so their schemas have the same properties and require none.
const (
	sharedSchemaFile  = "values.schema.json"
	serviceSchemaFile = "values.schema.service.json"
)

// serviceIdentity are the shared keys that name one service, which
// global.serviceDefaults must not set for all of them.
var serviceIdentity = []string{"nameOverride", "fullnameOverride", "port"}

// member is one key and its raw value of a JSON object, in file order.
type member struct {
	Key   string
	Value json.RawMessage
}

// object is a JSON object that keeps its keys' order, so generated files
// read like the sources.
type object []member

func (o object) get(key string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

func (o *object) set(key string, v json.RawMessage) {
	for i, m := range *o {
		if m.Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, member{key, v})
}

func (o object) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// decodeObject reads a JSON object, keeping the order of its keys.
func decodeObject(raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var o object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o = append(o, member{tok.(string), v})
	}
	return o, nil
}

// ServiceSchema is the values.schema.json of a service chart: the shared
// properties, none required, then the service's own properties and its
// required keys.
func ServiceSchema(service string) ([]byte, error) {
	charts := filepath.Join(ChartDir(), "charts")
	sharedRaw, err := os.ReadFile(filepath.Join(charts, "shop-lib", sharedSchemaFile))
	if err != nil {
		return nil, err
	}
	ownRaw, err := os.ReadFile(filepath.Join(charts, service, serviceSchemaFile))
	if err != nil {
		return nil, err
	}
	return MergeSchema(service, sharedRaw, ownRaw)
}

// unrequired is a schema without `required`, here and in the schemas of its
// properties at any depth: the schema of values merged over complete
// defaults, where any key may be left out. The schemas of list items keep
// theirs, since a list replaces the default's whole.
func unrequired(raw json.RawMessage) (json.RawMessage, error) {
	o, err := decodeObject(raw)
	if err != nil {
		return raw, nil
	}
	var out object
	for _, m := range o {
		switch m.Key {
		case "required":
			continue
		case "properties":
			props, err := decodeObject(m.Value)
			if err != nil {
				return nil, err
			}
			for i := range props {
				if props[i].Value, err = unrequired(props[i].Value); err != nil {
					return nil, err
				}
			}
			m.Value = props.marshal()
		}
		out = append(out, m)
	}
	return out.marshal(), nil
}

// sharedProperties are the shared schema's properties as a layer over the
// defaults sees them (unrequired), without the ones Helm injects and those
// in drop.
func sharedProperties(sharedRaw []byte, drop ...string) (object, error) {
	shared, err := decodeObject(sharedRaw)
	if err != nil {
		return nil, fmt.Errorf("shop-lib/%s: %w", sharedSchemaFile, err)
	}
	raw, _ := shared.get("properties")
	props, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	var out object
	for _, m := range props {
		if m.Key == "global" || slices.Contains(drop, m.Key) {
			continue
		}
		v, err := unrequired(m.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, member{m.Key, v})
	}
	return out, nil
}

// raw marshals a Go value the generator writes.
func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// MergeSchema is the schema of a service chart from the shared schema and
// the service's own part.
func MergeSchema(service string, sharedRaw, ownRaw []byte) ([]byte, error) {
	shared, err := decodeObject(sharedRaw)
	if err != nil {
		return nil, fmt.Errorf("shop-lib/%s: %w", sharedSchemaFile, err)
	}
	own, err := decodeObject(ownRaw)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", service, serviceSchemaFile, err)
	}
	for _, m := range own {
		if m.Key != "properties" && m.Key != "required" && m.Key != "$comment" {
			return nil, fmt.Errorf("%s/%s: only properties and required may be set, not %s", service, serviceSchemaFile, m.Key)
		}
	}
	props := object{
		{"global", raw(map[string]any{"type": "object", "additionalProperties": true, "description": "Injected by Helm from the umbrella chart."})},
		{"enabled", raw(map[string]any{"type": "boolean", "description": "The umbrella chart's condition."})},
		{"shop-lib", raw(map[string]any{"type": "object", "additionalProperties": true, "description": "The shared defaults, injected by Helm for the library chart, which validates them with its own schema."})},
	}
	common, err := sharedProperties(sharedRaw)
	if err != nil {
		return nil, err
	}
	props = append(props, common...)
	if ownProps, ok := own.get("properties"); ok {
		extra, err := decodeObject(ownProps)
		if err != nil {
			return nil, err
		}
		for _, m := range extra {
			if _, dup := props.get(m.Key); dup {
				return nil, fmt.Errorf("%s/%s redefines the shared property %s", service, serviceSchemaFile, m.Key)
			}
			props = append(props, m)
		}
	}
	out := object{
		{"$comment", raw("Generated by `make chart-schemas` from charts/shop-lib/" + sharedSchemaFile + " and " + serviceSchemaFile + ": edit those.")},
	}
	if s, ok := shared.get("$schema"); ok {
		out = append(out, member{"$schema", s})
	}
	out = append(out, member{"title", raw("Values of the " + service + " chart")}, member{"type", raw("object")}, member{"additionalProperties", raw(false)})
	if req, ok := own.get("required"); ok {
		out = append(out, member{"required", req})
	}
	out = append(out, member{"properties", props.marshal()})
	return indent(out.marshal())
}

// indent formats a generated schema as the committed files are.
func indent(b []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// UmbrellaSchema returns the umbrella chart's values.schema.json with its
// generated parts current: an entry per service chart (validated in full
// by the chart's own schema), global.serviceDefaults (the shared
// properties but those naming one service) and the shared properties of
// loadgenerator after its own ones. Everything else is the file's.
func UmbrellaSchema(current, sharedRaw []byte, services []string) ([]byte, error) {
	doc, err := decodeObject(current)
	if err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	propsRaw, _ := doc.get("properties")
	props, err := decodeObject(propsRaw)
	if err != nil {
		return nil, err
	}
	var top object
	for _, m := range props {
		if slices.Contains(services, m.Key) {
			continue
		}
		top = append(top, m)
		if m.Key == "shop-lib" {
			for _, s := range services {
				top = append(top, member{s, raw(map[string]any{
					"type": "object", "additionalProperties": true,
					"properties":  map[string]any{"enabled": map[string]any{"type": "boolean"}},
					"description": "Values of the " + s + " chart (validated by its own schema).",
				})})
			}
		}
	}
	defaults, err := sharedProperties(sharedRaw, serviceIdentity...)
	if err != nil {
		return nil, err
	}
	if err := setNested(top, defaults, "global", "serviceDefaults"); err != nil {
		return nil, err
	}
	lgShared, err := sharedProperties(sharedRaw, "port")
	if err != nil {
		return nil, err
	}
	if err := setNested(top, lgShared, "loadgenerator"); err != nil {
		return nil, err
	}
	doc.set("properties", top.marshal())
	return indent(doc.marshal())
}

// setNested makes the object schema at path of the properties props hold
// the shared properties given, after its own ones (those it has that are
// not shared), with no other property allowed.
func setNested(props object, shared object, path ...string) error {
	for i, m := range props {
		if m.Key != path[0] {
			continue
		}
		schema, err := decodeObject(m.Value)
		if err != nil {
			return err
		}
		if len(path) > 1 {
			inner, _ := schema.get("properties")
			innerProps, err := decodeObject(inner)
			if err != nil {
				return err
			}
			if _, ok := innerProps.get(path[1]); !ok {
				innerProps = append(innerProps, member{path[1], raw(map[string]any{"type": "object"})})
			}
			if err := setNested(innerProps, shared, path[1:]...); err != nil {
				return err
			}
			schema.set("properties", innerProps.marshal())
			props[i].Value = schema.marshal()
			return nil
		}
		var own object
		if existing, ok := schema.get("properties"); ok {
			all, err := decodeObject(existing)
			if err != nil {
				return err
			}
			for _, p := range all {
				if _, isShared := shared.get(p.Key); !isShared {
					own = append(own, p)
				}
			}
		}
		schema.set("additionalProperties", raw(false))
		schema.set("properties", append(own, shared...).marshal())
		props[i].Value = schema.marshal()
		return nil
	}
	return fmt.Errorf("values.schema.json has no property %s", path[0])
}

// ServiceCharts lists the service charts: the directories under
// charts/shop/charts/ with a values.schema.service.json.
func ServiceCharts() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(ChartDir(), "charts", "*", serviceSchemaFile))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(filepath.Dir(f)))
	}
	return names, nil
}
