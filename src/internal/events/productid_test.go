package events

import (
	"strings"
	"testing"
)

func TestCheckProductID(t *testing.T) {
	for id, want := range map[string]string{
		"books-001":             "",
		"a":                     "",
		strings.Repeat("a", 64): "",
		"":                      "required",
		strings.Repeat("a", 65): "longer than 64",
		"Books-001":             "lowercase",
		"-books":                "starting with",
		"books 001":             "lowercase",
		"bücher":                "lowercase",
		"categories":            "reserved",
		"../catalog":            "lowercase",
		"books-":                "",
		"0":                     "",
		"a_b":                   "lowercase",
		"a/b":                   "lowercase",
		"a\x00":                 "lowercase",
	} {
		err := CheckProductID(id)
		if valid := ValidProductID(id); valid != (err == nil) {
			t.Errorf("%q: ValidProductID says %v, CheckProductID %v", id, valid, err)
		}
		switch {
		case want == "" && err != nil:
			t.Errorf("%q refused: %v", id, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want one saying %q", id, err, want)
		}
	}
}
