package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// DecodeJSON decodes the request body into v, strictly: the content type
// must be JSON, unknown fields and duplicate keys are refused, and one value
// only. Every failure
// is a 4xx whose message says what is wrong.
func DecodeJSON(c *fiber.Ctx, v any) error {
	if err := RequireJSON(c); err != nil {
		return err
	}
	return DecodeJSONBytes(c.Body(), v)
}

// RequireJSON is a 415 unless the request says its body is JSON.
func RequireJSON(c *fiber.Ctx) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0]))
	if ct != fiber.MIMEApplicationJSON {
		return NewError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type must be application/json, got %s", Quote(ct))
	}
	return nil
}

// DecodeJSONBytes is DecodeJSON's parser, apart so fuzz tests can drive it.
func DecodeJSONBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("invalid_json", "request body is empty, expected a JSON object")
	}
	if err := checkStructure(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("invalid_json", "%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BadRequest("invalid_json", "request body must hold a single JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("%s: must be %s, got %s", typeErr.Field, jsonType(typeErr.Type), typeErr.Value)
		}
		return fmt.Sprintf("the body must be %s, got %s", jsonType(typeErr.Type), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the body ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "malformed JSON: " + err.Error()
	}
}

// jsonType names the JSON type a Go type decodes from, so a message says
// "an object", never a Go type name such as order.CreateRequest.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a JSON value of another type"
}

// checkStructure is a 400 naming the first key that appears twice in one
// object, or the first field whose text is not valid UTF-8. encoding/json
// lets the last duplicate win, so a second "items" key would silently
// replace the first, and it replaces invalid UTF-8 with U+FFFD, so a
// garbled name would be stored as if it were text. Keys are compared
// under Unicode simple case folding, as encoding/json matches them to
// fields. Malformed JSON is left to the decoder, which describes it better.
func checkStructure(body []byte) error {
	bad := invalidUTF8At(body)
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack jsonPath
	for {
		tok, err := dec.Token()
		if err != nil {
			if bad >= 0 && errors.Is(err, io.EOF) {
				return BadRequest("invalid_utf8", "the body must be valid UTF-8")
			}
			return nil
		}
		top := stack.top()
		isKey := top != nil && !top.array && top.expectKey
		if bad >= 0 && dec.InputOffset() > int64(bad) {
			return BadRequest("invalid_utf8", "%s: must be valid UTF-8", stack.name(isKey))
		}
		if key, ok := tok.(string); ok && isKey {
			folded := foldKey(key)
			if top.keys[folded] {
				return BadRequest("invalid_json", "key %q appears more than once in one object", key)
			}
			top.keys[folded] = true
			top.key, top.expectKey = key, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{keys: map[string]bool{}, expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &jsonFrame{array: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value (or a closed container) ends: the enclosing object
		// expects its next key, the enclosing array its next value.
		if top := stack.top(); top != nil {
			top.expectKey = !top.array
			top.index++
		}
	}
}

// jsonPath is where a JSON scan is: one frame per open object or array.
type jsonPath []*jsonFrame

type jsonFrame struct {
	array     bool
	index     int             // arrays: the position of the value being read
	keys      map[string]bool // objects: the keys seen so far, case-folded
	key       string          // objects: the key of the value being read
	expectKey bool
}

func (p jsonPath) top() *jsonFrame {
	if len(p) == 0 {
		return nil
	}
	return p[len(p)-1]
}

// name is the field being read, as messages name fields:
// customer.address.city, items[1].product_id. A key is named by the
// object that holds it.
func (p jsonPath) name(readingKey bool) string {
	var b strings.Builder
	for i, f := range p {
		last := i == len(p)-1
		switch {
		case f.array:
			fmt.Fprintf(&b, "[%d]", f.index)
		case last && readingKey:
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
	}
	switch {
	case readingKey && b.Len() == 0:
		return "a key of the body"
	case readingKey:
		return "a key of " + b.String()
	case b.Len() == 0:
		return "the body"
	}
	return b.String()
}

// invalidUTF8At is the offset of the first byte of body that is not valid
// UTF-8, or -1.
func invalidUTF8At(body []byte) int {
	if utf8.Valid(body) {
		return -1
	}
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// foldKey maps each rune to the smallest of its simple case folds, so two
// keys fold alike exactly when bytes.EqualFold holds for them.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// CheckText says what is wrong with a text field a client sent, or nil:
// it must be valid UTF-8 without control characters (C0, DEL and C1, such
// as U+0085; line breaks and tabs only where multiline), line or
// paragraph separators, or invisible formatting characters (Unicode's Cf:
// the bidirectional overrides and isolates U+202A-U+202E and U+2066-U+2069
// that make text display other than it reads, zero-width spaces, the byte
// order mark). The zero-width non-joiner and joiner (U+200C, U+200D) are
// kept: Persian, the Indic scripts and emoji need them to be spelt right.
func CheckText(s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\r' || r == '\t'), r == '\u200c', r == '\u200d':
		case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return fmt.Errorf("must not contain control or invisible formatting characters, found U+%04X", r)
		}
	}
	return nil
}
