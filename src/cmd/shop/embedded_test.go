package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// make run builds the shop with -tags embedded, which leaves the
// Elasticsearch and Stripe clients out. Asked for either, that binary
// exits at once and says what to run instead; it never starts without
// the backend its configuration names.
func TestMakeRunsShop(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "shop")
	if err := testenv.BuildMakeRunShop(t.Context(), "../../..", bin); err != nil {
		t.Fatal(err)
	}
	t.Run("RefusesElasticsearch", func(t *testing.T) { refusesElasticsearch(t, bin) })
	t.Run("RefusesStripe", func(t *testing.T) { refusesStripe(t, bin) })
}

func refusesElasticsearch(t *testing.T, bin string) {
	out := runUntilExit(t, bin, "ELASTICSEARCH_URL=http://127.0.0.1:9")
	if !strings.Contains(out, "ELASTICSEARCH_URL is set, but this binary was built with -tags embedded") {
		t.Fatalf("the exit does not say why:\n%s", out)
	}
}

func refusesStripe(t *testing.T, bin string) {
	out := runUntilExit(t, bin, "PAYMENT_PROVIDER=stripe", "STRIPE_SECRET_KEY=sk_test_embedded")
	if !strings.Contains(out, "PAYMENT_PROVIDER=stripe, but this binary was built with -tags embedded") {
		t.Fatalf("the exit does not say why:\n%s", out)
	}
}

// runUntilExit runs the shop binary bin with env on free ports, requires it
// to fail within 30 seconds and returns its output.
func runUntilExit(t *testing.T, bin string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "HOST=127.0.0.1"}, env...)
	for _, name := range []string{"CATALOG", "SEARCH", "ORDER", "PAYMENT", "FRONTEND"} {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s_PORT=%d", name, testenv.FreePort(t)))
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if ctx.Err() != nil || !errors.As(err, &exit) {
		t.Fatalf("want a failed exit, got %v (context: %v):\n%s", err, ctx.Err(), out)
	}
	return string(out)
}
