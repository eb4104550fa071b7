package main

import (
	"context"
	"strings"
	"testing"
)

func TestMisspellChangesOneLetterOfTheLongestWord(t *testing.T) {
	for name, want := range map[string]string{
		"3d Capable Ironing Board": "capxble",
		"Boxes":                    "bozes",
		"A mug":                    "",
	} {
		if got := misspell(name); got != want {
			t.Errorf("misspell(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestBadArgumentsSayWhatIsWrong(t *testing.T) {
	for args, want := range map[string]string{
		"":                  "usage",
		"fly":               `unknown command "fly"`,
		"ready":             "at least one URL",
		"order http://x":    "needs 2 URL arguments, got 1",
		"journey":           "needs 1 URL arguments, got 0",
		"load -workers=x a": "invalid value",
	} {
		err := run(context.Background(), strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("probe %s: error %v, want one containing %q", args, err, want)
		}
	}
}

func TestSelfFindsWritableDirsAndMissingFiles(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	err := self([]string{dir}, []string{dir + "/missing.log"}, &out)
	if err == nil || !strings.Contains(err.Error(), "missing.log") {
		t.Fatalf("self with a missing file: %v", err)
	}
	if !strings.Contains(out.String(), `"writable":["`+dir+`"]`) {
		t.Fatalf("report %s does not list %s as writable", out.String(), dir)
	}
}
