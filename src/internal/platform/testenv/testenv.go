// Package testenv gives tests the real backends of this machine: a fresh
// PostgreSQL database per test, and the rule for what happens when a backend
// is missing. With SHOP_REQUIRE_INTEGRATION=1 (set by .ci/run) a missing
// backend fails the test; otherwise the test is skipped with a loud reason.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresURL is the server every developer machine and CI has.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Unavailable skips or fails t because backend cannot be reached.
func Unavailable(t testing.TB, backend string, err error) {
	t.Helper()
	if os.Getenv("SHOP_REQUIRE_INTEGRATION") == "1" {
		t.Fatalf("%s is required (SHOP_REQUIRE_INTEGRATION=1) but unavailable: %v", backend, err)
	}
	t.Skipf("SKIPPED: %s unavailable (%v); set it up or run .ci/run to include this test", backend, err)
}

// PostgresAdminURL is the server tests create their databases on:
// SHOP_TEST_DATABASE_URL, or the local default.
func PostgresAdminURL() string {
	if u := os.Getenv("SHOP_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// NewDatabase creates an empty database for this test alone, drops it when
// the test ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := PostgresAdminURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		Unavailable(t, "PostgreSQL at "+redact(admin), err)
		return ""
	}
	defer func() { _ = conn.Close(context.Background()) }()

	name := "test_" + RandomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("dropping test database %s: %v", name, err)
			return
		}
		defer func() { _ = c.Close(context.Background()) }()
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parsing %s: %v", redact(admin), err)
	}
	u.Path = "/" + name
	return u.String()
}

// RandomSuffix returns a short random name part for per-test resources.
func RandomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return fmt.Sprintf("%s:%s", u.Hostname(), u.Port())
}
