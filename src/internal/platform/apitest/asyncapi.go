package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// Events is the AsyncAPI 3 document of the events, loaded for tests: each
// message's payload (the whole CloudEvents envelope, its data included)
// compiled as JSON Schema (AsyncAPI's default schema format, a superset of
// draft 7), and its examples.
type Events struct {
	doc      map[string]any
	schemas  map[string]*jsonschema.Schema // by event type
	examples map[string][][]byte           // by event type, whole envelopes
	byKey    map[string]string             // message key -> event type
}

// LoadEvents parses the document and checks what the services rely on:
// AsyncAPI 3.0.0, every operation's channel and every channel's messages
// defined, every message named by its event type with a payload and at
// least one example, and every example valid against its payload.
func LoadEvents(t testing.TB, raw []byte) *Events {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the AsyncAPI document does not parse: %v", err)
	}
	if doc["asyncapi"] != "3.0.0" {
		t.Fatalf("asyncapi is %v, want 3.0.0", doc["asyncapi"])
	}
	asJSON, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("the AsyncAPI document is not JSON-compatible: %v", err)
	}
	resource, err := jsonschema.UnmarshalJSON(bytes.NewReader(asJSON))
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft7)
	compiler.AssertFormat()
	if err := compiler.AddResource("asyncapi.json", resource); err != nil {
		t.Fatal(err)
	}
	e := &Events{doc: doc, schemas: map[string]*jsonschema.Schema{}, examples: map[string][][]byte{}, byKey: map[string]string{}}
	for key, m := range mapAt(doc, "components", "messages") {
		message := m.(map[string]any)
		eventType, _ := message["name"].(string)
		if eventType == "" || message["payload"] == nil {
			t.Fatalf("message %s needs its event type as name and a payload", key)
		}
		schema, err := compiler.Compile("asyncapi.json#/components/messages/" + key + "/payload")
		if err != nil {
			t.Fatalf("the payload of message %s does not compile: %v", key, err)
		}
		e.schemas[eventType], e.byKey[key] = schema, eventType
		examples, _ := message["examples"].([]any)
		if len(examples) == 0 {
			t.Errorf("message %s has no example", key)
		}
		for _, x := range examples {
			envelope, err := json.Marshal(x.(map[string]any)["payload"])
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Validate(envelope); err != nil {
				t.Errorf("the example of message %s does not validate: %v", key, err)
			}
			e.examples[eventType] = append(e.examples[eventType], envelope)
		}
	}
	for name, c := range mapAt(doc, "channels") {
		for key, ref := range mapAt(c.(map[string]any), "messages") {
			target := strings.TrimPrefix(ref.(map[string]any)["$ref"].(string), "#/components/messages/")
			if _, ok := e.byKey[target]; !ok {
				t.Errorf("channel %s names message %s (%s), which is not defined", name, key, target)
			}
		}
	}
	for name, op := range mapAt(doc, "operations") {
		if _, ok := mapAt(doc, "channels")[channelOf(op)]; !ok {
			t.Errorf("operation %s names channel %q, which is not defined", name, channelOf(op))
		}
	}
	return e
}

// Types are the event types the document defines.
func (e *Events) Types() []string {
	var types []string
	for t := range e.schemas {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Validate checks a whole event, envelope and data, against the payload
// of the message its type names.
func (e *Events) Validate(envelope []byte) error {
	var head struct{ Type string }
	if err := json.Unmarshal(envelope, &head); err != nil {
		return fmt.Errorf("not an event: %w", err)
	}
	schema, ok := e.schemas[head.Type]
	if !ok {
		return fmt.Errorf("type %q is not in the AsyncAPI document", head.Type)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(envelope))
	if err != nil {
		return err
	}
	if err := schema.Validate(v); err != nil {
		return fmt.Errorf("%s: %w", head.Type, err)
	}
	return nil
}

// Examples are the example events of a type, whole envelopes.
func (e *Events) Examples(eventType string) [][]byte { return e.examples[eventType] }

// Received are the event types the receive operations of consumer take
// (x-consumer), by the queue (channel address) they arrive on.
func (e *Events) Received(consumer string) map[string][]string {
	return e.operations("receive", "x-consumer", consumer)
}

// Sent are the event types the send operations of producer publish
// (x-producer), by routing key.
func (e *Events) Sent(producer string) map[string][]string {
	return e.operations("send", "x-producer", producer)
}

func (e *Events) operations(action, role, service string) map[string][]string {
	out := map[string][]string{}
	for _, op := range mapAt(e.doc, "operations") {
		o := op.(map[string]any)
		if o["action"] != action || o[role] != service {
			continue
		}
		channel := mapAt(e.doc, "channels")[channelOf(op)].(map[string]any)
		address := channel["address"].(string)
		for _, ref := range mapAt(channel, "messages") {
			key := strings.TrimPrefix(ref.(map[string]any)["$ref"].(string), "#/components/messages/")
			out[address] = append(out[address], e.byKey[key])
		}
		slices.Sort(out[address])
	}
	return out
}

func channelOf(op any) string {
	ref, _ := op.(map[string]any)["channel"].(map[string]any)["$ref"].(string)
	return strings.TrimPrefix(ref, "#/channels/")
}

// mapAt walks nested mappings by key; a missing one is empty.
func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}
