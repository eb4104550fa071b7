package apitest

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// UpdateReferenceEnv names the variable that makes CheckReference write
// the reference instead of comparing it.
const UpdateReferenceEnv = "SHOP_UPDATE_API_DOCS"

// CheckReference compares the Markdown reference of the document
// (Reference) with the file at path, so the reference in docs/ cannot
// drift from the document the service serves. With SHOP_UPDATE_API_DOCS=1
// it writes the file instead.
func (c *Contract) CheckReference(t *testing.T, path, source string) {
	t.Helper()
	want := c.Reference(source)
	if os.Getenv(UpdateReferenceEnv) == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("%s is not the reference of the OpenAPI document (%v): regenerate it with %s=1 go test -run %s ./%s",
			path, err, UpdateReferenceEnv, t.Name(), strings.TrimSuffix(source, "/openapi.yaml"))
	}
}

// Reference renders the document as Markdown: each operation with its
// parameters, body fields (with their types and limits) and responses.
// source is the document's file in the repository.
func (c *Contract) Reference(source string) string {
	var b strings.Builder
	info := c.Model.Info
	fmt.Fprintf(&b, "# %s API\n\n", info.Title)
	fmt.Fprintf(&b, "<!-- Generated from %s by the service's tests (apitest.CheckReference); do not edit. -->\n\n", source)
	fmt.Fprintf(&b, "%s %s\n\n", info.Summary, strings.TrimSpace(info.Description))
	fmt.Fprintf(&b, "The document itself: `GET /openapi.json` on the service, source [`%s`](../../%s). "+
		"Every error is the [error shape](README.md#errors).\n", source, source)
	for path, item := range c.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			fmt.Fprintf(&b, "\n## `%s %s`\n\n%s.", strings.ToUpper(method), path, op.Summary)
			if len(op.Security) > 0 {
				b.WriteString(" Needs `Authorization: Bearer <ADMIN_TOKEN>`.")
			}
			if d := strings.TrimSpace(op.Description); d != "" {
				fmt.Fprintf(&b, " %s", d)
			}
			b.WriteString("\n")
			params := append(append([]*v3.Parameter{}, item.Parameters...), op.Parameters...)
			if len(params) > 0 {
				b.WriteString("\n| parameter | in | value | meaning |\n|---|---|---|---|\n")
				for _, p := range params {
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, p.In, limits(p.Schema.Schema(), p.Required != nil && *p.Required), cell(p.Description))
				}
			}
			if op.RequestBody != nil {
				if mt := op.RequestBody.Content.GetOrZero("application/json"); mt != nil {
					b.WriteString("\nBody (`application/json`):\n\n| field | value | meaning |\n|---|---|---|\n")
					fields(&b, mt.Schema.Schema(), "")
				}
			}
			b.WriteString("\n| status | meaning |\n|---|---|\n")
			codes := []string{}
			for code := range op.Responses.Codes.KeysFromOldest() {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				fmt.Fprintf(&b, "| %s | %s |\n", code, cell(op.Responses.Codes.GetOrZero(code).Description))
			}
			if op.Responses.Default != nil {
				b.WriteString("| other | the error shape: a malformed request, a method the path does not allow, a body over the limit, an outage |\n")
			}
		}
	}
	return b.String()
}

// fields lists the fields of an object schema, nested ones by their path.
func fields(b *strings.Builder, s *base.Schema, prefix string) {
	if s.Properties == nil {
		return
	}
	for name, proxy := range s.Properties.FromOldest() {
		field := proxy.Schema()
		path := prefix + name
		required := false
		for _, r := range s.Required {
			required = required || r == name
		}
		switch {
		case field.Properties != nil:
			fmt.Fprintf(b, "| `%s` | object%s | %s |\n", path, requiredMark(required), cell(field.Description))
			fields(b, field, path+".")
		case field.Items != nil && field.Items.IsA() && field.Items.A.Schema().Properties != nil:
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", path, limits(field, required), cell(field.Description))
			fields(b, field.Items.A.Schema(), path+"[].")
		default:
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", path, limits(field, required), cell(field.Description))
		}
	}
}

// limits says in words what values a schema admits.
func limits(s *base.Schema, required bool) string {
	k := keywordsOf(s)
	var parts []string
	typ := strings.Join(s.Type, " or ")
	if typ == "" {
		typ = k.typ
	}
	if typ != "" {
		parts = append(parts, typ)
	}
	if k.format != "" {
		parts = append(parts, k.format)
	}
	switch {
	case k.minimum != nil && k.maximum != nil:
		parts = append(parts, number(*k.minimum)+" to "+number(*k.maximum))
	case k.minimum != nil:
		parts = append(parts, "at least "+number(*k.minimum))
	}
	switch {
	case k.minLength != nil && *k.minLength > 0 && k.maxLength != nil:
		parts = append(parts, fmt.Sprintf("%d to %d characters", *k.minLength, *k.maxLength))
	case k.maxLength != nil:
		parts = append(parts, fmt.Sprintf("at most %d characters", *k.maxLength))
	}
	if k.minItems != nil && k.maxItems != nil {
		parts = append(parts, fmt.Sprintf("%d to %d items", *k.minItems, *k.maxItems))
	}
	if len(k.enum) > 0 {
		values := make([]string, len(k.enum))
		for i, v := range k.enum {
			values[i] = fmt.Sprintf("`%v`", v)
		}
		parts = append(parts, "one of "+strings.Join(values, ", "))
	}
	if k.pattern != "" {
		if strings.Contains(k.pattern, `\p{Cc}`) {
			parts = append(parts, "plain text (no control or invisible formatting characters)")
		} else {
			parts = append(parts, "matching `"+strings.ReplaceAll(k.pattern, "|", `\|`)+"`")
		}
	}
	if s.Default != nil {
		var v any
		if s.Default.Decode(&v) == nil {
			parts = append(parts, fmt.Sprintf("default `%v`", v))
		}
	}
	return strings.Join(parts, ", ") + requiredMark(required)
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func requiredMark(required bool) string {
	if required {
		return ", **required**"
	}
	return ""
}

// cell keeps a description on one table row.
func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
