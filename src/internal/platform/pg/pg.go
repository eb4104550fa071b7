// Package pg connects services to PostgreSQL: a pgx pool that is pinged at
// start, migrations applied under an advisory lock, and error mapping.
package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-platform/shop/src/internal/platform"
)

// Config is how a service reaches its database. Services embed it.
type Config struct {
	// URL is a PostgreSQL connection URL; empty selects the embedded store.
	URL platform.Secret `env:"DATABASE_URL"`
	// Password, when set, replaces the URL's password, so the chart can keep
	// the URL in plain values and the password in a Secret.
	Password platform.Secret `env:"DATABASE_PASSWORD"`
	// MaxConns caps the pool.
	MaxConns int32 `env:"DATABASE_MAX_CONNS" envDefault:"10"`
	// Tracer, when set (the service's platform.Base.Tracer), makes each
	// query a span (otelpgx), a child of the request or event handled.
	Tracer trace.TracerProvider `env:"-" json:"-"`
}

// Validate checks the URL parses without connecting.
func (c Config) Validate() error {
	if c.URL == "" {
		return nil
	}
	if _, err := c.poolConfig(); err != nil {
		return err
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("DATABASE_MAX_CONNS must be at least 1, got %d", c.MaxConns)
	}
	return nil
}

func (c Config) poolConfig() (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(c.URL.Value())
	if err != nil {
		// The parse error may echo the URL, password included.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL")
	}
	if c.Password != "" {
		cfg.ConnConfig.Password = c.Password.Value()
	}
	cfg.MaxConns = c.MaxConns
	if c.Tracer != nil {
		// Pool acquisitions would double the spans for little news; the
		// statement text is kept (parameters are not), so a slow query is
		// recognisable.
		cfg.ConnConfig.Tracer = otelpgx.NewTracer(
			otelpgx.WithTracerProvider(c.Tracer),
			otelpgx.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelpgx.WithDisableAcquireTracer(),
		)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	return cfg, nil
}

// Open creates a pool and pings it, retrying until ctx ends so a service can
// start before its database has.
func Open(ctx context.Context, c Config, logger *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := c.poolConfig()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating pool: %w", err)
	}
	backoff := platform.Backoff(time.Second, 5*time.Second)
	for attempt := 1; ; attempt++ {
		err := pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		logger.WarnContext(ctx, "database not reachable yet", "attempt", attempt, "error", err)
		if !platform.Pause(ctx, backoff) {
			pool.Close()
			return nil, fmt.Errorf("connecting to database: %w", err)
		}
	}
}

// Migrate applies the SQL migrations (goose format) in the migrations
// directory of fsys. A PostgreSQL advisory lock serialises replicas that
// start at the same time; table names the version table so services sharing
// a database do not collide.
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, table string, logger *slog.Logger) error {
	fsys, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return fmt.Errorf("migrations of %s: %w", table, err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("creating migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer func() { _ = db.Close() }()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithTableName(table), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	for _, r := range results {
		logger.InfoContext(ctx, "migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// Wrap maps database errors: lost connections and refused dials become
// platform.ErrUnavailable (503 to clients), the rest keep their cause.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if IsUnavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, platform.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// IsUnavailable tells whether err means the database cannot be reached, as
// opposed to a query that failed on a live server.
func IsUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exception; 57P01-57P03 are administrator
		// shutdown, crash shutdown and "cannot connect now".
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err) || strings.Contains(err.Error(), "conn closed")
}
