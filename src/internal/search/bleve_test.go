package search

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the temporary directory, where the embedded indexes keep
// their files, at one of the test run's own and removes it afterwards: tests
// that leave an index open until the process ends would otherwise leave its
// directory behind in the system's temporary directory at every run.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shop-search-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating the tests' temporary directory:", err)
		os.Exit(1)
	}
	if err := os.Setenv("TMPDIR", dir); err != nil {
		fmt.Fprintln(os.Stderr, "setting TMPDIR:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "removing the tests' temporary directory:", err)
	}
	os.Exit(code)
}
