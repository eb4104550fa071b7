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
		`{"name": 5}`:                `"name"`,
		`{"count": "many"}`:          `"count"`,
		`{"colour": "red"}`:          `"colour"`,
		`{"name": "a"} {"name":"b"}`: "single JSON value",
		`[1,2]`:                      "expected",
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
