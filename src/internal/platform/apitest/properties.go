package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// CheckProperties sends every operation of the document that takes
// parameters or a body a series of requests generated from the document:
// its example request (path parameter and body examples), then that
// request with one parameter or body field changed at a time, to the
// boundaries of each constraint and past them (lengths, ranges, enums,
// patterns, formats, types, required fields, unknown fields). The document
// itself, through libopenapi's request validator, says which of them are
// valid. A request it refuses must get a 4xx in the Error shape; a request
// it accepts must never get a 5xx. Every constraint must yield at least
// one refused request, so none goes untested. headers go on every request
// (the admin token).
func (c *Contract) CheckProperties(t *testing.T, app *fiber.App, headers map[string]string) {
	t.Helper()
	for path, item := range c.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			method = strings.ToUpper(method)
			params := append(append([]*v3.Parameter{}, item.Parameters...), op.Parameters...)
			var body *v3.MediaType
			if op.RequestBody != nil {
				body = op.RequestBody.Content.GetOrZero(fiber.MIMEApplicationJSON)
			}
			if len(params) == 0 && body == nil {
				continue
			}
			t.Run(method+" "+path, func(t *testing.T) {
				c.checkOperation(t, app, headers, method, path, params, body)
			})
		}
	}
}

// request is one generated request: what it changes, and its parts.
type request struct {
	what   string
	path   map[string]string
	query  url.Values
	header map[string]string
	body   any // nil: no body
}

func (c *Contract) checkOperation(t *testing.T, app *fiber.App, headers map[string]string, method, template string,
	params []*v3.Parameter, body *v3.MediaType,
) {
	base := exampleRequest(t, params, body)
	variants, targets := mutations(base, params, body)
	refusedBy := map[string]int{} // constrained target -> requests the document refused
	for _, r := range variants {
		valid, status, answer := c.exchange(t, app, headers, method, template, r)
		switch {
		case !valid && (status < 400 || status >= 500):
			t.Errorf("%s (refused by the document): %d %.200s, want a 4xx", r.describe(), status, answer)
		case !valid:
			refusedBy[r.what]++
			if _, err := ErrorShape(answer); err != nil {
				t.Errorf("%s: %v", r.describe(), err)
			}
		case status >= 500:
			t.Errorf("%s (valid by the document): %d %.200s", r.describe(), status, answer)
		}
	}
	for target := range targets {
		if refusedBy[target] == 0 {
			t.Errorf("no generated request broke the constraints of %s", target)
		}
	}
}

// exampleRequest is the operation's request built from the document's
// examples: its path parameters and its body.
func exampleRequest(t *testing.T, params []*v3.Parameter, body *v3.MediaType) request {
	base := request{what: "the example", path: map[string]string{}, query: url.Values{}, header: map[string]string{}}
	for _, p := range params {
		if p.In != "path" {
			continue
		}
		if p.Example == nil {
			t.Fatalf("path parameter %s has no example to build requests from", p.Name)
		}
		var v any
		if err := p.Example.Decode(&v); err != nil {
			t.Fatal(err)
		}
		base.path[p.Name] = fmt.Sprint(v)
	}
	if body != nil {
		if body.Example == nil {
			t.Fatalf("the request body has no example to build requests from")
		}
		if err := body.Example.Decode(&base.body); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// mutations are base and, for each parameter and body field, base with
// that one changed to each candidate value; targets are the parameters and
// fields whose schema constrains them, each of which some variant must
// break.
func mutations(base request, params []*v3.Parameter, body *v3.MediaType) (variants []request, targets map[string]bool) {
	variants, targets = []request{base}, map[string]bool{}
	for _, p := range params {
		s := p.Schema.Schema()
		target := p.In + " " + p.Name
		if constrained(s) {
			targets[target] = true
		}
		for _, v := range candidates(s) {
			value := fmt.Sprint(v)
			if p.In == "header" && strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				continue // not HTTP: the malformed-request tests send those over raw TCP
			}
			r := base.clone(target)
			switch p.In {
			case "path":
				r.path[p.Name] = value
			case "query":
				r.query.Set(p.Name, value)
			case "header":
				r.header[p.Name] = value
			}
			variants = append(variants, r)
		}
	}
	if body != nil {
		for _, m := range bodyMutations(body.Schema.Schema(), "body", base.body) {
			if m.constrained {
				targets[m.target] = true
			}
			r := base.clone(m.target)
			r.body = m.body
			variants = append(variants, r)
		}
	}
	return variants, targets
}

func (r request) clone(what string) request {
	c := request{what: what, path: map[string]string{}, query: url.Values{}, header: map[string]string{}, body: r.body}
	for k, v := range r.path {
		c.path[k] = v
	}
	for k, v := range r.header {
		c.header[k] = v
	}
	return c
}

func (r request) describe() string {
	parts := []string{r.what}
	if len(r.query) > 0 {
		parts = append(parts, "?"+r.query.Encode())
	}
	for k, v := range r.header {
		parts = append(parts, fmt.Sprintf("%s: %.40q", k, v))
	}
	if r.body != nil {
		raw, _ := json.Marshal(r.body)
		parts = append(parts, fmt.Sprintf("%.200s", raw))
	}
	return strings.Join(parts, " ")
}

// exchange asks the document whether r is valid, then sends it.
func (c *Contract) exchange(t *testing.T, app *fiber.App, headers map[string]string, method, template string, r request) (bool, int, string) {
	t.Helper()
	build := func() *http.Request {
		path := template
		for k, v := range r.path {
			path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		}
		var body io.Reader
		if r.body != nil {
			raw, err := json.Marshal(r.body)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(raw)
		}
		target := path
		if len(r.query) > 0 {
			target += "?" + r.query.Encode()
		}
		req := httptest.NewRequestWithContext(context.Background(), method, target, body)
		if r.body != nil {
			req.Header.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		for k, v := range r.header {
			req.Header[http.CanonicalHeaderKey(k)] = []string{v}
		}
		return req
	}
	c.mu.Lock()
	valid, _ := c.validator.ValidateHttpRequestSync(build())
	c.mu.Unlock()
	resp, err := app.Test(build(), -1)
	if err != nil {
		t.Fatalf("%s: %v", r.describe(), err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, _ := io.ReadAll(resp.Body)
	return valid, resp.StatusCode, string(answer)
}

// constrained reports whether a schema limits its values at all.
func constrained(s *base.Schema) bool {
	k := keywordsOf(s)
	return k.minimum != nil || k.maximum != nil || k.minLength != nil || k.maxLength != nil || k.pattern != "" ||
		len(k.enum) > 0 || k.format != "" || k.minItems != nil || k.maxItems != nil || k.typ == "integer" || k.typ == "boolean"
}

// keywords are the constraints of a schema and of the allOf it extends.
type keywords struct {
	typ                  string
	minimum, maximum     *float64
	minLength, maxLength *int64
	minItems, maxItems   *int64
	pattern, format      string
	enum                 []any
}

func keywordsOf(s *base.Schema) keywords {
	var k keywords
	for _, part := range append([]*base.Schema{s}, allOf(s)...) {
		if len(part.Type) > 0 && k.typ == "" {
			k.typ = part.Type[0]
		}
		k.minimum, k.maximum = first(k.minimum, part.Minimum), first(k.maximum, part.Maximum)
		k.minLength, k.maxLength = first(k.minLength, part.MinLength), first(k.maxLength, part.MaxLength)
		k.minItems, k.maxItems = first(k.minItems, part.MinItems), first(k.maxItems, part.MaxItems)
		if k.pattern == "" {
			k.pattern = part.Pattern
		}
		if k.format == "" {
			k.format = part.Format
		}
		for _, e := range part.Enum {
			var v any
			if e.Decode(&v) == nil {
				k.enum = append(k.enum, v)
			}
		}
	}
	if k.typ == "" && k.pattern != "" {
		k.typ = "string"
	}
	return k
}

func allOf(s *base.Schema) []*base.Schema {
	var parts []*base.Schema
	for _, p := range s.AllOf {
		parts = append(parts, p.Schema())
	}
	return parts
}

func first[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// nastyText is what a pattern is tried with: control and formatting
// characters, separators, markup, paths, other scripts and cases.
var nastyText = []string{
	"", " ", "a", "A", "ab", "AB", "ZZ", "gb", "abc", "ABC", "a-b", "-a", "a b", "1", "../x", "x/y",
	"x\u0000y", "x\u0007", "x\u0085y", "x\u202ey", "x\u2066y", "x\u200by", "x\u2028y", "x\ty", "x\ny",
	"Zoë", "日本", "<script>", "ann@example.com", "not-an-email",
}

// candidates are the values tried for a parameter or field: each
// boundary, a step past it, and values of other types.
func candidates(s *base.Schema) []any {
	k := keywordsOf(s)
	var out []any
	switch k.typ {
	case "integer", "number":
		for _, b := range []*float64{k.minimum, k.maximum} {
			if b != nil {
				out = append(out, int64(*b))
			}
		}
		if k.minimum != nil {
			out = append(out, int64(*k.minimum)-1)
		}
		if k.maximum != nil {
			out = append(out, int64(*k.maximum)+1)
		}
		out = append(out, "x", 1.5, "1e3")
	case "boolean":
		out = append(out, true, false, "maybe")
	case "string":
		if k.maxLength != nil {
			out = append(out, strings.Repeat("a", int(*k.maxLength)), strings.Repeat("a", int(*k.maxLength)+1))
		}
		if k.minLength != nil && *k.minLength > 0 {
			out = append(out, strings.Repeat("a", int(*k.minLength)-1))
		}
		if k.pattern != "" || k.format != "" {
			for _, v := range nastyText {
				out = append(out, v)
			}
		}
		if k.typ == "string" && k.format == "uuid" {
			out = append(out, "6f1c1f36-0d5e-4c43-9a57-2f0e8d1c7b1")
		}
	}
	out = append(out, k.enum...)
	if len(k.enum) > 0 {
		out = append(out, "not-one-of-them", strings.ToUpper(fmt.Sprint(k.enum[0])))
	}
	return out
}

// mutation is the example body with one field changed.
type mutation struct {
	target      string
	constrained bool
	body        any
}

// bodyMutations changes one field of example at a time, recursively: each
// candidate value, null, a value of another type, the field left out, and
// an unknown field next to it.
func bodyMutations(s *base.Schema, target string, example any) []mutation {
	var out []mutation
	k := keywordsOf(s)
	switch example := example.(type) {
	case map[string]any:
		extra := clone(example).(map[string]any)
		extra["unknown_field"] = 1
		out = append(out, mutation{target: target + ".unknown_field", constrained: true, body: extra})
		names := make([]string, 0)
		if s.Properties != nil {
			for name := range s.Properties.KeysFromOldest() {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		for _, name := range names {
			field := s.Properties.GetOrZero(name).Schema()
			sub := target + "." + name
			for _, m := range bodyMutations(field, sub, example[name]) {
				changed := clone(example).(map[string]any)
				changed[name] = m.body
				out = append(out, mutation{target: m.target, constrained: m.constrained, body: changed})
			}
			without := clone(example).(map[string]any)
			delete(without, name)
			required := false
			for _, r := range s.Required {
				required = required || r == name
			}
			out = append(out, mutation{target: sub, constrained: required, body: without})
		}
	case []any:
		if k.minItems != nil && *k.minItems > 0 {
			out = append(out, mutation{target: target, constrained: true, body: []any{}})
		}
		if k.maxItems != nil && len(example) > 0 {
			long := make([]any, *k.maxItems+1)
			for i := range long {
				long[i] = clone(example[i%len(example)])
			}
			out = append(out, mutation{target: target, constrained: true, body: long})
		}
		if len(example) > 0 && s.Items != nil && s.Items.IsA() {
			for _, m := range bodyMutations(s.Items.A.Schema(), target+"[0]", example[0]) {
				changed := clone(example).([]any)
				changed[0] = m.body
				out = append(out, mutation{target: m.target, constrained: m.constrained, body: changed})
			}
		}
	default:
		c := constrained(s)
		for _, v := range candidates(s) {
			out = append(out, mutation{target: target, constrained: c, body: v})
		}
		out = append(out, mutation{target: target, constrained: c, body: nil}, mutation{target: target, constrained: c, body: []any{}})
	}
	return out
}

func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = clone(e)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = clone(e)
		}
		return c
	}
	return v
}
