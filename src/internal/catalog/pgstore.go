package catalog

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shop-platform/shop/src/internal/platform/outbox"
	"github.com/shop-platform/shop/src/internal/platform/pg"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the catalog schema, outbox included, up to date. Several
// replicas may call it at once: the migrations run under an advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return outbox.MigrateWith(ctx, pool, migrations, "catalog_schema_migrations", logger)
}

// PostgresStore keeps the catalog in PostgreSQL.
type PostgresStore struct {
	pool *pgxpool.Pool
}

// NewPostgresStore uses pool, whose database Migrate has prepared.
func NewPostgresStore(pool *pgxpool.Pool) *PostgresStore { return &PostgresStore{pool: pool} }

const productColumns = `id, name, description, category, price_cents, currency, image, stock, created_at, updated_at, revision`

func scanProduct(row pgx.CollectableRow) (Product, error) {
	var p Product
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Category, &p.PriceCents, &p.Currency, &p.Image, &p.Stock, &p.CreatedAt, &p.UpdatedAt, &p.Revision)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

var orderBy = map[string]string{
	SortName:      `lower(name) COLLATE "C", id`,
	SortNameDesc:  `lower(name) COLLATE "C" DESC, id`,
	SortPrice:     `price_cents, id`,
	SortPriceDesc: `price_cents DESC, id`,
	SortNewest:    `updated_at DESC, id`,
}

// where builds the WHERE clause of q with numbered arguments.
func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Category != "" {
		conds = append(conds, "lower(category) = lower("+arg(q.Category)+")")
	}
	if q.Text != "" {
		// The text is matched literally: LIKE wildcards in it are escaped.
		pattern := "%" + likeEscaper.Replace(strings.ToLower(q.Text)) + "%"
		p := arg(pattern)
		conds = append(conds, "(lower(name) LIKE "+p+" OR lower(description) LIKE "+p+")")
	}
	if q.MinPrice > 0 {
		conds = append(conds, "price_cents >= "+arg(q.MinPrice))
	}
	if q.MaxPrice >= 0 {
		conds = append(conds, "price_cents <= "+arg(q.MaxPrice))
	}
	if q.InStock {
		conds = append(conds, "stock > 0")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// listSQL is the statement List runs for q, with its arguments: one page
// and the total.
func (q Query) listSQL() (string, []any) {
	where, args := q.where()
	n := len(args)
	page := ` ORDER BY ` + orderBy[q.Sort] + ` LIMIT $` + strconv.Itoa(n+1) + ` OFFSET $` + strconv.Itoa(n+2)
	args = append(args, q.PageSize, q.Offset())
	if q.Text != "" {
		return textListSQL(where, page, q.countLimit()), args
	}
	// The total is a subquery of its own (run once, in the same snapshot),
	// not count(*) OVER (): a window over the page's rows made the planner
	// cost the query as if LIMIT stopped it early while the window read
	// every match, so a filtered page at 100,000 products walked the whole
	// name index (80 ms; 1.4 ms this way, migration 00004).
	return `SELECT ` + productColumns + `, (SELECT count(*) FROM products` + where + `) FROM products` + where + page, args
}

// textListSQL finds a text query's page by the number of its matches, which
// the planner cannot estimate for a substring (at 100,000 products it took
// words in 300 products for words in 3,000, and the reverse). Each match
// comes from the trigram indexes and must then be checked against its row,
// so the statement first counts the matches up to one past limit
// (textMatches). With at most limit
// matches, the page is sorted from those rows; with more, it walks the
// sort order's index and checks rows until the page is full, which for a
// word in more than 1 % of the catalog ends within a few thousand rows
// (newest first has no index, so that page still sorts every match).
// A word in a third of 100,000 products took 178 ms matching and sorting
// all of them; this way 15 ms, and a word in 300 products 5 ms
// (docs/benchmarks.md, Scale). The branch not taken never runs: both are
// gated by a one-time filter on the count.
func textListSQL(where, page string, limit int) string {
	upTo, counted := strconv.Itoa(limit), `(SELECT n FROM counted)`
	return textMatches(productColumns, where, limit) + `
		(SELECT ` + productColumns + `, ` + counted + ` FROM matches WHERE ` + counted + ` <= ` + upTo + page + `)
		UNION ALL
		(SELECT ` + productColumns + `, ` + counted + ` FROM products` + where + ` AND ` + counted + ` > ` + upTo + page + `)`
}

// countSQL counts the matches of where: exactly for filters, which the
// indexes count cheaply, and up to one past countLimit for text, whose
// every match must be checked against its row (through textMatches).
func (q Query) countSQL(where string, args []any) (string, []any) {
	if q.Text == "" {
		return `SELECT count(*) FROM products` + where, args
	}
	return textMatches("1", where, q.countLimit()) + ` SELECT n FROM counted`, args
}

// textMatches opens a text statement with two CTEs: matches, the columns of
// the products where selects, and counted, their number up to one past
// limit. A CTE is planned without the count's LIMIT, so as a bitmap scan of
// the trigram indexes, and its rows are read only as far as the count goes.
func textMatches(columns, where string, limit int) string {
	return `WITH matches AS MATERIALIZED (SELECT ` + columns + ` FROM products` + where + `),
		counted AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM matches LIMIT ` + strconv.Itoa(limit+1) + `) AS up_to)`
}

// List implements Store.
func (s *PostgresStore) List(ctx context.Context, q Query) (Page, error) {
	page := Page{Items: []Product{}, Page: q.Page, PageSize: q.PageSize}
	sql, args := q.listSQL()
	// Planned for its arguments every time (an unnamed statement), never
	// from a cached generic plan: how many products a category and price
	// range hold decides the plan, and the generic one, which cannot know,
	// took a filtered page at 100,000 products from 1 ms to 10 ms.
	rows, err := s.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return page, pg.Wrap("listing products", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Product, error) {
		var p Product
		err := row.Scan(&p.ID, &p.Name, &p.Description, &p.Category, &p.PriceCents, &p.Currency, &p.Image, &p.Stock, &p.CreatedAt, &p.UpdatedAt, &p.Revision, &page.Total)
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		return p, err
	})
	if err != nil {
		return page, pg.Wrap("listing products", err)
	}
	page.Items = items
	if len(items) == 0 && q.Page > 1 {
		// Past the last page the count has no row to ride on.
		count, args := q.countSQL(q.where())
		if err := s.pool.QueryRow(ctx, count, args...).Scan(&page.Total); err != nil {
			return page, pg.Wrap("counting products", err)
		}
	}
	page.capTotal(q)
	return page, nil
}

// Get implements Store.
func (s *PostgresStore) Get(ctx context.Context, id string) (Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id)
	if err != nil {
		return Product{}, pg.Wrap("reading product", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanProduct)
	if errors.Is(err, pgx.ErrNoRows) {
		return Product{}, ErrNotFound
	}
	return p, pg.Wrap("reading product", err)
}

// Categories implements Store.
func (s *PostgresStore) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.pool.Query(ctx, `SELECT category, count(*) FROM products GROUP BY category ORDER BY category COLLATE "C"`)
	if err != nil {
		return nil, pg.Wrap("listing categories", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Category, error) {
		var c Category
		err := row.Scan(&c.Name, &c.Count)
		return c, err
	})
	return list, pg.Wrap("listing categories", err)
}

// Upsert implements Store.
func (s *PostgresStore) Upsert(ctx context.Context, id string, in ProductInput) (Product, bool, error) {
	var p Product
	var created bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		in := in.Normalized()
		at := now()
		err := tx.QueryRow(ctx, `
			INSERT INTO products (id, name, description, category, price_cents, currency, image, stock, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (id) DO UPDATE SET
				name = EXCLUDED.name, description = EXCLUDED.description, category = EXCLUDED.category,
				price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency, image = EXCLUDED.image,
				stock = EXCLUDED.stock, updated_at = EXCLUDED.updated_at
			RETURNING `+productColumns+`, (xmax = 0)`,
			id, in.Name, in.Description, in.Category, in.PriceCents, in.Currency, in.Image, in.Stock, at,
		).Scan(&p.ID, &p.Name, &p.Description, &p.Category, &p.PriceCents, &p.Currency, &p.Image, &p.Stock, &p.CreatedAt, &p.UpdatedAt, &p.Revision, &created)
		if err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		e, err := upsertedEvent(p)
		if err != nil {
			return err
		}
		return outbox.Insert(ctx, tx, e)
	})
	if err != nil {
		return Product{}, false, pg.Wrap("saving product", err)
	}
	return p, created, nil
}

// Delete implements Store.
func (s *PostgresStore) Delete(ctx context.Context, id string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The deletion takes a revision of its own (migration 00003), above
		// every one the product had.
		var revision int64
		err := tx.QueryRow(ctx, `DELETE FROM products WHERE id = $1 RETURNING nextval('product_revisions')`, id).Scan(&revision)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		e, err := deletedEvent(id, revision)
		if err != nil {
			return err
		}
		return outbox.Insert(ctx, tx, e)
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	return pg.Wrap("deleting product", err)
}

// SeedIfEmpty implements Store. The check and the inserts share a
// transaction holding a table lock, so replicas starting together seed once.
func (s *PostgresStore) SeedIfEmpty(ctx context.Context, products []Product) (int, error) {
	var inserted int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products)`).Scan(&exists); err != nil || exists {
			return err
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"products"},
			[]string{"id", "name", "description", "category", "price_cents", "currency", "image", "stock", "created_at", "updated_at"},
			pgx.CopyFromSlice(len(products), func(i int) ([]any, error) {
				p := products[i]
				return []any{p.ID, p.Name, p.Description, p.Category, p.PriceCents, p.Currency, p.Image, p.Stock, p.CreatedAt, p.UpdatedAt}, nil
			}))
		inserted = int(n)
		return err
	})
	return inserted, pg.Wrap("seeding products", err)
}

// Ping implements Store.
func (s *PostgresStore) Ping(ctx context.Context) error {
	return pg.Wrap("pinging database", s.pool.Ping(ctx))
}
