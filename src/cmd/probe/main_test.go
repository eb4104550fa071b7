package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

func TestBadArgumentsSayWhatIsWrong(t *testing.T) {
	for args, want := range map[string]string{
		"":                   "usage",
		"fly":                `unknown command "fly"`,
		"ready":              "at least one URL",
		"order http://x":     "needs 2 arguments, got 1",
		"journey":            "needs 1 arguments, got 0",
		"dial":               "needs 1 arguments, got 0",
		"order -retries=x a": "invalid value",
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

// dial tells a port that accepts connections from one that refuses them:
// what make e2e's NetworkPolicy matrix asks of each caller's pod.
func TestDialConnectsOrFails(t *testing.T) {
	// Below the ephemeral range (testenv.FreePort), so the port is not
	// handed to another listener once closed.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	if err := run(t.Context(), []string{"dial", open}); err != nil {
		t.Fatalf("dial %s (listening): %v", open, err)
	}
	_ = ln.Close()
	if err := run(t.Context(), []string{"dial", open}); err == nil {
		t.Fatalf("dial %s (closed) succeeded", open)
	}
}
