package outbox

import (
	"context"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shop-platform/shop/src/internal/platform/pg"
)

// Box is what a relay drains: the outbox table (Postgres) or Memory.
type Box interface {
	Relay(ctx context.Context, limit int, publish PublishFunc) (int, error)
	Stats(ctx context.Context) (Stats, error)
	Wake(ctx context.Context) <-chan struct{}
}

// Backing is where a service keeps its rows and the events they raise:
// its PostgreSQL database, migrated, or memory. Every service with an
// outbox starts the same way, so it is done once here.
type Backing struct {
	// Pool is the service's database; nil in memory.
	Pool *pgxpool.Pool
	// Memory is the embedded outbox; nil on PostgreSQL.
	Memory *Memory
	// Box is what the service's relay drains: the outbox table or Memory.
	Box Box
}

// OpenBacking opens what db selects for the service named: with a URL, the
// pool (pg.Open, retrying until the database answers), its metrics on reg
// and the service's schema (migrate: see MigrateWith); without one, an
// embedded outbox.
func OpenBacking(ctx context.Context, db pg.Config, service string, reg prometheus.Registerer,
	migrate func(context.Context, *pgxpool.Pool, *slog.Logger) error, logger *slog.Logger,
) (Backing, error) {
	if db.URL == "" {
		logger.InfoContext(ctx, service+" store: embedded (in memory); set DATABASE_URL for PostgreSQL")
		m := &Memory{}
		return Backing{Memory: m, Box: m}, nil
	}
	pool, err := pg.Open(ctx, db, logger)
	if err != nil {
		return Backing{}, err
	}
	pg.RegisterPoolMetrics(reg, pool)
	if err := migrate(ctx, pool, logger); err != nil {
		pool.Close()
		return Backing{}, err
	}
	logger.InfoContext(ctx, service+" store: PostgreSQL")
	return Backing{Pool: pool, Box: NewPostgres(pool, logger)}, nil
}

// Close closes the pool, if there is one.
func (b Backing) Close() {
	if b.Pool != nil {
		b.Pool.Close()
	}
}

// MigrateWith brings a service's schema up to date: the service's own
// migrations in the migrations directory of fsys (goose's version table
// named table), then the outbox's.
func MigrateWith(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, table string, logger *slog.Logger) error {
	if err := pg.Migrate(ctx, pool, fsys, table, logger); err != nil {
		return err
	}
	return Migrate(ctx, pool, logger)
}
