// Command testsummary reads the `go test -json` streams that `make test`
// saved (gotestsum --jsonfile, one *.json file per run in DIR) and ends the
// run with what a reader of a long log needs: every skipped test with the
// reason it gave, every failed test, and one closing count line. gotestsum's
// own reader (testjson) does the bookkeeping, a test cut off by its binary's
// death counted as failed; this command only chooses what to print, since
// gotestsum's summary prints its output but not the skip reasons.
//
//	go run ./src/tools/testsummary DIR
//
// It exits 1 when a test failed, so `make test` cannot end green on a
// failure that scrolled past.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gotest.tools/gotestsum/testjson"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testsummary DIR (the directory of make test's *.json results)")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	failed, err := run(os.Stdout, files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

func run(w io.Writer, files []string) (bool, error) {
	if len(files) == 0 {
		return false, errors.New("no test results found (make test writes them to .test-results/)")
	}
	var exec *testjson.Execution
	for _, file := range files {
		var err error
		if exec, err = scan(file, exec); err != nil {
			return false, err
		}
	}
	skipped, failed := exec.Skipped(), exec.Failed()
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\n=== %d skipped tests, and why\n", len(skipped))
		for _, tc := range skipped {
			fmt.Fprintf(w, "SKIP %s %s\n", tc.Package, tc.Test)
			for _, line := range exec.OutputLines(tc) {
				if reason(line) {
					fmt.Fprintf(w, "    %s\n", strings.TrimSpace(line))
				}
			}
		}
	}
	failedTests := 0 // failed lists a test binary that failed outside any test too
	if len(failed) > 0 {
		fmt.Fprintf(w, "\n=== failed (their output is above)\n")
		for _, tc := range failed {
			if tc.Test == "" {
				fmt.Fprintf(w, "FAIL %s (the test binary: a build error, panic or timeout)\n", tc.Package)
				continue
			}
			failedTests++
			fmt.Fprintf(w, "FAIL %s %s\n", tc.Package, tc.Test)
		}
	}
	fmt.Fprintf(w, "\ntests: %d passed, %d failed, %d skipped\n", exec.Total()-failedTests-len(skipped), failedTests, len(skipped))
	return len(failed) > 0, nil
}

// scan adds one test2json file to exec (nil: a new one). go test -json
// interleaves build output that is not JSON; it is passed over.
func scan(file string, exec *testjson.Execution) (*testjson.Execution, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	exec, err = testjson.ScanTestOutput(testjson.ScanConfig{Stdout: f, Execution: exec, IgnoreNonJSONOutputLines: true})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return exec, nil
}

// reason tells the lines a test printed itself from the framing go test
// adds around them.
func reason(line string) bool {
	t := strings.TrimSpace(line)
	for _, frame := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- FAIL", "--- SKIP"} {
		if strings.HasPrefix(t, frame) {
			return false
		}
	}
	return t != ""
}
