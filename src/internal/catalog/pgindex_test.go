package catalog

import (
	"context"
	"strings"
	"testing"
)

// A text search and a filtered category page on a catalog of 20,000
// products must be answered from indexes (migration 00004), not by reading
// every product: at 100,000 products a scan made a text search cost about
// 350 ms and a filtered page 80 ms. A word in every product must not be
// matched and sorted in full: its page walks the name index. The plans
// checked are those the statement List runs takes, with its arguments, as
// executed (a branch of the text statement that does not run is "never
// executed").
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
		index string // what the plan must run
		// stopsEarly: a scan of the table may count the matches, since it
		// stops at the cap (the word is in every product).
		stopsEarly bool
	}{
		{"text in a name", Query{Text: "ebraWOO", MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}, 1, "products_name_trgm", false},
		{"text in a description", Query{Text: "number 1234", MaxPrice: -1, Sort: SortName, Page: 1, PageSize: 20}, 11, "products_description_trgm", false},
		{"text in every product", Query{Text: "sturdy", MaxPrice: -1, Sort: SortName, Page: 2, PageSize: 20}, TextTotalCap, "Index Scan using products_name on", true},
		{"category, price range, in stock", Query{Category: "Category-3", MinPrice: 1000, MaxPrice: 2000, InStock: true, Sort: SortName, Page: 1, PageSize: 20}, 0, "products_category_", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sql, args := tc.q.listSQL()
			rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS off) "+sql, args...)
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
			ran := false
			for line := range strings.Lines(plan.String()) {
				ran = ran || strings.Contains(line, tc.index) && !strings.Contains(line, "never executed")
			}
			if strings.Contains(plan.String(), "Seq Scan") && !tc.stopsEarly || !ran {
				t.Errorf("the plan reads the table or does not run %s:\n%s", tc.index, plan.String())
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
