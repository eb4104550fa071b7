package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/shop-platform/shop/src/internal/catalog"
)

const (
	committedSeed   = "../../internal/catalog/seed/products.json"
	committedImages = "../../internal/frontend/static/products"
)

// TestCommittedSeedIsTheGeneratorsOutput regenerates the catalog and its
// images and compares them with the committed files: the seed is
// deterministic, and nobody edited one without the other.
func TestCommittedSeedIsTheGeneratorsOutput(t *testing.T) {
	dir := t.TempDir()
	data, err := loadData()
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range append([]category{{Name: "books"}}, data.Categories...) {
		icon := strings.ReplaceAll(cat.Name, " ", "-") + ".svg"
		data, err := os.ReadFile(filepath.Join(committedImages, icon))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, icon), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "products.json")
	if err := run(out, dir); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, out, committedSeed) {
		t.Fatalf("%s differs from what seedgen writes now; run it again (see its doc comment)", committedSeed)
	}
	seed, err := catalog.SeedProducts()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range seed {
		name := filepath.Base(p.Image)
		if !sameFile(t, filepath.Join(dir, name), filepath.Join(committedImages, name)) {
			t.Fatalf("the committed image %s differs from what seedgen writes now", name)
		}
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// TestSeedReadsLikeAShop checks what a shopper notices first: every
// product is named as something its category sells, priced like it, and
// has a picture of its own.
func TestSeedReadsLikeAShop(t *testing.T) {
	seed, err := catalog.SeedProducts()
	if err != nil {
		t.Fatal(err)
	}
	if len(seed) != 360 {
		t.Fatalf("%d products, want 360", len(seed))
	}
	data, err := loadData()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]kind{}
	for _, c := range data.Categories {
		kinds[c.Name] = c.Kinds
	}
	titles := map[string]book{}
	for _, b := range data.Books {
		titles[b.Title] = b
	}
	perCategory := map[string]int{}
	names := map[string]bool{}
	images := map[[32]byte]string{}
	lowStock, outOfStock := 0, 0
	for _, p := range seed {
		perCategory[p.Category]++
		if names[p.Name] {
			t.Errorf("two products are called %q", p.Name)
		}
		names[p.Name] = true
		switch {
		case p.Stock == 0:
			outOfStock++
		case p.Stock < 10:
			lowStock++
		}
		if !strings.HasSuffix(p.Description, ".") || len(p.Description) < 60 {
			t.Errorf("%s: description %q is not a couple of sentences", p.ID, p.Description)
		}
		if p.Category == "books" {
			b, ok := titles[p.Name]
			if !ok || !strings.Contains(p.Description, b.Author) || p.PriceCents > 5000 {
				t.Errorf("%s: %q is not one of the written-out books, with its author and a book's price", p.ID, p.Name)
			}
		} else if k, ok := kindOf(p.Name, kinds[p.Category]); !ok {
			t.Errorf("%s: %q names nothing the %s aisle sells", p.ID, p.Name, p.Category)
		} else if low, high := int64(k.Min)*50, int64(k.Max)*100*2; p.PriceCents < low || p.PriceCents > high {
			t.Errorf("%s: %q costs %d cents, outside %d to %d for a %s", p.ID, p.Name, p.PriceCents, low, high, k.Noun)
		}
		for other, ks := range kinds {
			if other == p.Category {
				continue
			}
			if k, ok := kindOf(p.Name, ks); ok {
				t.Errorf("%s: %q in %s reads like a %s from %s", p.ID, p.Name, p.Category, k.Noun, other)
			}
		}
		data, err := os.ReadFile(filepath.Join(committedImages, filepath.Base(p.Image)))
		if err != nil || p.Image != "/static/products/"+p.ID+".svg" {
			t.Fatalf("%s: image %q is not its own committed file: %v", p.ID, p.Image, err)
		}
		sum := sha256.Sum256(data)
		if other, dup := images[sum]; dup {
			t.Errorf("%s has the same image as %s", p.ID, other)
		}
		images[sum] = p.ID
	}
	if len(perCategory) != 12 {
		t.Errorf("%d categories, want 12", len(perCategory))
	}
	for c, n := range perCategory {
		if n != 30 {
			t.Errorf("%s has %d products, want 30", c, n)
		}
	}
	if outOfStock == 0 || lowStock == 0 || outOfStock+lowStock > 120 {
		t.Errorf("%d out of stock and %d low: a shop has some of each, and most in stock", outOfStock, lowStock)
	}
}

func kindOf(name string, ks []kind) (kind, bool) {
	for _, k := range ks {
		if strings.Contains(name, " "+k.Noun) {
			return k, true
		}
	}
	return kind{}, false
}

var figurePattern = regexp.MustCompile(`<g>.*</g>`)

// TestEveryProductHasItsOwnDrawing checks the picture itself, not only the
// file: no two products share the drawing in the middle (all teas were
// once one brown cup), and a tea is not drawn like a coffee mug.
func TestEveryProductHasItsOwnDrawing(t *testing.T) {
	seed, err := catalog.SeedProducts()
	if err != nil {
		t.Fatal(err)
	}
	drawings := map[string]string{}
	for _, p := range seed {
		data, err := os.ReadFile(filepath.Join(committedImages, filepath.Base(p.Image)))
		if err != nil {
			t.Fatal(err)
		}
		g := figurePattern.Find(data)
		if g == nil {
			t.Fatalf("%s: no drawing in its picture", p.ID)
		}
		if other, dup := drawings[string(g)]; dup {
			t.Errorf("%s is drawn exactly like %s", p.ID, other)
		}
		drawings[string(g)] = p.ID
	}
	if reflect.ValueOf(figureFor("Loose Leaf Tea")).Pointer() == reflect.ValueOf(figureFor("Coffee Mug")).Pointer() {
		t.Error("a tea is drawn as the same kind of thing as a coffee mug")
	}
}
