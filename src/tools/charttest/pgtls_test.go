//go:build charttest

package charttest

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
)

// privateServer is a PostgreSQL of the test's own (initdb in a temporary
// directory), so the test may turn its TLS on and off.
type privateServer struct {
	dir, socket string
	port        int
	run         func(name string, args ...string) *exec.Cmd
	// owner is the server's user when the test runs as root (nil otherwise):
	// the files the server and the roles script read are given to it.
	owner *user.User
}

// startPrivateServer initdbs and starts a PostgreSQL from the binaries of
// the machine's installation, listening on 127.0.0.1 and a socket: local
// connections are trusted (the superuser the roles script connects as),
// TCP ones need a password. initdb refuses to run as root, so as root it
// runs as the postgres user.
func startPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	bin := postgresBinDir(t)
	var owner *user.User
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			testenv.Unavailable(t, "a postgres user to run initdb as (it refuses root)", err)
		}
		owner = u
	}
	run := func(name string, args ...string) *exec.Cmd {
		return asOwner(owner, exec.Command(filepath.Join(bin, name), args...))
	}
	dir, err := os.MkdirTemp("", "charttest-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s := &privateServer{dir: dir, socket: filepath.Join(dir, "socket"), run: run, owner: owner}
	if err := os.Mkdir(s.socket, 0o700); err != nil {
		t.Fatal(err)
	}
	s.give(t, dir)
	s.give(t, s.socket)
	if out, err := run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.port = testenv.FreePort(t)
	start := run("pg_ctl", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "log"), "-w", "-o",
		fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off", s.port, s.socket), "start")
	if out, err := start.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		if out, err := run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").CombinedOutput(); err != nil {
			t.Logf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	return s
}

// asOwner runs cmd as owner when one is given (the test runs as root).
func asOwner(owner *user.User, cmd *exec.Cmd) *exec.Cmd {
	if owner != nil {
		uid, _ := strconv.ParseUint(owner.Uid, 10, 32)
		gid, _ := strconv.ParseUint(owner.Gid, 10, 32)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(os.Environ(), "HOME="+os.TempDir(), "USER="+owner.Username)
	}
	return cmd
}

// adminURL connects as the superuser over the socket (trusted).
func (s *privateServer) adminURL(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d", db, url.QueryEscape(s.socket), s.port)
}

// tcpURL connects over TCP with a password, as the services do.
func (s *privateServer) tcpURL(db, user, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: fmt.Sprintf("127.0.0.1:%d", s.port), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// give makes a file or directory the server's user's when the test runs
// as root.
func (s *privateServer) give(t *testing.T, path string) {
	t.Helper()
	if s.owner == nil {
		return
	}
	uid, _ := strconv.Atoi(s.owner.Uid)
	gid, _ := strconv.Atoi(s.owner.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// writeSecrets writes files as the volume of the Secret holds them (a file
// per key), where the roles script reads them.
func (s *privateServer) writeSecrets(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(s.dir, "secrets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.give(t, dir)
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		s.give(t, path)
	}
	return dir
}

// bootstrap is the roles script of a render, with its loop and
// configuration, run in mode (apply or watch) as the server's user
// against this server.
func (s *privateServer) bootstrap(t *testing.T, r *Rendered, mode string) *exec.Cmd {
	t.Helper()
	cm := r.Find("ConfigMap", "shop-postgresql-bootstrap")
	if cm == nil {
		t.Fatal("no ConfigMap shop-postgresql-bootstrap")
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	dir := filepath.Join(s.dir, "bootstrap")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := asOwner(s.owner, exec.Command("bash", filepath.Join(dir, "shop-roles"), mode))
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "SHOP_SECRETS="+filepath.Join(s.dir, "secrets"), "PGHOST="+s.socket, fmt.Sprintf("PGPORT=%d", s.port))
	return cmd
}

// runBootstrap runs the roles script of a render once.
func (s *privateServer) runBootstrap(t *testing.T, r *Rendered, mode string) {
	t.Helper()
	if out, err := s.bootstrap(t, r, mode).CombinedOutput(); err != nil {
		t.Fatalf("roles script %s: %v\n%s", mode, err, out)
	}
}

// postgresBinDir finds initdb, pg_ctl and postgres: pg_config's bindir or
// the newest Debian installation.
func postgresBinDir(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); fileExists(filepath.Join(dir, "initdb")) {
			return dir
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if fileExists(filepath.Join(dirs[i], "initdb")) {
			return dirs[i]
		}
	}
	testenv.Unavailable(t, "PostgreSQL's server binaries (initdb, pg_ctl)", fmt.Errorf("not in pg_config --bindir nor /usr/lib/postgresql/*/bin"))
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestPostgreSQLTLSOnAPrivateServer runs the bundled PostgreSQL's roles
// script as the chart renders it for staging (TLS on) against a PostgreSQL
// of the test's own, with the certificate, key and CA the chart generated,
// then connects as the catalog with the DATABASE_URL the chart gives it:
// sslmode=verify-full against the mounted CA (sslrootcert) for the Service
// name it dials. The connection is encrypted; a CA that did not sign the
// server's certificate is refused.
func TestPostgreSQLTLSOnAPrivateServer(t *testing.T) {
	requireTool(t, "psql")
	// staging, with the private server's superuser.
	r, err := Render(ChartDir(), []string{filepath.Join(ChartDir(), "values-staging.yaml"), writeValues(t, "global:\n  postgresql:\n    username: postgres\n")})
	if err != nil {
		t.Fatal(err)
	}
	if conf := bootstrapConf(t, r, "shop-postgresql-bootstrap", "shop-roles.conf"); !slices.Contains(conf, "tls on") {
		t.Fatalf("staging's roles configuration does not turn TLS on: %v", conf)
	}
	s := startPrivateServer(t)
	data, _, _ := unstructured.NestedStringMap(r.Find("Secret", "shop-postgresql-auth").Object, "data")
	files := map[string]string{}
	for key, b64 := range data {
		files[key] = string(mustDecode(t, b64))
	}
	secrets := s.writeSecrets(t, files)
	s.runBootstrap(t, r, "apply")

	c, _ := container(t, r.Find("Deployment", ReleaseName+"-catalog"))
	dsn, _ := envOf(c, "DATABASE_URL")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Hostname()
	connect := func(caFile string) error {
		v := *u
		v.Host = fmt.Sprintf("127.0.0.1:%d", s.port)
		q := v.Query()
		q.Set("sslrootcert", caFile)
		v.RawQuery = q.Encode()
		cfg, err := pgx.ParseConfig(v.String())
		if err != nil {
			return err
		}
		if cfg.TLSConfig == nil {
			return fmt.Errorf("no TLS in %s", dsn)
		}
		// The DSN's host, not the address the test reaches the server at,
		// is the name the certificate must cover.
		cfg.TLSConfig.ServerName = host
		cfg.Password = string(mustDecode(t, data[u.User.Username()]))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close(context.Background()) }()
		var encrypted bool
		if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil {
			return err
		}
		if !encrypted {
			return fmt.Errorf("the connection is not encrypted")
		}
		if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
			return fmt.Errorf("the connection is a %T, not TLS", conn.PgConn().Conn())
		}
		return nil
	}
	if err := connect(filepath.Join(secrets, "ca.crt")); err != nil {
		t.Fatalf("catalog cannot connect with %s and the chart's CA: %v", dsn, err)
	}
	otherCA := filepath.Join(s.dir, "other-ca.crt")
	other := renderCA(t)
	if err := os.WriteFile(otherCA, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := connect(otherCA); err == nil {
		t.Error("catalog connects though the CA given did not sign the server's certificate")
	} else {
		t.Logf("with another CA, refused as it should be: %v", err)
	}
}

func mustDecode(t *testing.T, b64 string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// renderCA renders staging again: the chart generates another CA on every
// render without a cluster, one that did not sign the first render's
// certificate.
func renderCA(t *testing.T) []byte {
	t.Helper()
	r, err := Render(ChartDir(), []string{filepath.Join(ChartDir(), "values-staging.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(r.Find("Secret", "shop-postgresql-auth").Object, "data")
	return mustDecode(t, data["ca.crt"])
}
