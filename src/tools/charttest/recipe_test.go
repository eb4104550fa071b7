//go:build charttest

package charttest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// readmeRecipe returns the fenced block after `<!-- recipe:NAME -->` in
// the chart's README.
func readmeRecipe(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ChartDir(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "<!-- recipe:"+name+" -->\n```")
	if !ok {
		t.Fatalf("README.md has no recipe %s", name)
	}
	_, body, _ := strings.Cut(after, "\n")
	block, _, ok := strings.Cut(body, "\n```")
	if !ok {
		t.Fatalf("README.md's recipe %s is not closed", name)
	}
	return block
}

// TestExternalPostgreSQLRecipe runs the README's SQL for the services' own
// roles on an external PostgreSQL against a PostgreSQL the test starts, then
// connects as each role the way the services then do: into its own
// database, where it can migrate, and not into the other one.
func TestExternalPostgreSQLRecipe(t *testing.T) {
	recipe := readmeRecipe(t, "postgresql")
	onPostgres, onDatabase, ok := strings.Cut(recipe, "-- Then on database catalog")
	if !ok {
		t.Fatal("the recipe no longer says which statements run on the service's database")
	}
	s := startPrivateServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(db, sql string) {
		t.Helper()
		c, err := pgx.Connect(ctx, s.adminURL(db))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(context.Background()) }()
		for _, stmt := range strings.Split(sql, ";") {
			if strings.TrimSpace(stripComments(stmt)) == "" {
				continue
			}
			if _, err := c.Exec(ctx, stmt); err != nil {
				t.Fatalf("on %s: %s: %v", db, strings.TrimSpace(stmt), err)
			}
		}
	}
	exec("postgres", onPostgres)
	_, perDatabase, _ := strings.Cut(onDatabase, "\n") // the rest of the comment line
	exec("catalog", perDatabase)
	exec("orders", strings.ReplaceAll(perDatabase, "catalog", "orders"))

	for role, db := range map[string]string{"catalog": "catalog", "orders": "orders"} {
		c, err := pgx.Connect(ctx, s.tcpURL(db, role, role+"-password"))
		if err != nil {
			t.Fatalf("role %s cannot connect to %s: %v", role, db, err)
		}
		if _, err := c.Exec(ctx, "CREATE TABLE migrated (id int)"); err != nil {
			t.Errorf("role %s cannot migrate its database: %v", role, err)
		}
		_ = c.Close(ctx)
	}
	if c, err := pgx.Connect(ctx, s.tcpURL("orders", "catalog", "catalog-password")); err == nil {
		_ = c.Close(ctx)
		t.Error("the catalog's role connects to the order database")
	}
}

func stripComments(sql string) string {
	var out []string
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestExternalRabbitMQRecipe holds the README's rabbitmqctl commands for an
// external broker to the permissions the bundled broker gives each service
// (the users script's configuration, which its own test runs).
func TestExternalRabbitMQRecipe(t *testing.T) {
	r, err := Render(ChartDir(), []string{writeValues(t, "global:\n  rabbitmq:\n    vhost: shop\n")})
	if err != nil {
		t.Fatal(err)
	}
	conf := bootstrapConf(t, r, "shop-rabbitmq-bootstrap", "shop-users.conf")
	set := regexp.MustCompile(`^rabbitmqctl set_permissions -p (\S+) (\S+) '([^']*)' '([^']*)' '([^']*)'$`)
	var got []string
	for _, line := range strings.Split(readmeRecipe(t, "rabbitmq"), "\n") {
		if m := set.FindStringSubmatch(line); m != nil {
			if m[1] != "shop" {
				t.Errorf("the recipe sets permissions in vhost %s, its add_vhost makes shop", m[1])
			}
			got = append(got, strings.Join(append([]string{"user"}, m[2:]...), " "))
		}
	}
	want := slices.DeleteFunc(slices.Clone(conf), func(l string) bool { return !strings.HasPrefix(l, "user ") })
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the README's permissions:\n%s\nthe bundled broker's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
