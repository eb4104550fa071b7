package catalog

import (
	"context"
	"strings"
	"testing"
)

// A text search and a filtered category page on a catalog of 20,000
// products must be answered from indexes (migration 00004), not by reading
// every product: at 100,000 products a scan made a text search cost about
// 350 ms and a filtered page 80 ms. The plans checked are those of the
// statement List runs, with its arguments.
func TestPostgresListUsesIndexesOnALargeCatalog(t *testing.T) {
	pool := newTestPool(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO products (id, name, description, category, price_cents, currency, stock)
		SELECT 'p-' || i,
			(ARRAY['Walnut', 'Linen', 'Cast iron', 'Wool', 'Ceramic', 'Oak'])[1 + i % 6] || ' ' ||
				(ARRAY['desk', 'lamp', 'mug', 'sheet', 'pan', 'sock', 'chair'])[1 + i % 7] || ' ' || i,
			'A sturdy everyday ' || (ARRAY['thing', 'piece', 'item'])[1 + i % 3] || ' made to last, number ' || i,
			'category-' || (i % 12), (i * 7919) % 50000, 'USD', i % 5
		FROM generate_series(1, 20000) i`)
	if err != nil {
		t.Fatal(err)
	}
	store := NewPostgresStore(pool)
	if _, _, err := store.Upsert(ctx, "zebrawood-box", input("Zebrawood box", "category-3", 4200, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE products"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		q     Query
		total int
		index string // an index the plan must use
	}{
		{"text in a name", Query{Text: "ebraWOO", MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}, 1, "products_name_trgm"},
		{"text in a description", Query{Text: "number 1234", MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}, 11, "products_description_trgm"},
		{"category, price range, in stock", Query{Category: "Category-3", MinPrice: 1000, MaxPrice: 2000, InStock: true, Sort: SortName, Page: 1, PageSize: 20}, 0, "products_category_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sql, args := tc.q.listSQL()
			rows, err := pool.Query(ctx, "EXPLAIN "+sql, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan strings.Builder
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan.WriteString(line + "\n")
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(plan.String(), "Seq Scan") || !strings.Contains(plan.String(), tc.index) {
				t.Errorf("the plan reads the table instead of using %s:\n%s", tc.index, plan.String())
			}
			page, err := store.List(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if tc.total > 0 && page.Total != tc.total {
				t.Errorf("total = %d, want %d", page.Total, tc.total)
			}
		})
	}
}
