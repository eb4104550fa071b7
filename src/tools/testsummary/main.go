// Command testsummary reads the `go test -json` streams that `make test`
// saved (gotestsum --jsonfile, one *.json file per run in DIR) and ends the
// run with what a reader of a long log needs: every skipped test with the
// reason it gave, every failed test, and one closing count line.
//
//	go run ./src/tools/testsummary DIR
//
// It exits 1 when a test failed, so `make test` cannot end green on a
// failure that scrolled past.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// event is the part of a test2json event the summary reads.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// result is one test's outcome and what it printed.
type result struct {
	name   string // package and test
	action string
	output []string
}

func run(w io.Writer, files []string) (bool, error) {
	if len(files) == 0 {
		return false, errors.New("no test results found (make test writes them to .test-results/)")
	}
	var results []*result
	for _, f := range files {
		r, err := read(f)
		if err != nil {
			return false, err
		}
		results = append(results, r...)
	}
	counts := map[string]int{}
	var skipped, failed []*result
	for _, r := range results {
		counts[r.action]++
		switch r.action {
		case "skip":
			skipped = append(skipped, r)
		case "fail":
			failed = append(failed, r)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\n=== %d skipped tests, and why\n", len(skipped))
		for _, r := range skipped {
			fmt.Fprintf(w, "SKIP %s\n", r.name)
			for _, line := range r.output {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\n=== %d failed tests (their output is above)\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(w, "FAIL %s\n", r.name)
		}
	}
	fmt.Fprintf(w, "\ntests: %d passed, %d failed, %d skipped\n", counts["pass"], counts["fail"], counts["skip"])
	return len(failed) > 0, nil
}

// read returns the outcome of every test in one test2json file, in the
// order the tests finished.
func read(file string) ([]*result, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	running := map[string]*result{}
	var done []*result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			continue // go test -json interleaves build output that is not JSON
		}
		if e.Test == "" {
			continue
		}
		key := e.Package + " " + e.Test
		r := running[key]
		if r == nil {
			r = &result{name: key}
			running[key] = r
		}
		switch e.Action {
		case "output":
			if line := strings.TrimRight(e.Output, "\n"); reason(line) {
				r.output = append(r.output, strings.TrimSpace(line))
			}
		case "pass", "fail", "skip":
			r.action = e.Action
			done = append(done, r)
			delete(running, key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	// A test still running when its binary died (a timeout, a panic) is a
	// failure, whatever it printed.
	for _, k := range slices.Sorted(maps.Keys(running)) {
		running[k].action = "fail"
		done = append(done, running[k])
	}
	return done, nil
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
