package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A stream as `go test -json` writes it: a pass, a skip with its reason, a
// failure, a test cut off by its binary's death, and build output.
const stream = `# building
{"Action":"run","Package":"shop/a","Test":"TestOK"}
{"Action":"output","Package":"shop/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"shop/a","Test":"TestOK"}
{"Action":"run","Package":"shop/a","Test":"TestES"}
{"Action":"output","Package":"shop/a","Test":"TestES","Output":"=== RUN   TestES\n"}
{"Action":"output","Package":"shop/a","Test":"TestES","Output":"    es_test.go:25: SKIPPED: ELASTICSEARCH_URL is not set\n"}
{"Action":"output","Package":"shop/a","Test":"TestES","Output":"--- SKIP: TestES (0.00s)\n"}
{"Action":"skip","Package":"shop/a","Test":"TestES"}
{"Action":"run","Package":"shop/a","Test":"TestBad"}
{"Action":"output","Package":"shop/a","Test":"TestBad","Output":"    bad_test.go:9: got 1\n"}
{"Action":"fail","Package":"shop/a","Test":"TestBad"}
{"Action":"run","Package":"shop/b","Test":"TestHang"}
{"Action":"pass","Package":"shop/a"}
`

func TestSummaryListsSkipsWithReasonsAndCounts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "go.json")
	if err := os.WriteFile(file, []byte(stream), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	failed, err := run(&out, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"=== 1 skipped tests, and why\nSKIP shop/a TestES\n    es_test.go:25: SKIPPED: ELASTICSEARCH_URL is not set\n",
		"FAIL shop/a TestBad\n", "FAIL shop/b TestHang\n",
		"\ntests: 1 passed, 2 failed, 1 skipped\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if !failed || !strings.HasSuffix(got, "1 skipped\n") {
		t.Errorf("failed = %v, summary does not end with the count line:\n%s", failed, got)
	}
}

func TestSummaryWithoutResultsIsAnError(t *testing.T) {
	if _, err := run(&strings.Builder{}, nil); err == nil {
		t.Fatal("no files: want an error, got none")
	}
}
