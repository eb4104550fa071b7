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
