package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shop-platform/shop/src/internal/platform/testenv"
	"github.com/shop-platform/shop/src/internal/shopper"
	"github.com/shop-platform/shop/src/tools/proc"
)

// serviceNames are the shop's five services in the order they start: each
// one's dependencies come before it.
var serviceNames = []string{"catalog", "search", "payment", "order", "frontend"}

// stack is the shop as five processes (the per-service binaries, so each
// can be signalled and measured on its own) on a PostgreSQL and a
// RabbitMQ the soak or drill chose.
type stack struct {
	dir      string
	bin      string
	pg       *postgres
	mq       *rabbit
	procs    map[string]*proc.Process
	ports    map[string]int
	dbs      map[string]string
	token    string
	cookie   string
	shutdown time.Duration
	// extraEnv is added to every service's environment (-service-env).
	extraEnv []string
}

func (st *stack) url(name string) string {
	return "http://127.0.0.1:" + strconv.Itoa(st.ports[name])
}

// env is what the service is started with: nothing inherited but PATH
// and HOME, so a developer's DATABASE_URL cannot leak in.
func (st *stack) env(name string) []string {
	e := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"HOST=127.0.0.1", "PORT=" + strconv.Itoa(st.ports[name]), "LOG_LEVEL=warn",
		"SHUTDOWN_TIMEOUT=" + st.shutdown.String(), "ADMIN_TOKEN=" + st.token,
		"CATALOG_URL=" + st.url("catalog"), "PAYMENT_URL=" + st.url("payment"), "AMQP_URL=" + st.mq.url}
	switch name {
	case "catalog", "order", "payment":
		e = append(e, "DATABASE_URL="+st.pg.url(st.dbs[name]))
	case "frontend":
		// One cookie secret for every start, so carts survive a
		// restart as they do across replicas; checkout's rate
		// limit is per address and every shopper here is 127.0.0.1.
		e = append(e, "SEARCH_URL="+st.url("search"), "ORDER_URL="+st.url("order"),
			"COOKIE_SECRET="+st.cookie, "CHECKOUT_RATE_LIMIT=1000000")
	}
	return append(e, st.extraEnv...)
}

// start launches the service and waits until its /ready answers 200.
func (st *stack) start(ctx context.Context, name string) error {
	cmd := exec.Command(filepath.Join(st.bin, name))
	cmd.Env = st.env(name)
	p, err := proc.StartLogged(cmd, filepath.Join(st.dir, name+".log"), st.shutdown+10*time.Second)
	if err != nil {
		return err
	}
	st.procs[name] = p
	return p.WaitReady(ctx, 90*time.Second, st.url(name)+"/ready")
}

// terminate sends SIGTERM and waits for the service to drain and exit.
func (st *stack) terminate(name string) error {
	p := st.procs[name]
	if p == nil {
		return nil
	}
	if err := p.Stop(); err != nil {
		return fmt.Errorf("stopping %s (see %s.log): %w", name, name, err)
	}
	return nil
}

func (st *stack) signal(name string, sig syscall.Signal) error {
	return st.procs[name].Cmd.Process.Signal(sig)
}

// stop ends every service (storefront first) and drops the run's
// databases.
func (st *stack) stop(ctx context.Context) error {
	var errs []error
	for _, name := range slices.Backward(serviceNames) {
		errs = append(errs, st.terminate(name))
	}
	for _, db := range st.dbs {
		if err := st.pg.exec(ctx, "postgres", "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("dropping database %s: %w", db, err))
		}
	}
	return errors.Join(errs...)
}

// postgres is a PostgreSQL server: the machine's shared one, or a private
// cluster the drill made (which it may restart without disturbing anyone).
type postgres struct {
	addr string // host:port
	// dataDir and the commands are set for a private cluster only.
	dataDir string
	pgCtl   string
	asUser  []string
}

func (p *postgres) url(db string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", p.addr, db)
}

func (p *postgres) exec(ctx context.Context, db, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.url(db))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// postgresBin finds a PostgreSQL server program: on PATH, else in
// Debian's versioned directory.
func postgresBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return "", fmt.Errorf("%s not found on PATH or in /usr/lib/postgresql/*/bin", name)
	}
	return matches[len(matches)-1], nil
}

// runAs is the command prefix that runs a server as an unprivileged user,
// since PostgreSQL refuses to run as root, and that user's ids; not as
// root, no prefix and ids of -1, which os.Chown leaves as they are.
func runAs() (prefix []string, uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return nil, -1, -1, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("running as root, and no postgres user to run a private PostgreSQL as: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return []string{"runuser", "-u", "postgres", "--"}, uid, gid, nil
}

// startPrivatePostgres initialises and starts a throw-away cluster under
// dir on a free port (fsync off: it lives for one drill).
func startPrivatePostgres(ctx context.Context, dir string) (*postgres, error) {
	initdb, err := postgresBin("initdb")
	if err != nil {
		return nil, err
	}
	pgCtl, err := postgresBin("pg_ctl")
	if err != nil {
		return nil, err
	}
	prefix, uid, gid, err := runAs()
	if err != nil {
		return nil, err
	}
	pgDir := filepath.Join(dir, "postgres")
	if err := os.MkdirAll(pgDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chown(pgDir, uid, gid); err != nil {
		return nil, err
	}
	port, err := testenv.FreeLoopbackPort(ctx)
	if err != nil {
		return nil, err
	}
	p := &postgres{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dataDir: filepath.Join(pgDir, "data"), pgCtl: pgCtl, asUser: prefix}
	if _, err := proc.Output(p.cmd(ctx, initdb, "-D", p.dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", port, pgDir)
	return p, p.ctl(ctx, "-o", opts, "-l", p.logFile(), "-w", "start")
}

func (p *postgres) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	all := slices.Concat(p.asUser, []string{name}, args)
	return exec.CommandContext(ctx, all[0], all[1:]...)
}

// ctl runs pg_ctl on the private cluster.
func (p *postgres) ctl(ctx context.Context, args ...string) error {
	_, err := proc.Output(p.cmd(ctx, p.pgCtl, append([]string{"-D", p.dataDir}, args...)...))
	return err
}

func (p *postgres) logFile() string { return filepath.Join(filepath.Dir(p.dataDir), "log") }

// restart is a fast restart of the private cluster: every connection is
// cut, as when the server fails over.
func (p *postgres) restart(ctx context.Context) error {
	if p.dataDir == "" {
		return errors.New("refusing to restart the shared PostgreSQL: the drill restarts only its own")
	}
	return p.ctl(ctx, "-m", "fast", "-w", "restart", "-l", p.logFile())
}

// destroy stops a private cluster; its files go with the run directory.
func (p *postgres) destroy(ctx context.Context) error {
	if p.dataDir == "" {
		return nil
	}
	return p.ctl(ctx, "-m", "immediate", "-w", "stop")
}

// stackFlags are the flags the soak and the drill share: the shoppers'
// options (loadgen's flags) with the command's own defaults, where the
// service binaries are, and extra environment for every service.
type stackFlags struct {
	o          shopper.Options
	mix        *string
	bin        *string
	progress   time.Duration
	serviceEnv []string
}

func newStackFlags(fs *flag.FlagSet, defaults map[string]string) *stackFlags {
	f := &stackFlags{}
	f.mix = f.o.Flags(fs)
	fs.DurationVar(&f.progress, "progress", 10*time.Second, "how often the progress line is printed; 0 turns it off")
	f.bin = fs.String("bin", "bin", "directory with the catalog, search, payment, order and frontend binaries")
	fs.Func("service-env", "KEY=VALUE added to every service's environment (repeatable), e.g. SEARCH_CACHE_SIZE=256", func(v string) error {
		k, _, ok := strings.Cut(v, "=")
		if !ok || k == "" || strings.ToUpper(k) != k {
			return fmt.Errorf("%q is not KEY=VALUE", v)
		}
		f.serviceEnv = append(f.serviceEnv, v)
		return nil
	})
	for k, v := range defaults {
		_ = fs.Set(k, v)
	}
	return f
}

// parse parses args and checks the shoppers' options; their target is
// the stack's storefront, set by startStack.
func (f *stackFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	f.o.Storefront = "http://127.0.0.1:1" // replaced by the stack's storefront
	return f.o.Check(*f.mix)
}

// startStack picks the services' ports, creates the run's databases,
// starts the five services and points the shoppers at the storefront. The
// caller stops the stack; a stack that fails to start is stopped here.
func (f *stackFlags) startStack(ctx context.Context, dir, run string, pg *postgres, mq *rabbit) (*stack, error) {
	for _, name := range serviceNames {
		if _, err := os.Stat(filepath.Join(*f.bin, name)); err != nil {
			return nil, fmt.Errorf("service binary %s missing (make build, or -bin): %w", name, err)
		}
	}
	st := &stack{dir: dir, bin: *f.bin, pg: pg, mq: mq, procs: map[string]*proc.Process{}, ports: map[string]int{},
		dbs:   map[string]string{"catalog": run + "_catalog", "order": run + "_orders", "payment": run + "_payments"},
		token: randomHex(16), cookie: randomHex(32), shutdown: 10 * time.Second, extraEnv: f.serviceEnv}
	for _, name := range serviceNames {
		p, err := testenv.FreeLoopbackPort(ctx)
		if err != nil {
			return nil, err
		}
		st.ports[name] = p
	}
	for _, db := range st.dbs {
		if err := pg.exec(ctx, "postgres", "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
			return nil, fmt.Errorf("creating database %s: %w", db, err)
		}
	}
	for _, name := range serviceNames {
		if err := st.start(ctx, name); err != nil {
			_ = st.stop(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	f.o.Storefront = st.url("frontend")
	return st, nil
}
