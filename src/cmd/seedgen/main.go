// Command seedgen writes the sample catalog that the catalog service loads
// into an empty store. It was run once and its output committed, so the seed
// never changes under the tests; run it again only to change the seed on
// purpose: go run ./src/cmd/seedgen > src/internal/catalog/seed/products.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shop-platform/shop/src/internal/catalog"
)

// categories are a dozen of gofakeit's product categories.
var categories = []string{
	"appliances", "audio equipment", "bedding and linens", "books", "camping gear",
	"coffee and tea", "fitness equipment", "gardening tools", "kitchenware",
	"office supplies", "pet supplies", "toys and games",
}

const productsPerCategory = 30

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "seedgen:", err)
		os.Exit(1)
	}
}

func run(_ context.Context) error {
	f := gofakeit.New(20261125)
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	names := map[string]bool{}
	var list []catalog.Product
	for c, category := range categories {
		slug := strings.ReplaceAll(category, " ", "-")
		for i := 0; i < productsPerCategory; i++ {
			name := f.ProductName()
			for names[name] {
				name = f.ProductName()
			}
			names[name] = true
			stock := f.IntRange(0, 120)
			if f.Float64() < 0.08 {
				stock = 0
			}
			at := start.Add(time.Duration(c*productsPerCategory+i) * time.Hour)
			list = append(list, catalog.Product{
				ID:          fmt.Sprintf("%s-%03d", slug, i+1),
				Name:        name,
				Description: f.ProductDescription(),
				Category:    category,
				PriceCents:  int64(f.IntRange(199, 49999)),
				Currency:    "USD",
				Image:       "/static/products/" + slug + ".svg",
				Stock:       stock,
				CreatedAt:   at,
				UpdatedAt:   at,
			})
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}
