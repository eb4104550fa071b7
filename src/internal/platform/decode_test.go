package platform

import (
	"errors"
	"strings"
	"testing"
)

type decodeTarget struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSONBytesNamesTheProblem(t *testing.T) {
	cases := map[string]string{
		``:                           "empty",
		`{"name": "a"`:               "ends too early",
		`{"name": 5}`:                `name: must be a string, got number`,
		`{"count": "many"}`:          `count: must be an integer, got string`,
		`{"colour": "red"}`:          `"colour"`,
		`{"name": "a"} {"name":"b"}`: "single JSON value",
		`[1,2]`:                      "the body must be an object, got array",
		`{"name": "a",}`:             "malformed",
		// The last value would silently win.
		`{"name": "a", "name": "b"}`:                       `key "name" appears more than once`,
		`{"name": "a", "Name": "b"}`:                       `key "Name" appears more than once`,
		`{"name": "a", "count": 1, "count": 2}`:            `key "count"`,
		`{"name": "a", "x": [{"k": 1}, {"k": 1, "k": 2}]}`: `key "k"`,
	}
	for body, want := range cases {
		var v decodeTarget
		err := DecodeJSONBytes([]byte(body), &v)
		var pe *Error
		if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(pe.Message, want) {
			t.Errorf("%q: %v, want a 400 mentioning %q", body, err, want)
		}
	}
	var v decodeTarget
	if err := DecodeJSONBytes([]byte(` {"name":"ok","count":2} `), &v); err != nil || v != (decodeTarget{"ok", 2}) {
		t.Fatalf("valid body: %+v, %v", v, err)
	}
}

// Invalid UTF-8 is refused naming the field that holds it: encoding/json
// would replace it with U+FFFD and the garbled text would be stored.
func TestDecodeJSONBytesRefusesInvalidUTF8NamingTheField(t *testing.T) {
	type line struct {
		ID string `json:"id"`
	}
	var v struct {
		Name  string `json:"name"`
		Lines []line `json:"lines"`
		Inner struct {
			City string `json:"city"`
		} `json:"inner"`
	}
	for body, want := range map[string]string{
		"{\"name\": \"caf\xe9\"}": "name: must be valid UTF-8",
		"{\"name\": \"ok\", \"lines\": [{\"id\": \"a\"}, {\"id\": \"\xff\"}]}": "lines[1].id: must be valid UTF-8",
		"{\"inner\": {\"city\": \"\xc3\x28\"}}":                                "inner.city: must be valid UTF-8",
		"{\"na\xffme\": \"x\"}":                                                "a key of the body: must be valid UTF-8",
	} {
		err := DecodeJSONBytes([]byte(body), &v)
		var pe *Error
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Code != "invalid_utf8" || pe.Message != want {
			t.Errorf("%q: %v, want a 400 invalid_utf8 %q", body, err, want)
		}
	}
	if err := DecodeJSONBytes([]byte(`{"name": "café \u00e9", "lines": [{"id": "ü"}]}`), &v); err != nil || v.Name != "café é" {
		t.Fatalf("valid UTF-8 refused: %v", err)
	}
}

// A body of the wrong JSON type is described in JSON's terms: the Go type
// the service decodes into is nobody's business (probe defect 3).
func TestDecodeJSONBytesNamesNoGoTypes(t *testing.T) {
	for _, body := range []string{`[1]`, `"x"`, `{"name": {}}`, `{"count": 1.5}`, `{"count": []}`, `{"name": true}`} {
		var v decodeTarget
		err := DecodeJSONBytes([]byte(body), &v)
		if err == nil || strings.Contains(err.Error(), "decodeTarget") || strings.Contains(err.Error(), "platform.") ||
			strings.Contains(err.Error(), "int") && !strings.Contains(err.Error(), "integer") {
			t.Errorf("%s: %v, want a message in JSON's terms", body, err)
		}
	}
}

// The same key in sibling or nested objects is no duplicate.
func TestDuplicateKeysOnlyWithinOneObject(t *testing.T) {
	var v struct {
		Name  string           `json:"name"`
		Items []map[string]any `json:"items"`
	}
	body := `{"items": [{"name": 1, "sub": {"name": 2}}, {"name": 3}], "name": "top"}`
	if err := DecodeJSONBytes([]byte(body), &v); err != nil || v.Name != "top" || len(v.Items) != 2 {
		t.Fatalf("%+v, %v", v, err)
	}
}

func FuzzDecodeJSONBytes(f *testing.F) {
	for _, seed := range []string{``, `{}`, `{"name":"x","count":1}`, `{"name":`, `[]`, `null`, `{"count":1e400}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v decodeTarget
		err := DecodeJSONBytes(body, &v)
		var pe *Error
		if err != nil && (!errors.As(err, &pe) || pe.Status != 400 || pe.Message == "") {
			t.Fatalf("%q: error %v is not a 400 with a message", body, err)
		}
	})
}
